#include "rvkit/core/log.hpp"

#include <unistd.h>

namespace rvkit {
namespace {
std::string& name_slot() {
  static std::string name = "rvkit";
  return name;
}
}  // namespace

void set_tool_name(std::string name) { name_slot() = std::move(name); }
const std::string& tool_name() { return name_slot(); }

void log_line(const std::string& text) {
  std::string line = tool_name() + ": " + text + "\n";
  ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
  (void)r;
}

}  // namespace rvkit
