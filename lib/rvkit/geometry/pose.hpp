// rvkit geometry: rigid transforms in WPILib's conventions, the one definition every module uses
// (detect's solvers, overlay's drawing, ntpub's struct:Pose3d and Limelight arrays, the records).
//
// Conventions (WPILib's):
//   field   origin at the blue alliance wall's right corner, X toward the red wall, Y left, Z up
//   camera  X forward (out of the lens), Y left, Z up          ("camera frame")
//   robot   X forward, Y left, Z up
//   tag     X out of the tag's face (toward a viewer), Y to the viewer's right, Z up
// OpenCV's optical frame (x right, y down, z forward) is used only inside vision/'s solvers, which
// convert with vision/cv_geometry.hpp. This module has no OpenCV: NetworkTables tools, the hub and
// the recorder use it without linking OpenCV.
//
// A Pose3 maps points of its child frame into its parent frame (p_parent = R p_child + t). "Pose of B
// in A" and "transform A-to-B" are the same Pose3, as in WPILib's Pose3d / Transform3d.
#pragma once
#include <array>
#include <string>

#include "rvkit/core/json.hpp"

namespace rvkit::geometry {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator-() const { return {-x, -y, -z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double operator[](int i) const { return i == 0 ? x : i == 1 ? y : z; }
  double norm() const;
};

// A 3x3 matrix, row-major: m[row][col].
struct Mat3 {
  std::array<std::array<double, 3>, 3> m{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};  // identity
  double operator()(int r, int c) const { return m[size_t(r)][size_t(c)]; }
  double& operator()(int r, int c) { return m[size_t(r)][size_t(c)]; }
  Mat3 operator*(const Mat3& o) const;
  Vec3 operator*(const Vec3& v) const;
  Mat3 transposed() const;
};

// A unit quaternion (w, x, y, z).
struct Quaternion {
  double w = 1, x = 0, y = 0, z = 0;
  Quaternion normalized() const;  // identity when the length is 0 or not finite
};

struct Pose3 {
  Mat3 R;    // rotation parent <- child
  Vec3 t;    // the child's origin in the parent frame, metres

  // T_a_b * T_b_c = T_a_c
  Pose3 operator*(const Pose3& o) const { return Pose3{R * o.R, R * o.t + t}; }
  Pose3 inverse() const;
  Vec3 apply(const Vec3& p) const { return R * p + t; }

  Quaternion quaternion() const;  // unit, with w >= 0
  static Pose3 from_quaternion(const Vec3& t, const Quaternion& q);  // q is normalised
  // WPILib's Rotation3d(roll, pitch, yaw): extrinsic rotations about X, then Y, then Z (radians).
  static Pose3 from_xyz_rpy(double x, double y, double z, double roll, double pitch, double yaw);
  Vec3 rpy() const;  // (roll, pitch, yaw) in radians, as Rotation3d.getX()/getY()/getZ()
};

Mat3 matrix_from_quaternion(const Quaternion& q);
Quaternion quaternion_from_matrix(const Mat3& m);  // w >= 0

// {"translation":{"x","y","z"},"rotation":{"quaternion":{"W","X","Y","Z"}}}: WPILib's JSON form (as in
// AprilTagFieldLayout files and docs/records.md), metres, values rounded to 1e-6.
Json pose_to_json(const Pose3& p);
// Parses that form; throws rvkit::Error naming `where` and the bad key
// ("field_pose.camera.rotation.quaternion: missing \"W\"").
Pose3 pose_from_json(const Json& j, const std::string& where);

// Rounds to a number of decimals, so records stay short and readable (never "-0").
double round_to(double v, int decimals);

}  // namespace rvkit::geometry
