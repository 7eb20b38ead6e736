// hub serve (a placeholder until its implementation lands).
#include "commands.hpp"

namespace hub_tool {

rvkit::ToolBody setup_serve(CLI::App&, rvkit::CommonOptions&) {
  return []() -> int { throw rvkit::Error("hub serve: not implemented yet"); };
}

}  // namespace hub_tool
