// hub serve: the message hub (rvkit/hub/proxy.hpp; docs/protocol.md, "The hub").
//
//   hub serve                              tcp://127.0.0.1:5550..5552 and the ipc equivalents
//   hub serve --bind 0.0.0.0               other coprocessors join over the network
//   hub serve --hub ipc:///tmp/test/hub    a private hub (tests): only those unix sockets
//   hub serve --report-fd 3                the supervisor's view: a `hub` record every 250 ms on fd 3
#include <fcntl.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "rvkit/hub/proxy.hpp"
#include "rvkit/hub/serve_endpoints.hpp"
#include "rvkit/io/hub_address.hpp"

namespace hub_tool {

rvkit::ToolBody setup_serve(CLI::App& cmd, rvkit::CommonOptions& common) {
  struct Options {
    std::string bind;
    int report_fd = -1;
    bool no_ipc = false;
  };
  auto o = std::make_shared<Options>();
  cmd.fallthrough();  // -v and --hub of the hub tool itself work after `serve` too
  cmd.add_option("--bind", o->bind,
                 "Host to bind the tcp endpoints on instead of the hub address's: 0.0.0.0 or * for every interface");
  rvkit::add_hub_option(cmd, "Options",
                        "The address to serve: tcp://HOST[:PORT] (PORT to PORT+3) or ipc://DIR "
                        "(default: $RVKIT_HUB, else tcp://127.0.0.1:5550)");
  cmd.add_option("--report-fd", o->report_fd, "Write the hub record as a JSON line to this fd every 250 ms")
      ->check(CLI::Range(0, 1 << 20));
  cmd.add_flag("--no-ipc", o->no_ipc, "Bind only the tcp endpoints, not their ipc equivalents");
  cmd.footer(
      "Endpoints (docs/protocol.md, \"The hub\"): publish PORT (live publishers: --out hub), subscribe\n"
      "PORT+1 (--in 'hub?topic=PREFIX'), lossless PORT+2 (recorded publishers), subscribe_lossless PORT+3\n"
      "(their messages, never dropped: hub inputs connect to both subscribe endpoints), and the same as unix sockets\n"
      "in $XDG_RUNTIME_DIR/rvkit-hub (else /tmp/rvkit-hub-UID; -PORT appended for another port than 5550).\n\n"
      "Examples:\n"
      "  hub serve -v                          # tcp://127.0.0.1:5550..5552 and ipc\n"
      "  hub serve --bind 0.0.0.0              # other coprocessors join: RVKIT_HUB=tcp://10.12.34.11\n"
      "  hub serve --hub ipc:///tmp/test-hub   # a private hub: RVKIT_HUB=ipc:///tmp/test-hub\n"
      "  probe --in 'hub?topic=hub/'           # what the hub sees, every second");
  return [o, &common]() -> int {
    if (o->report_fd >= 0 && fcntl(o->report_fd, F_GETFD) < 0)
      throw rvkit::OptionError(fmt::format("--report-fd {}: not an open file descriptor", o->report_fd));
    rvkit::hub::ProxyOptions opts;
    opts.endpoints = rvkit::hub::serve_endpoints(rvkit::hub_address(), o->bind, !o->no_ipc);
    opts.report_fd = o->report_fd;
    opts.verbose = common.verbose > 0;
    rvkit::hub::Proxy proxy(opts);
    proxy.run();
    return 0;
  };
}

}  // namespace hub_tool
