#include "rvkit/vision/cv_geometry.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>

#include "rvkit/core/error.hpp"

namespace rvkit::vision {

double round_to(double v, int decimals) {
  double s = std::pow(10.0, decimals);
  double r = std::round(v * s) / s;
  return r == 0 ? 0.0 : r;  // no "-0.0" in records
}

Quaternion Pose3::quaternion() const {
  // Shepperd's method: pick the largest of the four squared components for stability.
  const cv::Matx33d& m = R;
  double tr = m(0, 0) + m(1, 1) + m(2, 2);
  Quaternion q;
  if (tr > m(0, 0) && tr > m(1, 1) && tr > m(2, 2)) {
    double s = std::sqrt(1.0 + tr) * 2;
    q.w = 0.25 * s;
    q.x = (m(2, 1) - m(1, 2)) / s;
    q.y = (m(0, 2) - m(2, 0)) / s;
    q.z = (m(1, 0) - m(0, 1)) / s;
  } else if (m(0, 0) > m(1, 1) && m(0, 0) > m(2, 2)) {
    double s = std::sqrt(1.0 + m(0, 0) - m(1, 1) - m(2, 2)) * 2;
    q.w = (m(2, 1) - m(1, 2)) / s;
    q.x = 0.25 * s;
    q.y = (m(0, 1) + m(1, 0)) / s;
    q.z = (m(0, 2) + m(2, 0)) / s;
  } else if (m(1, 1) > m(2, 2)) {
    double s = std::sqrt(1.0 + m(1, 1) - m(0, 0) - m(2, 2)) * 2;
    q.w = (m(0, 2) - m(2, 0)) / s;
    q.x = (m(0, 1) + m(1, 0)) / s;
    q.y = 0.25 * s;
    q.z = (m(1, 2) + m(2, 1)) / s;
  } else {
    double s = std::sqrt(1.0 + m(2, 2) - m(0, 0) - m(1, 1)) * 2;
    q.w = (m(1, 0) - m(0, 1)) / s;
    q.x = (m(0, 2) + m(2, 0)) / s;
    q.y = (m(1, 2) + m(2, 1)) / s;
    q.z = 0.25 * s;
  }
  double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  if (q.w < 0) n = -n;
  q.w /= n;
  q.x /= n;
  q.y /= n;
  q.z /= n;
  return q;
}

Pose3 Pose3::from_quaternion(const cv::Vec3d& t, const Quaternion& q0) {
  double n = std::sqrt(q0.w * q0.w + q0.x * q0.x + q0.y * q0.y + q0.z * q0.z);
  double w = q0.w / n, x = q0.x / n, y = q0.y / n, z = q0.z / n;
  cv::Matx33d r(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y));
  return Pose3(r, t);
}

Pose3 Pose3::from_xyz_rpy(double x, double y, double z, double roll, double pitch, double yaw) {
  double cr = std::cos(roll), sr = std::sin(roll);
  double cp = std::cos(pitch), sp = std::sin(pitch);
  double cy = std::cos(yaw), sy = std::sin(yaw);
  cv::Matx33d rx(1, 0, 0, 0, cr, -sr, 0, sr, cr);
  cv::Matx33d ry(cp, 0, sp, 0, 1, 0, -sp, 0, cp);
  cv::Matx33d rz(cy, -sy, 0, sy, cy, 0, 0, 0, 1);
  return Pose3(rz * ry * rx, cv::Vec3d(x, y, z));
}

cv::Vec3d Pose3::rpy() const {
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

const cv::Matx33d& cv_from_camera() {
  // optical x = -camera Y, optical y = -camera Z, optical z = camera X
  static const cv::Matx33d m(0, -1, 0,
                             0, 0, -1,
                             1, 0, 0);
  return m;
}

Pose3 camera_pose_from_cv(const cv::Vec3d& rvec, const cv::Vec3d& tvec, const cv::Matx33d& solver_from_object) {
  cv::Matx33d r;
  cv::Rodrigues(rvec, r);
  // p_optical = r * p_solver + t;  p_camera = C^T p_optical;  p_solver = S p_object
  cv::Matx33d ct = cv_from_camera().t();
  return Pose3(ct * r * solver_from_object, ct * tvec);
}

Json pose_to_json(const Pose3& p) {
  Quaternion q = p.quaternion();
  Json j;
  j["translation"] = {{"x", round_to(p.t[0], 6)}, {"y", round_to(p.t[1], 6)}, {"z", round_to(p.t[2], 6)}};
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
  cv::Vec3d t(number_at(tr, "x", wt), number_at(tr, "y", wt), number_at(tr, "z", wt));
  Quaternion quat{number_at(q, "W", wq), number_at(q, "X", wq), number_at(q, "Y", wq), number_at(q, "Z", wq)};
  double n = std::sqrt(quat.w * quat.w + quat.x * quat.x + quat.y * quat.y + quat.z * quat.z);
  if (!(n > 1e-6)) throw Error(fmt::format("{}: the quaternion has zero length", wq));
  return Pose3::from_quaternion(t, quat);
}

}  // namespace rvkit::vision
