// rvkit: the little 3-D geometry NetworkTables publishing needs: WPILib-style poses
// (translation + unit quaternion), Euler angles as WPILib's Rotation3d reports them, the
// struct:Pose3d byte layout, and Limelight's camera/target axes.
#pragma once
#include <array>
#include <optional>
#include <string>

#include "rvkit/core/json.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

struct Quat {
  double w = 1, x = 0, y = 0, z = 0;
};
struct Vec3 {
  double x = 0, y = 0, z = 0;
};
using Mat3 = std::array<std::array<double, 3>, 3>;  // row-major

struct Pose3 {
  Vec3 t;
  Quat q;
};

Quat normalized(const Quat& q);
Mat3 to_matrix(const Quat& q);
Quat from_matrix(const Mat3& m);
Mat3 mul(const Mat3& a, const Mat3& b);
Vec3 mul(const Mat3& a, const Vec3& v);
Mat3 transpose(const Mat3& a);

// WPILib Rotation3d(roll, pitch, yaw): extrinsic rotations about X, then Y, then Z (radians).
Quat from_euler(double roll, double pitch, double yaw);
// The (roll, pitch, yaw) WPILib's Rotation3d.getX()/getY()/getZ() return, in radians.
Vec3 to_euler(const Quat& q);

Pose3 compose(const Pose3& a, const Pose3& b);  // a then b (b expressed in a's frame)
Pose3 inverse(const Pose3& p);
Vec3 apply(const Pose3& p, const Vec3& v);
double norm(const Vec3& v);

// [x, y, z, roll, pitch, yaw] with the angles in degrees (Limelight's and LimelightHelpers' layout).
std::array<double, 6> to_xyz_rpy_deg(const Pose3& p);

// A pose as WPILib's field layout JSON writes it:
//   {"translation":{"x":..,"y":..,"z":..},"rotation":{"quaternion":{"W":..,"X":..,"Y":..,"Z":..}}}
// Also accepted: lower-case quaternion keys, "rotation":{"roll","pitch","yaw"} in radians, and
// a 7-number array [x, y, z, qw, qx, qy, qz]. nullopt when `j` is none of these.
std::optional<Pose3> pose_from_json(const Json& j);
Json pose_to_json(const Pose3& p);

// struct:Pose3d: Translation3d (x, y, z) then Rotation3d (Quaternion w, x, y, z): 7 little-endian doubles.
Bytes pack_pose3d(const Pose3& p);
std::optional<Pose3> unpack_pose3d(const Bytes& b);
// The struct schemas struct:Pose3d depends on, as (type name, schema text), innermost first.
const std::array<std::pair<const char*, const char*>, 4>& pose3d_schemas();

// Limelight's axes. Camera space: X right, Y down, Z forward; target space: X right (as the
// camera sees it), Y down, Z into the tag. WPILib's: camera X forward, Y left, Z up; tag X out of
// the tag's face, Z up. Converts a tag pose in WPILib camera axes to Limelight's axes.
Pose3 wpilib_camera_to_limelight(const Pose3& tag_in_camera);

}  // namespace rvkit::nt
