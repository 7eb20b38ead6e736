// geometry/pose: rigid transforms, quaternions, WPILib's Rotation3d angles and the pose JSON form,
// checked against WPILib's own formulas (written out below from Rotation3d's documented math).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>

#include "rvkit/core/error.hpp"
#include "rvkit/geometry/pose.hpp"

using namespace rvkit;
using namespace rvkit::geometry;

namespace {

// Rotation3d(roll, pitch, yaw)'s quaternion, as WPILib computes it.
Quaternion wpilib_quaternion(double roll, double pitch, double yaw) {
  double cr = std::cos(roll / 2), sr = std::sin(roll / 2);
  double cp = std::cos(pitch / 2), sp = std::sin(pitch / 2);
  double cy = std::cos(yaw / 2), sy = std::sin(yaw / 2);
  return {cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
          cr * cp * sy - sr * sp * cy};
}

// Rotation3d.getX()/getY()/getZ() of a quaternion, as WPILib computes them (roll 0 at gimbal lock).
Vec3 wpilib_angles(const Quaternion& q) {
  double w = q.w, x = q.x, y = q.y, z = q.z;
  double cxcy = 1 - 2 * (x * x + y * y), sxcy = 2 * (w * x + y * z);
  double roll = cxcy * cxcy + sxcy * sxcy > 1e-20 ? std::atan2(sxcy, cxcy) : 0.0;
  double ratio = 2 * (w * y - z * x);
  double pitch = std::abs(ratio) >= 1 ? std::copysign(M_PI / 2, ratio) : std::asin(ratio);
  double cycz = 1 - 2 * (y * y + z * z), cysz = 2 * (w * z + x * y);
  double yaw = cycz * cycz + cysz * cysz > 1e-20 ? std::atan2(cysz, cycz) : std::atan2(2 * w * z, w * w - z * z);
  return {roll, pitch, yaw};
}

double angle_diff(double a, double b) { return std::abs(std::remainder(a - b, 2 * M_PI)); }

// The same rotation: q and -q are equal rotations.
double quaternion_distance(const Quaternion& a, const Quaternion& b) {
  return 1 - std::abs(a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z);
}

double matrix_distance(const Mat3& a, const Mat3& b) {
  double d = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) d = std::max(d, std::abs(a(i, j) - b(i, j)));
  return d;
}

void check_close(double a, double b, const char* what, double tol = 1e-6) {
  CAPTURE(what);
  CHECK(std::fabs(a - b) < tol);
}

