// hub: the message hub that connects a robot's vision processes, and the supervisor that starts,
// watches and restarts them (docs/launch.md, docs/protocol.md "The hub").
//
//   hub                               the message hub alone (the same as `hub serve`)
//   hub run robot-vision.toml         start and supervise everything in a launch file
//   hub status | restart NAME | stop [NAME] | logs NAME    talk to a running `hub run`
#include <map>
#include <string>

#include "commands.hpp"
#include "rvkit/cli/tool.hpp"

int main(int argc, char** argv) {
  return rvkit::run_tool(
      "hub", argc, argv,
      "The message hub of rvkit's processes (a ZeroMQ proxy) and their supervisor.\n\n"
      "Examples:\n"
      "  hub                                  # the hub alone: tools use --out hub / --in hub\n"
      "  cap --test-pattern --out hub &  probe --in 'hub?topic=frame/'\n"
      "  hub run scripts/robot-vision.toml    # start and supervise a whole pipeline\n"
      "  hub status                           # what a running `hub run` is doing\n"
      "  hub restart detect-front\n",
      [&](CLI::App& app, rvkit::CommonOptions& common) {
        app.require_subcommand(0, 1);
        std::map<CLI::App*, rvkit::ToolBody> bodies;
        auto add = [&](const char* name, const char* what, auto setup) {
          CLI::App* cmd = app.add_subcommand(name, what);
          bodies[cmd] = setup(*cmd, common);
          return cmd;
        };
        CLI::App* serve = add("serve", "Run the message hub (the default)", hub_tool::setup_serve);
        add("run", "Start and supervise the processes of a launch file", hub_tool::setup_run);
        add("status", "Show the processes of a running `hub run`", hub_tool::setup_status);
        add("restart", "Restart a process of a running `hub run`", hub_tool::setup_restart);
        add("stop", "Stop a process, or everything, of a running `hub run`", hub_tool::setup_stop);
        add("logs", "Show the last lines a process of a running `hub run` wrote", hub_tool::setup_logs);
        return rvkit::ToolBody([&app, serve, bodies]() -> int {
          for (auto& [cmd, body] : bodies)
            if (cmd->parsed()) return body();
          return bodies.at(serve)();  // no subcommand: serve with its defaults
        });
      });
}
