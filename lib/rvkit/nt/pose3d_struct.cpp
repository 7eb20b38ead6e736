#include "rvkit/nt/pose3d_struct.hpp"

#include <cstring>

namespace rvkit::nt {

namespace {
void put_le_double(Bytes& out, double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(u >> (8 * i)));
}
double get_le_double(const uint8_t* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= uint64_t(p[i]) << (8 * i);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}
}  // namespace

Bytes pack_pose3d(const geometry::Pose3& p) {
  geometry::Quaternion q = p.quaternion();
  Bytes b;
  b.reserve(56);
  for (double d : {p.t.x, p.t.y, p.t.z, q.w, q.x, q.y, q.z}) put_le_double(b, d);
  return b;
}

std::optional<geometry::Pose3> unpack_pose3d(const Bytes& b) {
  if (b.size() != 56) return std::nullopt;
  double d[7];
  for (int i = 0; i < 7; ++i) d[i] = get_le_double(b.data() + 8 * i);
  return geometry::Pose3::from_quaternion({d[0], d[1], d[2]}, {d[3], d[4], d[5], d[6]});
}

const std::array<std::pair<const char*, const char*>, 4>& pose3d_schemas() {
  static const std::array<std::pair<const char*, const char*>, 4> s = {{
      {"Translation3d", "double x;double y;double z"},
      {"Quaternion", "double w;double x;double y;double z"},
      {"Rotation3d", "Quaternion q"},
      {"Pose3d", "Translation3d translation;Rotation3d rotation"},
  }};
  return s;
}

}  // namespace rvkit::nt
