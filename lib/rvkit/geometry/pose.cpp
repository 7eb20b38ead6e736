#include "rvkit/geometry/pose.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::geometry {

double Vec3::norm() const { return std::sqrt(x * x + y * y + z * z); }

Mat3 Mat3::operator*(const Mat3& o) const {
  Mat3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r(i, j) = (*this)(i, 0) * o(0, j) + (*this)(i, 1) * o(1, j) + (*this)(i, 2) * o(2, j);
  return r;
}

Vec3 Mat3::operator*(const Vec3& v) const {
  const Mat3& a = *this;
  return Vec3{a(0, 0) * v.x + a(0, 1) * v.y + a(0, 2) * v.z, a(1, 0) * v.x + a(1, 1) * v.y + a(1, 2) * v.z,
              a(2, 0) * v.x + a(2, 1) * v.y + a(2, 2) * v.z};
}

Mat3 Mat3::transposed() const {
  Mat3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r(i, j) = (*this)(j, i);
  return r;
}

Quaternion Quaternion::normalized() const {
  double n = std::sqrt(w * w + x * x + y * y + z * z);
  if (!(n > 1e-12) || !std::isfinite(n)) return Quaternion{};
  return Quaternion{w / n, x / n, y / n, z / n};
}

Pose3 Pose3::inverse() const {
  Mat3 rt = R.transposed();
  return Pose3{rt, -(rt * t)};
}

Mat3 matrix_from_quaternion(const Quaternion& qin) {
  Quaternion q = qin.normalized();
  double w = q.w, x = q.x, y = q.y, z = q.z;
  Mat3 r;
  r.m = {{{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
          {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
          {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}}};
  return r;
}

Quaternion quaternion_from_matrix(const Mat3& m) {
  // Shepperd's method: pick the largest of the four squared components for stability.
  double tr = m(0, 0) + m(1, 1) + m(2, 2);
  Quaternion q;
  if (tr > m(0, 0) && tr > m(1, 1) && tr > m(2, 2)) {
    double s = std::sqrt(1.0 + tr) * 2;
    q = {0.25 * s, (m(2, 1) - m(1, 2)) / s, (m(0, 2) - m(2, 0)) / s, (m(1, 0) - m(0, 1)) / s};
  } else if (m(0, 0) > m(1, 1) && m(0, 0) > m(2, 2)) {
    double s = std::sqrt(1.0 + m(0, 0) - m(1, 1) - m(2, 2)) * 2;
    q = {(m(2, 1) - m(1, 2)) / s, 0.25 * s, (m(0, 1) + m(1, 0)) / s, (m(0, 2) + m(2, 0)) / s};
  } else if (m(1, 1) > m(2, 2)) {
    double s = std::sqrt(1.0 + m(1, 1) - m(0, 0) - m(2, 2)) * 2;
    q = {(m(0, 2) - m(2, 0)) / s, (m(0, 1) + m(1, 0)) / s, 0.25 * s, (m(1, 2) + m(2, 1)) / s};
  } else {
    double s = std::sqrt(1.0 + m(2, 2) - m(0, 0) - m(1, 1)) * 2;
    q = {(m(1, 0) - m(0, 1)) / s, (m(0, 2) + m(2, 0)) / s, (m(1, 2) + m(2, 1)) / s, 0.25 * s};
  }
  if (q.w < 0) q = {-q.w, -q.x, -q.y, -q.z};
  return q.normalized();
}

Quaternion Pose3::quaternion() const { return quaternion_from_matrix(R); }

Pose3 Pose3::from_quaternion(const Vec3& t, const Quaternion& q) { return Pose3{matrix_from_quaternion(q), t}; }

Pose3 Pose3::from_xyz_rpy(double x, double y, double z, double roll, double pitch, double yaw) {
  double cr = std::cos(roll), sr = std::sin(roll);
  double cp = std::cos(pitch), sp = std::sin(pitch);
  double cy = std::cos(yaw), sy = std::sin(yaw);
  Mat3 rx, ry, rz;
  rx.m = {{{1, 0, 0}, {0, cr, -sr}, {0, sr, cr}}};
  ry.m = {{{cp, 0, sp}, {0, 1, 0}, {-sp, 0, cp}}};
  rz.m = {{{cy, -sy, 0}, {sy, cy, 0}, {0, 0, 1}}};
  return Pose3{rz * ry * rx, Vec3{x, y, z}};
}

Vec3 Pose3::rpy() const {
  // R = Rz(yaw) Ry(pitch) Rx(roll): R(2,0) = -sin(pitch).
  double pitch = std::asin(std::clamp(-R(2, 0), -1.0, 1.0));
  double roll, yaw;
  if (std::abs(R(2, 0)) < 1 - 1e-9) {
    roll = std::atan2(R(2, 1), R(2, 2));
    yaw = std::atan2(R(1, 0), R(0, 0));
  } else {  // gimbal lock: put everything into yaw
    roll = 0;
    yaw = std::atan2(-R(0, 1), R(1, 1));
  }
  return {roll, pitch, yaw};
}

double round_to(double v, int decimals) {
  double s = std::pow(10.0, decimals);
  double r = std::round(v * s) / s;
  return r == 0 ? 0.0 : r;  // no "-0.0" in records
}

Json pose_to_json(const Pose3& p) {
  Quaternion q = p.quaternion();
  Json j;
  j["translation"] = {{"x", round_to(p.t.x, 6)}, {"y", round_to(p.t.y, 6)}, {"z", round_to(p.t.z, 6)}};
  j["rotation"]["quaternion"] = {
      {"W", round_to(q.w, 6)}, {"X", round_to(q.x, 6)}, {"Y", round_to(q.y, 6)}, {"Z", round_to(q.z, 6)}};
  return j;
}

namespace {
double number_at(const Json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw Error(fmt::format("{}: expected an object", where));
  auto it = obj.find(key);
  if (it == obj.end()) throw Error(fmt::format("{}: missing \"{}\"", where, key));
  if (!it->is_number()) throw Error(fmt::format("{}: \"{}\" must be a number, got {}", where, key, it->dump()));
  double v = it->get<double>();
  if (!std::isfinite(v)) throw Error(fmt::format("{}: \"{}\" is not finite", where, key));
  return v;
}
const Json& object_at(const Json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw Error(fmt::format("{}: expected an object", where));
  auto it = obj.find(key);
  if (it == obj.end()) throw Error(fmt::format("{}: missing \"{}\"", where, key));
  if (!it->is_object()) throw Error(fmt::format("{}: \"{}\" must be an object", where, key));
  return *it;
}
}  // namespace

Pose3 pose_from_json(const Json& j, const std::string& where) {
  const Json& tr = object_at(j, "translation", where);
  const Json& rot = object_at(j, "rotation", where);
  const Json& q = object_at(rot, "quaternion", where + ".rotation");
  std::string wt = where + ".translation", wq = where + ".rotation.quaternion";
  Vec3 t{number_at(tr, "x", wt), number_at(tr, "y", wt), number_at(tr, "z", wt)};
  Quaternion quat{number_at(q, "W", wq), number_at(q, "X", wq), number_at(q, "Y", wq), number_at(q, "Z", wq)};
  double n = std::sqrt(quat.w * quat.w + quat.x * quat.x + quat.y * quat.y + quat.z * quat.z);
  if (!(n > 1e-6)) throw Error(fmt::format("{}: the quaternion has zero length", wq));
  return Pose3::from_quaternion(t, quat);
}

}  // namespace rvkit::geometry
