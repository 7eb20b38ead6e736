#include "rvkit/core/log.hpp"

#include <unistd.h>

#include "rvkit/core/clock.hpp"

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

bool ThrottledLog::line(const std::string& text) { return line(text, mono_us()); }

bool ThrottledLog::line(const std::string& text, int64_t now_us) {
  ++total_;
  if (any_ && now_us - last_us_ < period_us_) return false;
  log_line(text);
  any_ = true;
  last_us_ = now_us;
  ++printed_;
  return true;
}

}  // namespace rvkit
