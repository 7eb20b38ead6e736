#include "rvkit/recording/save_notice.hpp"

#include <charconv>

#include <fmt/format.h>

namespace rvkit::recording {
namespace {

constexpr std::string_view kSaving = ": saving the ring: ";
constexpr std::string_view kSaved = "saved the ring to ";
constexpr std::string_view kNothing = ": no ring buffer (--ring): nothing to save";

// "...save N)" at the end of `s`: N, or 0.
uint64_t save_number_at_end(std::string_view s, std::string_view before) {
  std::string_view key = before;
  size_t at = s.rfind(key);
  if (at == std::string_view::npos || s.empty() || s.back() != ')') return 0;
  std::string_view digits = s.substr(at + key.size(), s.size() - 1 - (at + key.size()));
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return n;
}

}  // namespace

std::string saving_line(const std::string& why, uint64_t save, uint64_t messages, double span_s, uint64_t bytes) {
  return fmt::format("{}{}{} messages, {:.1f} s, {:.1f} MB (save {})", why, kSaving, messages, span_s, double(bytes) / 1e6,
                     save);
}

std::string saved_line(const std::string& absolute_path, uint64_t messages, uint64_t bytes, uint64_t save) {
  return fmt::format("{}{} ({} messages, {} bytes, save {})", kSaved, absolute_path, messages, bytes, save);
}

std::string nothing_to_save_line(const std::string& why) { return fmt::format("{}{}", why, kNothing); }

std::optional<SaveNotice> parse_save_notice(std::string_view line) {
  if (line.substr(0, 5) == "rec: ") line.remove_prefix(5);
  if (line.substr(0, kSaved.size()) == kSaved) {
    line.remove_prefix(kSaved.size());
    size_t open = line.rfind(" (");
    if (open == std::string_view::npos || open == 0) return std::nullopt;
    uint64_t n = save_number_at_end(line.substr(open), ", save ");
    if (!n) return std::nullopt;
    return SaveNotice{SaveNotice::Kind::saved, n, std::string(line.substr(0, open))};
  }
  if (size_t at = line.find(kSaving); at != std::string_view::npos && at > 0) {
    uint64_t n = save_number_at_end(line.substr(at), " (save ");
    if (!n) return std::nullopt;
    return SaveNotice{SaveNotice::Kind::saving, n, ""};
  }
  if (line.size() > kNothing.size() && line.substr(line.size() - kNothing.size()) == kNothing)
    return SaveNotice{SaveNotice::Kind::nothing, 0, ""};
  return std::nullopt;
}

}  // namespace rvkit::recording
