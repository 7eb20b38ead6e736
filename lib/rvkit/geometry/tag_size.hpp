// rvkit geometry: the AprilTag size assumed unless told otherwise, and the sizes accepted.
//
// One home for the number, for every module: detect's pose solvers (vision/), overlay's 3-D axes,
// the test pattern's tags (capture/) and the tools' --tag-size (cli/shared_options.hpp).
#pragma once

namespace rvkit::geometry {

constexpr double kDefaultTagSize = 0.1651;  // m: black square edge of an FRC 36h11 tag (6.5 in)
// A tag from 1 mm (a bench target) to 10 m across: outside this, a --tag-size is a mistake (inches?).
constexpr double kMinTagSize = 0.001;
constexpr double kMaxTagSize = 10.0;

}  // namespace rvkit::geometry
