// rvkit nt: Limelight's axes and its pose arrays, for ntpub's --schema limelight (docs/nt.md).
//
// A Limelight (and LimelightHelpers on the robot) writes poses as 6 doubles
// [x, y, z, roll, pitch, yaw]: metres, and degrees as WPILib's Rotation3d reports them. Its camera
// and target spaces are not WPILib's: camera space is X right, Y down, Z forward; target space is
// X right (as the camera sees the tag), Y down, Z into the tag. rvkit's poses are geometry::Pose3 in
// WPILib's axes (camera X forward, Y left, Z up; tag X out of its face, Z up); this is where they
// are turned into Limelight's.
#pragma once
#include <array>

#include "rvkit/geometry/pose.hpp"

namespace rvkit::nt {

// [x, y, z, roll, pitch, yaw], metres and degrees (Limelight's and LimelightHelpers' layout; also
// ntpub's robotPoseArray / cameraPoseArray).
std::array<double, 6> to_xyz_rpy_deg(const geometry::Pose3& p);

// A tag's pose in WPILib camera axes, as the pose of Limelight's target frame in its camera frame.
geometry::Pose3 wpilib_camera_to_limelight(const geometry::Pose3& tag_in_camera);

}  // namespace rvkit::nt
