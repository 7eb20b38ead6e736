#include "rvkit/recording/save_notice.hpp"

#include <fmt/format.h>

namespace rvkit::recording {
namespace {

constexpr std::string_view kSaved = "saved the ring to ";
constexpr std::string_view kNothing = ": no ring buffer (--ring): nothing to save";

}  // namespace

std::string saved_line(const std::string& absolute_path, uint64_t messages, uint64_t bytes) {
  return fmt::format("{}{} ({} messages, {} bytes)", kSaved, absolute_path, messages, bytes);
}

std::string nothing_to_save_line(const std::string& why) { return fmt::format("{}{}", why, kNothing); }

std::optional<SaveNotice> parse_save_notice(std::string_view line) {
  if (line.substr(0, 5) == "rec: ") line.remove_prefix(5);
  if (line.substr(0, kSaved.size()) == kSaved) {
    line.remove_prefix(kSaved.size());
    size_t open = line.rfind(" (");
    if (open == std::string_view::npos || open == 0 || line.back() != ')') return std::nullopt;
    return SaveNotice{true, std::string(line.substr(0, open))};
  }
  if (line.size() > kNothing.size() && line.substr(line.size() - kNothing.size()) == kNothing)
    return SaveNotice{false, ""};
  return std::nullopt;
}

}  // namespace rvkit::recording