std::string field_pose_error(const Json& j) {
  try {
    pose_from_json(j, "field_pose.camera");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("geometry pose: compose, inverse and apply") {
  Pose3 a = Pose3::from_xyz_rpy(1, 2, 3, 0.1, 0.2, 0.3);
  Pose3 id = a * a.inverse();
  CHECK(id.t.norm() < 1e-12);
  CHECK(matrix_distance(id.R, Mat3{}) < 1e-12);
  Pose3 id2 = a.inverse() * a;
  CHECK(id2.t.norm() < 1e-12);
  // T_a_b * T_b_c = T_a_c: a point of c reaches a through b.
  Pose3 b = Pose3::from_xyz_rpy(0, 0, 1, 0, 0, M_PI / 2);
  Pose3 c = Pose3::from_xyz_rpy(1, 0, 0, 0, 0, 0);
  Vec3 p = (b * c).apply(Vec3{0, 0, 0});
  CHECK(p.x == doctest::Approx(0).epsilon(1e-12));
  CHECK(p.y == doctest::Approx(1));
  CHECK(p.z == doctest::Approx(1));
  Vec3 q = b.apply(c.apply(Vec3{0.5, -0.25, 2}));
  Vec3 r = (b * c).apply(Vec3{0.5, -0.25, 2});
  CHECK((q - r).norm() < 1e-12);
  // The inverse maps back.
  Vec3 s = a.inverse().apply(a.apply(Vec3{4, 5, 6}));
  CHECK((s - Vec3{4, 5, 6}).norm() < 1e-12);
}

// (These two were nt's geometry tests, as ntpub's Limelight arrays rely on them.)
TEST_CASE("geometry pose: Euler angles match WPILib's Rotation3d (extrinsic X, Y, Z)") {
  for (auto [r, p, y] : {std::array<double, 3>{0.1, -0.2, 0.3}, {0, 0, M_PI / 2}, {-1.0, 0.5, -2.5}}) {
    Vec3 e = Pose3::from_xyz_rpy(0, 0, 0, r, p, y).rpy();
    check_close(e.x, r, "roll");
    check_close(e.y, p, "pitch");
    check_close(e.z, y, "yaw");
  }
  // Yaw 90°: X goes to Y.
  Vec3 v = Pose3::from_xyz_rpy(0, 0, 0, 0, 0, M_PI / 2).R * Vec3{1, 0, 0};
  check_close(v.x, 0, "x");
  check_close(v.y, 1, "y");
  // Extrinsic X then Z: roll 90° then yaw 90° sends Y to Z, then Z stays Z.
  Vec3 w = Pose3::from_xyz_rpy(0, 0, 0, M_PI / 2, 0, M_PI / 2).R * Vec3{0, 1, 0};
  check_close(w.z, 1, "z");
  // Matrix <-> quaternion round trip.
  Quaternion q = wpilib_quaternion(0.3, -0.4, 2.0);
  Quaternion q2 = quaternion_from_matrix(matrix_from_quaternion(q));
  check_close(std::fabs(q.w * q2.w + q.x * q2.x + q.y * q2.y + q.z * q2.z), 1.0, "same rotation");
}

TEST_CASE("geometry pose: compose and inverse (T_a_b * T_b_c = T_a_c)") {
  Pose3 a = Pose3::from_xyz_rpy(1, 2, 3, 0.1, 0.2, 0.3);
  Pose3 id = a * a.inverse();
  check_close(id.t.norm(), 0, "translation");
  check_close(std::fabs(id.quaternion().w), 1, "rotation");
  Pose3 b = Pose3::from_xyz_rpy(0, 0, 1, 0, 0, M_PI / 2);
  Vec3 p = (b * Pose3{Mat3{}, Vec3{1, 0, 0}}).apply(Vec3{0, 0, 0});
  check_close(p.x, 0, "x");
  check_close(p.y, 1, "y");
  check_close(p.z, 1, "z");
}

TEST_CASE("geometry pose: quaternion <-> matrix round trip") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int i = 0; i < 500; ++i) {
    Quaternion q = Quaternion{u(rng), u(rng), u(rng), u(rng)}.normalized();
    Pose3 p = Pose3::from_quaternion(Vec3{1, 2, 3}, q);
    Quaternion back = p.quaternion();
    CHECK(back.w >= 0);
    CHECK(back.w * back.w + back.x * back.x + back.y * back.y + back.z * back.z == doctest::Approx(1));
    CHECK(quaternion_distance(back, q) < 1e-12);
    CHECK(matrix_distance(Pose3::from_quaternion(p.t, back).R, p.R) < 1e-12);
  }
  // Half turns (trace -1), where a naive conversion divides by zero.
  for (Quaternion q : {Quaternion{0, 1, 0, 0}, Quaternion{0, 0, 1, 0}, Quaternion{0, 0, 0, 1}}) {
    Quaternion back = Pose3::from_quaternion(Vec3{}, q).quaternion();
    CHECK(quaternion_distance(back, q) < 1e-12);
  }
  // A quaternion of length 0 is the identity; others are normalised.
  CHECK(matrix_distance(matrix_from_quaternion(Quaternion{0, 0, 0, 0}), Mat3{}) < 1e-12);
  CHECK(matrix_distance(matrix_from_quaternion(Quaternion{2, 0, 0, 0}), Mat3{}) < 1e-12);
}

