#include "rvkit/nt/limelight_axes.hpp"

#include <cmath>

namespace rvkit::nt {

std::array<double, 6> to_xyz_rpy_deg(const geometry::Pose3& p) {
  geometry::Vec3 e = p.rpy();
  constexpr double k = 180.0 / M_PI;
  return {p.t.x, p.t.y, p.t.z, e.x * k, e.y * k, e.z * k};
}

geometry::Pose3 wpilib_camera_to_limelight(const geometry::Pose3& tag) {
  // M: WPILib camera coordinates -> Limelight camera coordinates (x=-y, y=-z, z=x).
  // N: Limelight target axes expressed in the WPILib tag frame (columns: X=+Y, Y=-Z, Z=-X).
  geometry::Mat3 M, N;
  M.m = {{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}}};
  N.m = {{{0, 0, -1}, {1, 0, 0}, {0, -1, 0}}};
  return geometry::Pose3{M * tag.R * N, M * tag.t};
}

}  // namespace rvkit::nt
