// Test helper: images of AprilTags at exactly known 3-D poses, with their true corners.
//
// libapriltag's own tag image is warped by the exact pinhole homography of the pose onto an
// 8x supersampled canvas, averaged down (anti-aliasing), blurred a little and given noise.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/vision/cv_geometry.hpp"

namespace synth {

struct Camera {
  cv::Matx33d K;
  int w = 0, h = 0;
  static Camera with_hfov(int w, int h, double hfov_deg);  // square pixels, centred principal point
};

// The calibration detect would be given for this camera (exact intrinsics, no distortion).
inline rvkit::vision::CameraCalibration calibration_of(const Camera& cam) {
  rvkit::vision::CameraCalibration cal;
  cal.K = cam.K;
  cal.width = cam.w;
  cal.height = cam.h;
  cal.source = "synthetic";
  return cal;
}

struct Tag {
  int id = 0;
  rvkit::geometry::Pose3 camera_to_tag;  // pose of the tag in the WPILib camera frame
  double size = rvkit::geometry::kDefaultTagSize;  // black square edge, m
};

struct RenderOptions {
  std::string family = "36h11";
  double noise_sigma = 2.0;   // grey levels
  double blur_sigma = 0.6;    // pixels, optics
  int supersample = 8;
  uint64_t seed = 1;
};

// The grey image; throws std::runtime_error if a tag is not fully in front of the camera and in view.
cv::Mat render(const Camera& cam, const std::vector<Tag>& tags, const RenderOptions& opt = {});

// The true corners of a tag in libapriltag's order (bottom-left, bottom-right, top-right, top-left).
std::array<cv::Point2d, 4> true_corners(const Camera& cam, const Tag& tag);

// The WPILib camera-frame pose of a tag seen from a camera at `distance` m along its axis, offset
// by (left, up) m, rotated by yaw/pitch (deg) about the tag's own vertical/horizontal axes.
rvkit::geometry::Pose3 tag_in_front(double distance, double left, double up, double yaw_deg, double pitch_deg,
                                  double roll_deg = 0);

}  // namespace synth

namespace synth {

// The tags of a field layout that a camera at `field_to_camera` sees whole, facing it within
// `max_angle_deg`, no farther than `max_distance` m, as Tags for render().
std::vector<Tag> visible_tags(const Camera& cam, const rvkit::geometry::Pose3& field_to_camera,
                              const std::map<int, rvkit::geometry::Pose3>& layout, double tag_size,
                              double max_angle_deg = 60, double max_distance = 8);

}  // namespace synth