TEST_CASE("geometry pose: from_xyz_rpy and rpy match WPILib's Rotation3d") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> angle(-M_PI, M_PI), half(-M_PI / 2 + 1e-3, M_PI / 2 - 1e-3);
  for (int i = 0; i < 500; ++i) {
    double r = angle(rng), p = half(rng), y = angle(rng);
    Pose3 a = Pose3::from_xyz_rpy(1, 2, 3, r, p, y);
    CHECK(quaternion_distance(a.quaternion(), wpilib_quaternion(r, p, y)) < 1e-12);
    Vec3 e = a.rpy(), w = wpilib_angles(wpilib_quaternion(r, p, y));
    CHECK(angle_diff(e.x, w.x) < 1e-9);
    CHECK(angle_diff(e.y, w.y) < 1e-9);
    CHECK(angle_diff(e.z, w.z) < 1e-9);
    CHECK(angle_diff(e.x, r) < 1e-9);  // and they are the angles it was made from
    CHECK(angle_diff(e.y, p) < 1e-9);
    CHECK(angle_diff(e.z, y) < 1e-9);
  }
  // Gimbal lock (pitch ±90°): WPILib reports roll 0 and puts the rest into yaw.
  for (auto [r, p, y] : {std::array<double, 3>{0.3, M_PI / 2, 0.5}, {0.3, -M_PI / 2, 0.5}, {1.0, M_PI / 2, 0}}) {
    Vec3 e = Pose3::from_xyz_rpy(0, 0, 0, r, p, y).rpy(), w = wpilib_angles(wpilib_quaternion(r, p, y));
    CHECK(angle_diff(e.x, w.x) < 1e-6);
    CHECK(angle_diff(e.y, w.y) < 1e-6);
    CHECK(angle_diff(e.z, w.z) < 1e-6);
  }
  // Extrinsic X, then Y, then Z: yaw 90° turns X (forward) into Y (left); roll 90° then yaw 90°
  // sends Y to Z; positive pitch turns forward toward down.
  Vec3 v = Pose3::from_xyz_rpy(0, 0, 0, 0, 0, M_PI / 2).apply(Vec3{1, 0, 0});
  CHECK(v.y == doctest::Approx(1));
  CHECK(Pose3::from_xyz_rpy(0, 0, 0, M_PI / 2, 0, M_PI / 2).apply(Vec3{0, 1, 0}).z == doctest::Approx(1));
  CHECK(Pose3::from_xyz_rpy(0, 0, 0, 0, 0.3, 0).apply(Vec3{1, 0, 0}).z < 0);
}

TEST_CASE("geometry pose: JSON round trip in WPILib's form") {
  Pose3 p = Pose3::from_xyz_rpy(1.5, -2.25, 0.5, 0.1, -0.2, 2.9);
  Json j = pose_to_json(p);
  CHECK(j.at("translation").at("x") == 1.5);
  Pose3 back = pose_from_json(j, "test");
  CHECK((back.t - p.t).norm() < 1e-9);
  CHECK(matrix_distance(back.R, p.R) < 4e-6);  // the quaternion is rounded to 1e-6
  CHECK(pose_to_json(back) == j);              // and rounding again changes nothing
  // The layout files' form, exactly.
  CHECK(pose_to_json(Pose3::from_xyz_rpy(1.5, -2.25, 0.5, 0, 0, M_PI / 2)).dump() ==
        R"({"translation":{"x":1.5,"y":-2.25,"z":0.5},"rotation":{"quaternion":{"W":0.707107,"X":0.0,"Y":0.0,"Z":0.707107}}})");
}

TEST_CASE("geometry pose: JSON errors name the key") {
  Json good = Json::parse(R"({"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}})");
  CHECK(pose_from_json(good, "p").t.y == 2);
  Json j = good;
  j["rotation"]["quaternion"].erase("W");
  CHECK(field_pose_error(j) == "field_pose.camera.rotation.quaternion: missing \"W\"");
  j = good;
  j["translation"]["y"] = "2";
  CHECK(field_pose_error(j) == "field_pose.camera.translation: \"y\" must be a number, got \"2\"");
  j = good;
  j.erase("rotation");
  CHECK(field_pose_error(j) == "field_pose.camera: missing \"rotation\"");
  j = good;
  j["rotation"] = Json::parse(R"({"roll":0,"pitch":0,"yaw":1})");  // not WPILib's JSON form
  CHECK(field_pose_error(j) == "field_pose.camera.rotation: missing \"quaternion\"");
  j = good;
  j["rotation"]["quaternion"] = Json::parse(R"({"w":1,"x":0,"y":0,"z":0})");  // the keys are upper case
  CHECK(field_pose_error(j) == "field_pose.camera.rotation.quaternion: missing \"W\"");
  j = good;
  j["rotation"]["quaternion"] = Json::parse(R"({"W":0,"X":0,"Y":0,"Z":0})");
  CHECK(field_pose_error(j) == "field_pose.camera.rotation.quaternion: the quaternion has zero length");
  CHECK(field_pose_error(Json::parse("[1,2,3,1,0,0,0]")) == "field_pose.camera: expected an object");
}

TEST_CASE("geometry pose: round_to") {
  CHECK(round_to(1.23456789, 3) == 1.235);
  CHECK(round_to(-0.0000001, 6) == 0.0);
  CHECK_FALSE(std::signbit(round_to(-0.0000001, 6)));
}
