// hub run (a placeholder until its implementation lands).
#include "commands.hpp"

namespace hub_tool {

rvkit::ToolBody setup_run(CLI::App&, rvkit::CommonOptions&) {
  return []() -> int { throw rvkit::Error("hub run: not implemented yet"); };
}

}  // namespace hub_tool
