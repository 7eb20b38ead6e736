#include "rvkit/nt/pose3d_struct.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rvkit::nt {

Quat normalized(const Quat& q) {
  double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  if (!(n > 1e-12) || !std::isfinite(n)) return Quat{};
  return Quat{q.w / n, q.x / n, q.y / n, q.z / n};
}

Mat3 to_matrix(const Quat& qin) {
  Quat q = normalized(qin);
  double w = q.w, x = q.x, y = q.y, z = q.z;
  return Mat3{{{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
               {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
               {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}}};
}

Quat from_matrix(const Mat3& m) {
  // Shepperd's method: pick the largest diagonal term for numerical stability.
  double tr = m[0][0] + m[1][1] + m[2][2];
  Quat q;
  if (tr > 0) {
    double s = std::sqrt(tr + 1.0) * 2;
    q = {0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s};
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    double s = std::sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2;
    q = {(m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s};
  } else if (m[1][1] > m[2][2]) {
    double s = std::sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2;
    q = {(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s};
  } else {
    double s = std::sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2;
    q = {(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s};
  }
  if (q.w < 0) q = {-q.w, -q.x, -q.y, -q.z};
  return normalized(q);
}

Mat3 mul(const Mat3& a, const Mat3& b) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return r;
}

Vec3 mul(const Mat3& a, const Vec3& v) {
  return Vec3{a[0][0] * v.x + a[0][1] * v.y + a[0][2] * v.z, a[1][0] * v.x + a[1][1] * v.y + a[1][2] * v.z,
              a[2][0] * v.x + a[2][1] * v.y + a[2][2] * v.z};
}

Mat3 transpose(const Mat3& a) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[j][i];
  return r;
}

Quat from_euler(double roll, double pitch, double yaw) {
  double cr = std::cos(roll / 2), sr = std::sin(roll / 2);
  double cp = std::cos(pitch / 2), sp = std::sin(pitch / 2);
  double cy = std::cos(yaw / 2), sy = std::sin(yaw / 2);
  return Quat{cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
              cr * cp * sy - sr * sp * cy};
}

Vec3 to_euler(const Quat& qin) {
  Quat q = normalized(qin);
  double w = q.w, x = q.x, y = q.y, z = q.z;
  double roll = std::atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  double sp = std::clamp(2 * (w * y - z * x), -1.0, 1.0);
  double pitch = std::asin(sp);
  double yaw = std::atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return Vec3{roll, pitch, yaw};
}

Vec3 apply(const Pose3& p, const Vec3& v) {
  Vec3 r = mul(to_matrix(p.q), v);
  return Vec3{r.x + p.t.x, r.y + p.t.y, r.z + p.t.z};
}

Pose3 compose(const Pose3& a, const Pose3& b) {
  Pose3 r;
  r.t = apply(a, b.t);
  r.q = from_matrix(mul(to_matrix(a.q), to_matrix(b.q)));
  return r;
}

Pose3 inverse(const Pose3& p) {
  Mat3 rt = transpose(to_matrix(p.q));
  Vec3 t = mul(rt, p.t);
  return Pose3{Vec3{-t.x, -t.y, -t.z}, from_matrix(rt)};
}

double norm(const Vec3& v) { return std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z); }

std::array<double, 6> to_xyz_rpy_deg(const Pose3& p) {
  Vec3 e = to_euler(p.q);
  constexpr double k = 180.0 / M_PI;
  return {p.t.x, p.t.y, p.t.z, e.x * k, e.y * k, e.z * k};
}

namespace {
std::optional<double> num(const Json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return std::nullopt;
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}
}  // namespace

std::optional<Pose3> pose_from_json(const Json& j) {
  if (j.is_array() && j.size() == 7) {
    for (const auto& e : j)
      if (!e.is_number()) return std::nullopt;
    Pose3 p{{j[0].get<double>(), j[1].get<double>(), j[2].get<double>()},
            {j[3].get<double>(), j[4].get<double>(), j[5].get<double>(), j[6].get<double>()}};
    p.q = normalized(p.q);
    return p;
  }
  if (!j.is_object()) return std::nullopt;
  auto ti = j.find("translation");
  auto ri = j.find("rotation");
  if (ti == j.end() || ri == j.end()) return std::nullopt;
  auto x = num(*ti, {"x", "X"}), y = num(*ti, {"y", "Y"}), z = num(*ti, {"z", "Z"});
  if (!x || !y || !z) return std::nullopt;
  Pose3 p;
  p.t = {*x, *y, *z};
  auto qi = ri->find("quaternion");
  if (qi != ri->end()) {
    auto w = num(*qi, {"W", "w"}), qx = num(*qi, {"X", "x"}), qy = num(*qi, {"Y", "y"}), qz = num(*qi, {"Z", "z"});
    if (!w || !qx || !qy || !qz) return std::nullopt;
    p.q = normalized(Quat{*w, *qx, *qy, *qz});
    return p;
  }
  auto roll = num(*ri, {"roll", "x", "X"}), pitch = num(*ri, {"pitch", "y", "Y"}), yaw = num(*ri, {"yaw", "z", "Z"});
  if (!roll || !pitch || !yaw) return std::nullopt;
  p.q = from_euler(*roll, *pitch, *yaw);
  return p;
}

Json pose_to_json(const Pose3& p) {
  Json t = {{"x", p.t.x}, {"y", p.t.y}, {"z", p.t.z}};
  Json q = {{"W", p.q.w}, {"X", p.q.x}, {"Y", p.q.y}, {"Z", p.q.z}};
  return Json{{"translation", t}, {"rotation", Json{{"quaternion", q}}}};
}

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

Bytes pack_pose3d(const Pose3& p) {
  Bytes b;
  b.reserve(56);
  for (double d : {p.t.x, p.t.y, p.t.z, p.q.w, p.q.x, p.q.y, p.q.z}) put_le_double(b, d);
  return b;
}

std::optional<Pose3> unpack_pose3d(const Bytes& b) {
  if (b.size() != 56) return std::nullopt;
  double d[7];
  for (int i = 0; i < 7; ++i) d[i] = get_le_double(b.data() + 8 * i);
  return Pose3{{d[0], d[1], d[2]}, {d[3], d[4], d[5], d[6]}};
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

Pose3 wpilib_camera_to_limelight(const Pose3& tag) {
  // M: WPILib camera coordinates -> Limelight camera coordinates (x=-y, y=-z, z=x).
  static const Mat3 M = {{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}}};
  // N: Limelight target axes expressed in the WPILib tag frame (columns: X=+Y, Y=-Z, Z=-X).
  static const Mat3 N = {{{0, 0, -1}, {1, 0, 0}, {0, -1, 0}}};
  Pose3 r;
  r.t = mul(M, tag.t);
  r.q = from_matrix(mul(mul(M, to_matrix(tag.q)), N));
  return r;
}

}  // namespace rvkit::nt
