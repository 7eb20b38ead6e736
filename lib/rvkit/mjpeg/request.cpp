#include "rvkit/mjpeg/request.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace rvkit::mjpeg {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_int(std::string_view s, int& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool parse_double(std::string_view s, double& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(v);
}

// Applies the stream settings found in the query; returns an error message or "".
std::string apply_settings(const Target& t, StreamSettings& s) {
  if (const std::string* v = t.param("resolution")) {
    if (!parse_resolution(*v, s.w, s.h))
      return fmt::format("parameter 'resolution': '{}' is not WIDTHxHEIGHT with sizes 0..{}", *v, kMaxDimension);
  }
  if (const std::string* v = t.param("fps")) {
    if (!parse_double(*v, s.fps) || s.fps < 0 || s.fps > 1000)
      return fmt::format("parameter 'fps': '{}' is not a number from 0 (every frame) to 1000", *v);
  }
  if (const std::string* v = t.param("compression")) {
    if (!parse_int(*v, s.quality) || s.quality < -1 || s.quality > 100)
      return fmt::format("parameter 'compression': '{}' is not a JPEG quality 0..100 (or -1 for the default)", *v);
  }
  if (const std::string* v = t.param("kbps")) {
    if (!parse_double(*v, s.max_kbps) || s.max_kbps < 0 || s.max_kbps > 1e7)
      return fmt::format("parameter 'kbps': '{}' is not a bandwidth in kbit/s (0 = no cap)", *v);
  }
  return "";
}

}  // namespace

const std::string* Target::param(std::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [k, v] : query)
    if (k == name) found = &v;
  return found;
}

bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(char(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::optional<Target> parse_target(std::string_view target, std::string& error) {
  if (target.empty() || target.front() != '/') {
    error = "the request target is not a path starting with '/'";
    return std::nullopt;
  }
  std::string_view raw_path = target, raw_query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
  }
  if (auto f = raw_query.find('#'); f != std::string_view::npos) raw_query = raw_query.substr(0, f);
  Target t;
  if (!percent_decode(raw_path, false, t.path)) {
    error = "bad %-escape in the path";
    return std::nullopt;
  }
  for (unsigned char c : t.path) {
    if (c < 0x20 || c == 0x7f) {
      error = "control character in the path";
      return std::nullopt;
    }
  }
  // No ".." segments: stream serves no files, but it never lets a path climb either.
  for (size_t start = 0; start <= t.path.size();) {
    size_t end = t.path.find('/', start);
    if (end == std::string::npos) end = t.path.size();
    if (t.path.compare(start, end - start, "..") == 0) {
      error = "'..' in the path";
      return std::nullopt;
    }
    start = end + 1;
  }
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view item = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name, value;
    if (!percent_decode(item.substr(0, eq), true, name) ||
        !percent_decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true, value)) {
      error = "bad %-escape in the query string";
      return std::nullopt;
    }
    if (name.empty()) continue;
    t.query.emplace_back(std::move(name), std::move(value));
  }
  return t;
}

bool parse_resolution(std::string_view s, int& w, int& h) {
  size_t x = s.find_first_of("xX");
  if (x == std::string_view::npos) return false;
  int pw = 0, ph = 0;
  if (!parse_int(s.substr(0, x), pw) || !parse_int(s.substr(x + 1), ph)) return false;
  if (pw < 0 || ph < 0 || pw > kMaxDimension || ph > kMaxDimension) return false;
  w = pw;
  h = ph;
  return true;
}

Route route(const Target& t) {
  Route r;
  const std::string& p = t.path;
  auto ends_with = [&](std::string_view suffix) {
    return p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (p == "/" || p == "/index.html") {
    const std::string* action = t.param("action");
    if (!action)
      r.endpoint = Endpoint::Page;
    else if (*action == "stream")
      r.endpoint = Endpoint::Stream;
    else if (*action == "snapshot")
      r.endpoint = Endpoint::Snapshot;
    else
      return r;  // other mjpg-streamer actions (command, ...) are not served
  } else if (p == "/stream.mjpg") {
    r.endpoint = Endpoint::Stream;
  } else if (p == "/snapshot.jpg") {
    r.endpoint = Endpoint::Snapshot;
  } else if (p == "/state" || p == "/state.json") {
    r.endpoint = Endpoint::State;
    return r;
  } else if (ends_with("/stream.mjpg") || ends_with("/snapshot.jpg")) {
    bool stream = ends_with("/stream.mjpg");
    r.endpoint = stream ? Endpoint::Stream : Endpoint::Snapshot;
    size_t suffix = stream ? std::string_view("/stream.mjpg").size() : std::string_view("/snapshot.jpg").size();
    r.cam = p.substr(1, p.size() - 1 - suffix);
    if (r.cam.empty()) return Route{};
  } else {
    return r;
  }
  if (r.endpoint == Endpoint::Page) return r;
  if (r.cam.empty()) {
    if (const std::string* c = t.param("cam")) r.cam = *c;
  }
  r.error = apply_settings(t, r.settings);
  return r;
}

}  // namespace rvkit::mjpeg
