// rvkit vision: rigid transforms and the coordinate conventions of WPILib.
//
// Conventions (WPILib's):
//   field   origin at the blue alliance wall's right corner, X toward the red wall, Y left, Z up
//   camera  X forward (out of the lens), Y left, Z up          ("camera frame")
//   robot   X forward, Y left, Z up
//   tag     X out of the tag's face (toward a viewer), Y to the viewer's right, Z up
// OpenCV's optical frame (x right, y down, z forward) is used only inside the solvers.
#pragma once
#include <string>

#include <opencv2/core.hpp>

#include "rvkit/core/json.hpp"

namespace rvkit::vision {

struct Quaternion {
  double w = 1, x = 0, y = 0, z = 0;
};

// A rigid transform: maps points of its child frame into its parent frame (p_parent = R p_child + t).
// "Pose of B in A" and "transform A-to-B" are the same Pose3 (as in WPILib's Transform3d).
struct Pose3 {
  cv::Matx33d R = cv::Matx33d::eye();
  cv::Vec3d t{0, 0, 0};

  Pose3() = default;
  Pose3(const cv::Matx33d& r, const cv::Vec3d& tr) : R(r), t(tr) {}

  // T_a_b * T_b_c = T_a_c
  Pose3 operator*(const Pose3& o) const { return Pose3(R * o.R, R * o.t + t); }
  Pose3 inverse() const {
    cv::Matx33d rt = R.t();
    return Pose3(rt, -(rt * t));
  }
  cv::Vec3d apply(const cv::Vec3d& p) const { return R * p + t; }

  Quaternion quaternion() const;  // unit, with w >= 0
  static Pose3 from_quaternion(const cv::Vec3d& t, const Quaternion& q);  // q is normalised
  // WPILib's Rotation3d(roll, pitch, yaw): extrinsic rotations about X, then Y, then Z (radians).
  static Pose3 from_xyz_rpy(double x, double y, double z, double roll, double pitch, double yaw);
  cv::Vec3d rpy() const;  // (roll, pitch, yaw) in radians, inverse of from_xyz_rpy
};

// Rotation taking WPILib camera-frame coordinates to OpenCV optical-frame coordinates.
const cv::Matx33d& cv_from_camera();
// A solver's result (rvec/tvec: optical frame <- object frame) as a Pose3 of the object in the
// WPILib camera frame, given the rotation from the WPILib-style object frame to the solver's.
Pose3 camera_pose_from_cv(const cv::Vec3d& rvec, const cv::Vec3d& tvec,
                          const cv::Matx33d& solver_from_object = cv::Matx33d::eye());

// {"translation":{"x","y","z"},"rotation":{"quaternion":{"W","X","Y","Z"}}}: WPILib's JSON form
// (as in AprilTagFieldLayout files), metres, values rounded to 1e-6.
Json pose_to_json(const Pose3& p);
// Parses that form; throws rvkit::Error naming `where` and the bad key.
Pose3 pose_from_json(const Json& j, const std::string& where);

// Rounds to a number of decimals, so records stay short and readable.
double round_to(double v, int decimals);

}  // namespace rvkit::vision
