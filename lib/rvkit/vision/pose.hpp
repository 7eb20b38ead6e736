// rvkit vision: tag poses (IPPE-square) and the camera's / robot's pose on the field: unconstrained
// (SQPnP over every corner, refined by Levenberg-Marquardt, outlier tags left out) and
// heading-constrained (the robot's yaw known from its gyro, only its position solved: Limelight's
// MegaTag2, PhotonVision's constrained SolvePnP). Pure functions, thread-safe.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/geometry/pose.hpp"

namespace rvkit::vision {

using geometry::kDefaultTagSize;  // defined in rvkit/geometry/tag_size.hpp

// The 3-D corners of a tag of edge `size` in the tag's own frame (X out of the face, Y to the
// viewer's right, Z up), in libapriltag's corner order.
std::array<cv::Vec3d, 4> tag_corners(double size);

struct TagPoseSolution {
  geometry::Pose3 camera_to_tag;  // the tag's pose in the camera frame
  double error = 0;     // RMS reprojection error of the 4 corners, pixels
};

struct TagPose {
  std::vector<TagPoseSolution> solutions;  // IPPE-square's two solutions, best (lowest error) first
  double ambiguity = 0;                    // best error / alternate error (PhotonVision's), 0..1
  double distance = 0;                     // |translation| of the best solution, m
};

// Both planar solutions for one tag. Throws nothing; an empty result if the solver fails.
TagPose solve_tag_pose(const TagDetection& d, const CameraCalibration& cal, double tag_size);

// Where the tags of `layout` would appear to a camera at `field_to_camera` (calibrated by `cal`, an
// image of cal's size): each tag at least 0.3 m in front of the camera, its face turned towards it
// within 75 degrees, its four corners inside the image, with its projected corners (libapriltag's
// order, OpenCV's pixel convention) and centre. For detect --track's hints (tag_tracker.hpp).
std::vector<TagDetection> project_layout(const geometry::FieldLayout& layout, const geometry::Pose3& field_to_camera,
                                         const CameraCalibration& cal, const geometry::TagSizes& sizes);

// One tag's RMS reprojection error under a field pose, px.
struct TagResidual {
  int id = 0;
  double error = 0;
};

struct FieldPose {
  bool multi_tag = false;          // true: one SQPnP solve over all corners of >= 2 known tags
  bool heading_constrained = false;  // true: solve_constrained_pose's (position only, yaw given)
  std::vector<int> tag_ids;        // the tags used
  std::vector<double> tag_errors;  // parallel to tag_ids: each tag's RMS reprojection error, px
  std::vector<TagResidual> rejected;  // layout tags in view left out as outliers, with their error
  geometry::Pose3 camera;          // the camera's pose on the field
  std::optional<geometry::Pose3> robot;  // the robot's, when the robot-to-camera transform is known
  double error = 0;                // RMS reprojection error of the corners used, pixels
  double ambiguity = 0;            // single tag only: that tag's ambiguity (0 for multi-tag)
  double distance = 0;             // mean camera-to-tag distance of the tags used, m
  std::array<double, 3> std_devs{};  // x (m), y (m), heading (rad): for addVisionMeasurement
};

// How a field pose treats tags that disagree with the rest (a misdetection, a partly hidden tag, a
// tag moved on the field). A joint fit spreads one bad tag's error over all, so with three or more
// tags the fits without each one tag are compared: when the joint RMS reprojection error is above
// `outlier_floor_px` and more than `outlier_factor` times that of the most consistent subset, the tag
// that subset leaves out is rejected, and the rest solved again (repeatedly, down to two tags). Two
// tags cannot say which of them is wrong, unless the joint fit's errors single one out: the worse is
// rejected when above the floor and `outlier_factor` times the other's. A single tag left over falls
// back to its own IPPE solution (unconstrained) or is solved alone (constrained).
struct FieldPoseOptions {
  bool refine = true;             // Levenberg-Marquardt over all corners after SQPnP (multi-tag)
  double outlier_factor = 3.0;    // 0: never reject
  double outlier_floor_px = 1.0;  // errors below this are noise, never outliers
};

// The field pose from the detections of tags in `layout` (each tag of its size in `tag_size`);
// nullopt when none is known or the solve fails. `tag_poses` (parallel to `dets`) gives the per-tag solutions for the one-tag case.
std::optional<FieldPose> solve_field_pose(const std::vector<TagDetection>& dets, const std::vector<TagPose>& tag_poses,
                                          const geometry::FieldLayout& layout, const CameraCalibration& cal,
                                          const geometry::TagSizes& tag_size,
                                          const std::optional<geometry::Pose3>& robot_to_camera,
                                          const FieldPoseOptions& options = {});

// The robot's field yaw, as the gyro gives it (WPILib: counter-clockwise positive, blue origin).
struct HeadingConstraint {
  double yaw = 0;          // rad
  double sigma_yaw = 0;    // rad: its uncertainty, for the position's std-devs (0: exact)
};

// The heading-constrained pose: the robot stands level (roll = pitch = 0) at the given yaw, the
// camera at `robot_to_camera` on it, so the camera's rotation is known and only its position (x, y,
// z) is solved, over every corner of the layout's tags in view: linear least squares on the
// normalised image points, then Gauss-Newton on the pixel reprojection error. Outliers as above.
// std_devs: σx, σy from the fit's covariance (at least 1 px of corner noise) and the heading's
// uncertainty times the distance to the tags, at least 0.01 m; σθ = 1e6 (the heading is the gyro's
// own: feeding it back adds nothing). Nullopt (with `why` set) when no layout tag is in view or the
// solve fails.
std::optional<FieldPose> solve_constrained_pose(const std::vector<TagDetection>& dets, const geometry::FieldLayout& layout,
                                                const CameraCalibration& cal, const geometry::TagSizes& tag_size,
                                                const geometry::Pose3& robot_to_camera, const HeadingConstraint& heading,
                                                const FieldPoseOptions& options = {}, std::string* why = nullptr);

// The standard-deviation model (docs/records.md "Standard deviations"):
//   e  = max(reprojection RMS error, 1.0) px     s = span of the tag corners used, m
//   d  = mean distance to the tags used, m       f = mean focal length, px
//   σxy = max(0.02, 2 e d² / (f s)) m,  σθ = max(0.02, 4 e d / (f s)) rad
//   one tag: both times 3 and times (1 + 20 ambiguity);  robot pose: σxy grows by σθ times the
//   camera's horizontal offset from the robot centre.
std::array<double, 3> vision_std_devs(double reproj_error, double distance, double focal_px, double span_m,
                                      bool single_tag, double ambiguity, double lever_arm_m);

}  // namespace rvkit::vision
