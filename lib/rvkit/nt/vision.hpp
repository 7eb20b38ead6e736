// rvkit: what ntpub reads from a `detections` record (written by `detect`, docs/records.md).
//
// This is the one place that knows the record's field names: if detect's schema changes,
// change parse_detections() and nothing else. It accepts the documented names and a few
// obvious alternatives, so a record from an older or newer detect still publishes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/geometry/pose.hpp"

namespace rvkit::nt {

struct TagObservation {
  int64_t id = -1;
  double tx = 0, ty = 0;  // degrees from the principal point, right and up positive
  double area = 0;        // % of the image
  std::optional<double> center_x, center_y;  // pixels
  std::optional<geometry::Pose3> pose;       // the tag in the camera frame (WPILib axes), best solution
  std::optional<double> ambiguity;
  std::optional<double> distance;  // metres, camera to tag
};

struct FieldPose {
  std::optional<geometry::Pose3> camera;  // the camera on the field
  std::optional<geometry::Pose3> robot;   // the robot on the field
  std::vector<int64_t> tag_ids; // tags used for the solve
  std::optional<double> ambiguity, error;
  std::vector<double> std_devs;  // x, y, theta (as for WPILib's addVisionMeasurement), if given
};

struct VisionResult {
  std::string cam;
  int64_t seq = 0;
  int64_t t_capture = 0;  // µs, wall clock
  int64_t t_done = 0;     // µs, 0 if absent
  int width = 0, height = 0;
  std::string family;
  std::vector<TagObservation> tags;
  std::optional<FieldPose> field;
  // The primary target (Limelight's default: the largest), index into tags or -1.
  int primary = -1;
};

// Reads a detections record. Returns nullopt (and a reason in *problem) when it is not one
// ntpub can use (no t_capture, tags not an array ...).
std::optional<VisionResult> parse_detections(const Json& record, std::string* problem = nullptr);

}  // namespace rvkit::nt
