#include "rvkit/cli/option_parsers.hpp"

#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace rvkit {

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The whole of `s` (spaces around it aside) as a finite number, or nothing.
std::optional<double> number(std::string_view s) {
  s = trimmed(s);
  if (!s.empty() && s.front() == '+') {  // from_chars takes no '+'
    s.remove_prefix(1);
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) return std::nullopt;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> integer(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits at every comma, keeping empty items ("1,,2" is three items).
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> items;
  for (size_t start = 0;;) {
    size_t comma = s.find(',', start);
    items.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

}  // namespace

FrameSize parse_frame_size(std::string_view option, const std::string& text) {
  size_t x = text.find_first_of("xX");
  std::optional<int> w, h;
  if (x != std::string::npos) {
    w = integer(std::string_view(text).substr(0, x));
    h = integer(std::string_view(text).substr(x + 1));
  }
  if (!w || !h) throw OptionError(option, text, "expected WxH, e.g. 1280x720");
  if (*w < kMinFrameSide || *w > kMaxFrameSide || *h < kMinFrameSide || *h > kMaxFrameSide)
    throw OptionError(option, text,
                      fmt::format("width and height must be from {} to {}", kMinFrameSide, kMaxFrameSide));
  return {*w, *h};
}

std::vector<double> parse_number_list(std::string_view option, const std::string& text, std::string_view form) {
  const size_t want = split_commas(form).size();
  std::vector<double> v;
  const auto items = split_commas(text);
  if (items.size() != want)
    throw OptionError(option, text,
                      fmt::format("expected {} comma-separated numbers {}, got {}", want, form,
                                  trimmed(text).empty() ? 0 : items.size()));
  for (std::string_view item : items) {
    auto x = number(item);
    if (!x) throw OptionError(option, text, fmt::format("'{}' is not a number", trimmed(item)));
    v.push_back(*x);
  }
  return v;
}

NumberRange parse_number_range(std::string_view option, const std::string& text) {
  std::string_view s = text;
  // The dash between the two numbers: the first one (after a leading minus) with a number on each side.
  for (size_t dash = s.find('-', 1); dash != std::string_view::npos; dash = s.find('-', dash + 1)) {
    auto lo = number(s.substr(0, dash)), hi = number(s.substr(dash + 1));
    if (!lo || !hi) continue;
    if (*lo > *hi) throw OptionError(option, text, "MIN must not be larger than MAX");
    return {*lo, *hi};
  }
  throw OptionError(option, text, "expected MIN-MAX, two numbers, e.g. 1.5-4");
}

}  // namespace rvkit
