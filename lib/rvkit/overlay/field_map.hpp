// rvkit overlay: a small field map in the bottom-right corner with the robot's pose.
//
// Drawn as AdvantageScope and WPILib's Field2d show a field: blue alliance wall on the left, field X
// to the right, Y up. The layout's tags are dots with a tick toward the way they face; each pose is a
// robot-sized square with a triangle pointing where it heads.
#pragma once
#include <vector>

#include "rvkit/overlay/canvas.hpp"
#include "rvkit/geometry/field_layout.hpp"

namespace rvkit::overlay {

struct MapPose {
  geometry::Pose3 pose;  // on the field (WPILib field coordinates)
  cv::Scalar colour;
};

class FieldMapStage {
 public:
  // Field size: the layout's, or (when it gives none) the extent of its tags.
  explicit FieldMapStage(geometry::FieldLayout layout);
  // The map's rectangle for an image of w x h (bottom-right, about a third of the width).
  cv::Rect map_rect(int w, int h, const Style& s) const;
  void draw(Canvas& c, const std::vector<MapPose>& poses) const;
  double length() const { return length_; }
  double width() const { return width_; }

 private:
  geometry::FieldLayout layout_;
  double length_ = 0, width_ = 0;
};

}  // namespace rvkit::overlay
