// rvkit geometry: the AprilTag size assumed unless told otherwise, and the sizes accepted.
//
// One home for the number, for every module: detect's pose solvers (vision/), overlay's 3-D axes,
// the test pattern's tags (capture/) and the tools' --tag-size (cli/shared_options.hpp).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace rvkit::geometry {

constexpr double kDefaultTagSize = 0.1651;  // m: black square edge of an FRC 36h11 tag (6.5 in)
// A tag from 1 mm (a bench target) to 10 m across: outside this, a --tag-size is a mistake (inches?).
constexpr double kMinTagSize = 0.001;
constexpr double kMaxTagSize = 10.0;

// Tag sizes when a field mixes them: one for every tag, and exceptions by id. Built from a plain
// size where one size fits all (the constructor is implicit on purpose: a double is a TagSizes).
struct TagSizes {
  double size = kDefaultTagSize;   // m, every tag not in by_id
  std::map<int, double> by_id;     // m
  TagSizes(double s = kDefaultTagSize) : size(s) {}  // NOLINT(google-explicit-constructor)
  double of(int id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? size : it->second;
  }
};

// `--tag-size` values, in order: "SIZE" (every tag), "ID:SIZE" (one id) or "FAMILY:SIZE" (every tag
// when FAMILY, "36h11" or "tag36h11", is `family`; ignored for another family). Later values win.
// Throws rvkit::OptionError naming --tag-size and the value.
TagSizes parse_tag_sizes(const std::vector<std::string>& specs, const std::string& family);
// What is wrong with one such value ("expected SIZE, ID:SIZE or FAMILY:SIZE in metres"), "" if nothing.
std::string tag_size_problem(const std::string& spec);

}  // namespace rvkit::geometry
