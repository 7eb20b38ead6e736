// Rigid transforms, quaternions, WPILib's rotation order and the pose JSON form, as the vision
// solvers use them (geometry::Pose3 and the OpenCV glue of vision/cv_geometry.hpp).
#include "test_util.hpp"

#include <cmath>

#include "rvkit/vision/cv_geometry.hpp"

using namespace rvkit::vision;
using rvkit::geometry::Pose3;
using rvkit::geometry::Quaternion;

TEST_CASE("geometry: quaternion and roll/pitch/yaw round trips") {
  cv::RNG rng(3);
  for (int i = 0; i < 200; ++i) {
    double r = rng.uniform(-3.1, 3.1), p = rng.uniform(-1.5, 1.5), y = rng.uniform(-3.1, 3.1);
    Pose3 a = Pose3::from_xyz_rpy(1, 2, 3, r, p, y);
    cv::Vec3d rpy = to_cv(a.rpy());
    CHECK(rpy[0] == doctest::Approx(r));
    CHECK(rpy[1] == doctest::Approx(p));
    CHECK(rpy[2] == doctest::Approx(y));
    Quaternion q = a.quaternion();
    CHECK(q.w >= 0);
    CHECK(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z == doctest::Approx(1));
    Pose3 b = Pose3::from_quaternion(a.t, q);
    for (int k = 0; k < 9; ++k) CHECK(to_cv(b.R).val[k] == doctest::Approx(to_cv(a.R).val[k]).epsilon(1e-9));
    Pose3 c = a * a.inverse();
    CHECK(cv::norm(to_cv(c.t)) < 1e-12);
    CHECK(cv::norm(to_cv(c.R) - cv::Matx33d::eye()) < 1e-12);
  }
}

TEST_CASE("geometry: WPILib conventions") {
  // Yaw 90 degrees turns X (forward) into Y (left).
  Pose3 yaw = Pose3::from_xyz_rpy(0, 0, 0, 0, 0, M_PI / 2);
  cv::Vec3d v = to_cv(yaw.apply({1, 0, 0}));
  CHECK(v[1] == doctest::Approx(1));
  // Positive pitch turns forward toward down (right-hand rule about +Y, the left axis).
  Pose3 pitch = Pose3::from_xyz_rpy(0, 0, 0, 0, 0.3, 0);
  CHECK(pitch.apply({1, 0, 0})[2] < 0);
  // Quaternion of a 180 degree yaw: W 0, Z 1 (as in the layouts' red-wall tags).
  Quaternion q = Pose3::from_xyz_rpy(0, 0, 0, 0, 0, M_PI).quaternion();
  CHECK(std::abs(q.w) < 1e-9);
  CHECK(std::abs(q.z) == doctest::Approx(1));
  // The optical frame: camera forward is optical +z, camera left is optical -x, up is optical -y.
  cv::Vec3d f = cv_from_camera() * cv::Vec3d(1, 0, 0), l = cv_from_camera() * cv::Vec3d(0, 1, 0),
            u = cv_from_camera() * cv::Vec3d(0, 0, 1);
  CHECK(f[2] == 1);
  CHECK(l[0] == -1);
  CHECK(u[1] == -1);
  // The conversions to and from OpenCV's types keep every number in its place.
  Pose3 a = Pose3::from_xyz_rpy(1, 2, 3, 0.1, 0.2, 0.3);
  cv::Matx33d R = to_cv(a.R);
  CHECK(R(1, 0) == a.R(1, 0));
  CHECK(R(0, 2) == a.R(0, 2));
  CHECK(to_cv(a.t)[2] == 3);
  Pose3 b = pose_from_cv(R, to_cv(a.t));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) CHECK(b.R(i, j) == a.R(i, j));
  CHECK(from_cv(to_cv(a.t)).y == 2);
}

TEST_CASE("geometry: pose JSON is exactly the layout form") {
  Pose3 p = Pose3::from_xyz_rpy(1.5, -2.25, 0.5, 0, 0, M_PI / 2);
  rvkit::Json j = pose_to_json(p);
  CHECK(j.dump() ==
        R"({"translation":{"x":1.5,"y":-2.25,"z":0.5},"rotation":{"quaternion":{"W":0.707107,"X":0.0,"Y":0.0,"Z":0.707107}}})");
  Pose3 back = rvkit::geometry::pose_from_json(j, "test");
  CHECK(cv::norm(to_cv(back.t - p.t)) < 1e-12);
  CHECK(back.R(1, 0) == doctest::Approx(1).epsilon(1e-6));
  CHECK(rvkit::geometry::round_to(-0.0000001, 6) == 0.0);
  CHECK_FALSE(std::signbit(rvkit::geometry::round_to(-0.0000001, 6)));
}
