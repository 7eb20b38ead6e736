// hub status, restart, stop, logs (placeholders until their implementation lands).
#include "commands.hpp"

namespace hub_tool {

namespace {
rvkit::ToolBody todo(const char* what) {
  return [what]() -> int { throw rvkit::Error(std::string("hub ") + what + ": not implemented yet"); };
}
}  // namespace

rvkit::ToolBody setup_status(CLI::App&, rvkit::CommonOptions&) { return todo("status"); }
rvkit::ToolBody setup_restart(CLI::App&, rvkit::CommonOptions&) { return todo("restart"); }
rvkit::ToolBody setup_stop(CLI::App&, rvkit::CommonOptions&) { return todo("stop"); }
rvkit::ToolBody setup_logs(CLI::App&, rvkit::CommonOptions&) { return todo("logs"); }

}  // namespace hub_tool
