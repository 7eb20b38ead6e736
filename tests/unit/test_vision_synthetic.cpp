// Detection and pose accuracy on synthetic images with exact ground truth (synthetic_tags.hpp):
// libapriltag's tag image warped to a known 3-D pose, anti-aliased, blurred, with noise.
#include "test_util.hpp"

#include <cmath>
#include <string>

#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/vision/pose.hpp"
#include "synthetic_tags.hpp"

using namespace rvkit::vision;
using rvkit::geometry::FieldLayout;
using rvkit::geometry::load_field_layout;
using rvkit::geometry::Pose3;

namespace {

struct Scene {
  const char* name;
  double distance, left, up, yaw, pitch, roll;
};

const Scene kScenes[] = {
    {"frontal 1 m", 1.0, 0.0, 0.0, 0, 0, 0},
    {"yawed 40 deg 2 m", 2.0, 0.3, -0.1, 40, 0, 5},
    {"pitched 30 deg 1.5 m", 1.5, -0.2, 0.15, 10, 30, -10},
    {"far 4 m", 4.0, -0.5, 0.2, -25, 10, 0},
    {"rolled 60 deg 2.5 m", 2.5, 0.4, 0.0, 15, -15, 60},
    {"very close 0.5 m", 0.5, 0.05, -0.02, -30, 0, 0},
    {"far and turned 6 m", 6.0, 0.8, -0.3, 35, 0, 0},
};

}  // namespace

TEST_CASE("synthetic tags: corners within 0.5 px and translation within 2% of the distance") {
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  for (bool refine : {false, true}) {
    AprilTagOptions o;
    o.decimate = 1;
    o.refine_corners = refine;
    AprilTagDetector det(o);
    double sum_sq = 0;
    int seed = 1;
    for (const Scene& s : kScenes) {
      std::string name = std::string(s.name) + (refine ? ", refined corners" : ", libapriltag corners");
      std::string captured_name = name;
      CAPTURE(captured_name);
      synth::Tag tag{7 + seed, synth::tag_in_front(s.distance, s.left, s.up, s.yaw, s.pitch, s.roll)};
      synth::RenderOptions ro;
      ro.seed = uint64_t(seed++);
      cv::Mat img = synth::render(cam, {tag}, ro);
      auto dets = det.detect(img);
      REQUIRE(dets.size() == 1);
      CHECK(dets[0].id == tag.id);
      auto truth = synth::true_corners(cam, tag);
      double worst = 0;
      for (size_t k = 0; k < 4; ++k) {
        double e = cv::norm(dets[0].corners[k] - truth[k]);
        worst = std::max(worst, e);
        sum_sq += e * e;
      }
      CHECK(worst < 0.5);
      TagPose p = solve_tag_pose(dets[0], cal, tag.size);
      REQUIRE(p.solutions.size() == 2);
      double dist = tag.camera_to_tag.t.norm();
      double terr = (p.solutions[0].camera_to_tag.t - tag.camera_to_tag.t).norm();
      MESSAGE(name << ": worst corner " << worst << " px, translation error " << terr * 100 << " cm at " << dist
                   << " m, ambiguity " << p.ambiguity);
      CHECK(terr < 0.02 * dist);
      CHECK(p.distance == doctest::Approx(dist).epsilon(0.02));
      CHECK(p.ambiguity >= 0);
      CHECK(p.ambiguity <= 1);
    }
    MESSAGE(std::string(refine ? "refined" : "libapriltag") << " corners: RMS error " << std::sqrt(sum_sq / (4.0 * std::size(kScenes))) << " px");
  }
}

TEST_CASE("synthetic tags: refined corners are more accurate than libapriltag's") {
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  cv::RNG rng(42);
  double sum[2] = {0, 0};
  int n = 0;
  AprilTagOptions o;  // defaults: decimate 2, refine edges
  AprilTagDetector plain(o);
  o.refine_corners = true;
  AprilTagDetector refined(o);
  for (int trial = 0; trial < 40; ++trial) {
    double dist = rng.uniform(0.7, 6.0);
    synth::Tag tag{int(rng.uniform(0, 587)),
                   synth::tag_in_front(dist, rng.uniform(-0.3, 0.3) * dist, rng.uniform(-0.2, 0.2) * dist,
                                       rng.uniform(-50., 50.), rng.uniform(-30., 30.), rng.uniform(-30., 30.))};
    synth::RenderOptions ro;
    ro.seed = uint64_t(trial + 1);
    ro.blur_sigma = 1.0;
    cv::Mat img;
    try {
      img = synth::render(cam, {tag}, ro);
    } catch (const std::runtime_error&) {
      continue;  // out of view
    }
    auto a = plain.detect(img), b = refined.detect(img);
    if (a.size() != 1 || b.size() != 1) continue;
    auto truth = synth::true_corners(cam, tag);
    for (size_t k = 0; k < 4; ++k) {
      sum[0] += std::pow(cv::norm(a[0].corners[k] - truth[k]), 2);
      sum[1] += std::pow(cv::norm(b[0].corners[k] - truth[k]), 2);
    }
    ++n;
  }
  REQUIRE(n >= 25);
  double rms_plain = std::sqrt(sum[0] / (4 * n)), rms_refined = std::sqrt(sum[1] / (4 * n));
  MESSAGE(n << " tags: corner RMS error " << rms_plain << " px (libapriltag) vs " << rms_refined << " px (refined)");
  CHECK(rms_refined < 0.8 * rms_plain);
}

