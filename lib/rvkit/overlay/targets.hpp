// rvkit overlay: colour targets from detect --color: rotated rectangles (or boxes) and centres.
#pragma once
#include "rvkit/overlay/canvas.hpp"
#include "rvkit/overlay/records.hpp"

namespace rvkit::overlay {

class TargetStage {
 public:
  // Colour of targets found by detect's --color range `index` (0 yellow, 1 magenta, 2 cyan, 3 orange, ...).
  static const cv::Scalar& colour(int index);
  void draw(Canvas& c, const FrameDetections& d) const;
};

}  // namespace rvkit::overlay
