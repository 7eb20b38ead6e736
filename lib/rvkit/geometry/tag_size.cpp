#include "rvkit/geometry/tag_size.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"

namespace rvkit::geometry {

namespace {

double size_of(const std::string& spec, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v))
    throw OptionError("--tag-size", spec, "expected SIZE, ID:SIZE or FAMILY:SIZE in metres");
  if (!(v >= kMinTagSize && v <= kMaxTagSize))
    throw OptionError("--tag-size", spec, fmt::format("the size must be from {} to {} metres", kMinTagSize, kMaxTagSize));
  return v;
}

std::string bare_family(std::string f) { return f.compare(0, 3, "tag") == 0 ? f.substr(3) : f; }

}  // namespace

std::string tag_size_problem(const std::string& spec) {
  try {
    parse_tag_sizes({spec}, "36h11");
  } catch (const OptionError& e) {
    std::string w = e.what();
    size_t at = w.find("': ");
    return at == std::string::npos ? w : w.substr(at + 3);
  }
  return "";
}

TagSizes parse_tag_sizes(const std::vector<std::string>& specs, const std::string& family) {
  TagSizes out;
  for (const std::string& spec : specs) {
    size_t colon = spec.find(':');
    if (colon == std::string::npos) {
      out.size = size_of(spec, spec);
      continue;
    }
    std::string key = spec.substr(0, colon);
    double v = size_of(spec, spec.substr(colon + 1));
    char* end = nullptr;
    errno = 0;
    long id = std::strtol(key.c_str(), &end, 10);
    if (!key.empty() && errno == 0 && end == key.c_str() + key.size()) {
      if (id < 0 || id > 2147483647L) throw OptionError("--tag-size", spec, "the id must be 0 or more");
      out.by_id[int(id)] = v;
    } else if (key == "36h11" || key == "tag36h11" || key == "16h5" || key == "tag16h5") {
      if (bare_family(key) == bare_family(family)) out.size = v;
    } else {
      throw OptionError("--tag-size", spec, "expected SIZE, ID:SIZE or FAMILY:SIZE (36h11, 16h5)");
    }
  }
  return out;
}

}  // namespace rvkit::geometry