TEST_CASE("synthetic field: multi-tag camera position within 5 cm up to 5 m away") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  for (bool refine : {false, true}) {
    AprilTagOptions o;
    o.decimate = 1;
    o.refine_corners = refine;
    AprilTagDetector det(o);
    cv::RNG rng(7);
    int solved = 0;
    double worst = 0, worst_xy = 0;
    for (int trial = 0; trial < 400 && solved < 12; ++trial) {
      // A camera 0.2..1.0 m high, pitched up to 25 deg, anywhere on the field, facing anywhere.
      Pose3 truth = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), rng.uniform(0.2, 1.0),
                                        rng.uniform(-0.05, 0.05), -rng.uniform(0.0, 0.45), rng.uniform(-M_PI, M_PI));
      auto tags = synth::visible_tags(cam, truth, layout.tags, kDefaultTagSize, 60, 5.0);
      if (tags.size() < 2) continue;
      synth::RenderOptions ro;
      ro.seed = uint64_t(trial + 100);
      cv::Mat img = synth::render(cam, tags, ro);
      auto dets = det.detect(img);
      std::vector<TagPose> poses;
      for (const auto& d : dets) poses.push_back(solve_tag_pose(d, cal, kDefaultTagSize));
      auto fp = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt);
      REQUIRE(fp);
      if (!fp->multi_tag) continue;  // a nearer tag hid the other
      ++solved;
      cv::Vec3d e = to_cv(fp->camera.t - truth.t);
      double err = cv::norm(e), err_xy = std::hypot(e[0], e[1]);
      worst = std::max(worst, err);
      worst_xy = std::max(worst_xy, err_xy);
      CAPTURE(fp->distance);
      CHECK(err < 0.05);
      CHECK(fp->error < 0.5);
      // Heading and the std-dev model: the error stays within 3 sigma.
      double yaw_err = std::remainder(fp->camera.rpy()[2] - truth.rpy()[2], 2 * M_PI);
      CHECK(err_xy < 3 * fp->std_devs[0]);
      CHECK(std::abs(yaw_err) < 3 * fp->std_devs[2]);
    }
    MESSAGE(std::string(refine ? "refined" : "libapriltag") << " corners: worst multi-tag position error " << worst * 100
                                                 << " cm (horizontal " << worst_xy * 100 << " cm) over " << solved
                                                 << " poses");
    CHECK(solved >= 10);
  }
}

TEST_CASE("synthetic field: one tag gives the lower-error IPPE solution and the robot pose") {
  FieldLayout layout = load_field_layout("2024-crescendo");
  synth::Camera cam = synth::Camera::with_hfov(960, 720, 65);
  CameraCalibration cal = calibration_of(cam);
  AprilTagDetector det(AprilTagOptions{});
  // Tag 7 (blue speaker centre) seen from 2.5 m in front of it, camera 0.5 m high, 20 deg up.
  const Pose3& tag7 = *layout.find(7);
  Pose3 camera = Pose3::from_xyz_rpy(tag7.t[0] + 2.5, tag7.t[1] + 0.4, 0.5, 0, -20 * M_PI / 180, M_PI - 0.1);
  auto tags = synth::visible_tags(cam, camera, {{7, tag7}}, kDefaultTagSize);
  REQUIRE(tags.size() == 1);
  cv::Mat img = synth::render(cam, tags);
  auto dets = det.detect(img);
  REQUIRE(dets.size() == 1);
  std::vector<TagPose> poses{solve_tag_pose(dets[0], cal, kDefaultTagSize)};
  Pose3 robot_to_camera = Pose3::from_xyz_rpy(0.3, -0.2, 0.5, 0, -20 * M_PI / 180, 0);
  auto fp = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, robot_to_camera);
  REQUIRE(fp);
  CHECK_FALSE(fp->multi_tag);
  CHECK(fp->tag_ids == std::vector<int>{7});
  CHECK(fp->ambiguity == doctest::Approx(poses[0].ambiguity));
  CHECK((fp->camera.t - camera.t).norm() < 0.05);
  REQUIRE(fp->robot);
  Pose3 robot_truth = camera * robot_to_camera.inverse();
  CHECK((fp->robot->t - robot_truth.t).norm() < 0.06);
  CHECK(std::abs(fp->robot->t[2]) < 0.06);  // the robot stands on the floor
  CHECK(fp->std_devs[0] > 0);
}

TEST_CASE("synthetic field: single-tag errors stay within 3 standard deviations") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  AprilTagDetector det(AprilTagOptions{});
  cv::RNG rng(11);
  int n = 0;
  for (int trial = 0; trial < 600 && n < 25; ++trial) {
    Pose3 truth = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), rng.uniform(0.2, 1.0), 0,
                                      -rng.uniform(0.0, 0.45), rng.uniform(-M_PI, M_PI));
    auto tags = synth::visible_tags(cam, truth, layout.tags, kDefaultTagSize, 70, 6.0);
    if (tags.size() != 1) continue;
    synth::RenderOptions ro;
    ro.seed = uint64_t(trial + 500);
    auto dets = det.detect(synth::render(cam, tags, ro));
    if (dets.size() != 1) continue;
    std::vector<TagPose> poses{solve_tag_pose(dets[0], cal, kDefaultTagSize)};
    auto fp = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt);
    REQUIRE(fp);
    ++n;
    cv::Vec3d e = to_cv(fp->camera.t - truth.t);
    double yaw_err = std::remainder(fp->camera.rpy()[2] - truth.rpy()[2], 2 * M_PI);
    CAPTURE(fp->distance);
    CAPTURE(fp->ambiguity);
    CHECK(std::hypot(e[0], e[1]) < 3 * fp->std_devs[0]);
    CHECK(std::abs(yaw_err) < 3 * fp->std_devs[2]);
  }
  CHECK(n >= 20);
}
