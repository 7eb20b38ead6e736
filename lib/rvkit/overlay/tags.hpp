// rvkit overlay: AprilTags: outlines, ids and, with a calibration, the 3-D axes of each tag's pose.
#pragma once
#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/overlay/canvas.hpp"
#include "rvkit/overlay/records.hpp"
#include "rvkit/vision/calibration.hpp"

namespace rvkit::overlay {

// Maps a record's pixel coordinates into a canvas, scaling when the record was made for another
// frame size than the one drawn (its w/h).
struct RecordToCanvas {
  const Canvas& canvas;
  double sx = 1, sy = 1;
  RecordToCanvas(const Canvas& c, const FrameDetections& d);
  cv::Point2d operator()(cv::Point2d p) const { return canvas.map({(p.x + 0.5) * sx - 0.5, (p.y + 0.5) * sy - 0.5}); }
};

class TagStage {
 public:
  // `axis_length`: metres along each axis (X red out of the tag's face, Y green to the viewer's right,
  // Z blue up; WPILib's tag frame), e.g. half the tag size.
  explicit TagStage(double axis_length = geometry::kDefaultTagSize / 2) : axis_length_(axis_length) {}
  // `calib`: the intrinsics at the frame's size; null: outlines and ids only.
  void draw(Canvas& c, const FrameDetections& d, const vision::CameraCalibration* calib) const;

 private:
  void draw_axes(Canvas& c, const geometry::Pose3& camera_to_tag, const vision::CameraCalibration& calib) const;
  double axis_length_;
};

}  // namespace rvkit::overlay
