// The field pose's solvers on exact projections and renders: Levenberg-Marquardt refinement,
// outlier tags, per-tag residuals, the heading-constrained pose (MegaTag2) and the heading history.
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/heading_history.hpp"
#include "rvkit/vision/pose.hpp"
#include "synthetic_tags.hpp"

using namespace rvkit::vision;
using rvkit::geometry::FieldLayout;
using rvkit::geometry::load_field_layout;
using rvkit::geometry::Pose3;

namespace {

constexpr double kDeg = M_PI / 180;

// The detections a perfect detector would report for the tags a camera at `field_to_camera` sees,
// with Gaussian corner noise of `noise` px.
std::vector<TagDetection> project(const synth::Camera& cam, const Pose3& field_to_camera, const FieldLayout& layout,
                                  double noise, cv::RNG& rng, double max_distance = 7.0) {
  std::vector<TagDetection> out;
  for (const auto& t : synth::visible_tags(cam, field_to_camera, layout.tags, kDefaultTagSize, 60, max_distance)) {
    TagDetection d;
    d.id = t.id;
    d.corners = synth::true_corners(cam, t);
    for (auto& c : d.corners) c += cv::Point2d(rng.gaussian(noise), rng.gaussian(noise));
    d.center = (d.corners[0] + d.corners[1] + d.corners[2] + d.corners[3]) / 4;
    out.push_back(d);
  }
  return out;
}

std::vector<TagPose> tag_poses(const std::vector<TagDetection>& dets, const CameraCalibration& cal) {
  std::vector<TagPose> p;
  for (const auto& d : dets) p.push_back(solve_tag_pose(d, cal, kDefaultTagSize));
  return p;
}

// A camera pose that sees at least `min_tags` tags of the layout (searching from `seed`).
Pose3 camera_seeing(const synth::Camera& cam, const FieldLayout& layout, size_t min_tags, size_t max_tags, cv::RNG& rng,
                    double max_distance = 7.0) {
  for (int trial = 0; trial < 20000; ++trial) {
    Pose3 c = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), rng.uniform(0.3, 0.9), 0,
                                  -rng.uniform(0.0, 0.35), rng.uniform(-M_PI, M_PI));
    size_t n = synth::visible_tags(cam, c, layout.tags, kDefaultTagSize, 60, max_distance).size();
    if (n >= min_tags && n <= max_tags) return c;
  }
  FAIL("no camera pose sees enough tags");
  return {};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

TEST_CASE("field pose: Levenberg-Marquardt lowers SQPnP's reprojection error and reports each tag's") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  cv::RNG rng(3);
  int n = 0, lower = 0;
  for (int s = 0; s < 12; ++s) {
    Pose3 truth = camera_seeing(cam, layout, 2, 8, rng, 4.0);
    auto dets = project(cam, truth, layout, 0.3, rng, 4.0);
    auto poses = tag_poses(dets, cal);
    FieldPoseOptions plain;
    plain.refine = false;
    plain.outlier_factor = 0;
    FieldPoseOptions lm = plain;
    lm.refine = true;
    auto a = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt, plain);
    auto b = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt, lm);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(b->multi_tag);
    CHECK(b->tag_errors.size() == b->tag_ids.size());
    CHECK(b->error <= a->error + 1e-9);
    if (b->error < a->error - 1e-6) ++lower;
    double rms = 0;
    for (double e : b->tag_errors) rms += e * e;
    CHECK(std::sqrt(rms / double(b->tag_errors.size())) == doctest::Approx(b->error));
    CHECK((b->camera.t - truth.t).norm() < 0.05 * b->distance);  // two far tags can be weak; LM is the point here
    ++n;
  }
  CHECK(n == 12);
  CHECK(lower >= 6);  // SQPnP minimises an algebraic error, not the pixel one: LM usually improves it
}

TEST_CASE("field pose: a tag far off the rest is left out, reported with its error") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  cv::RNG rng(5);
  // Three tags or more (two cannot tell which of them is wrong: see FieldPoseOptions).
  for (size_t min_tags : {3, 4}) {
    CAPTURE(min_tags);
    int n = 0;
    for (int s = 0; s < 8; ++s) {
      Pose3 truth = camera_seeing(cam, layout, min_tags, 8, rng, 5.0);
      auto dets = project(cam, truth, layout, 0.2, rng);
      // One tag's corners off by 8-12 px, one more than the others (a misdetection, or a partly hidden tag).
      size_t bad = size_t(rng.uniform(0, int(dets.size())));
      for (auto& c : dets[bad].corners) c += cv::Point2d(8, -6);
      dets[bad].corners[0] += cv::Point2d(4, 4);
      auto poses = tag_poses(dets, cal);
      auto with = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt);
      FieldPoseOptions keep_all;
      keep_all.outlier_factor = 0;
      auto without = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt, keep_all);
      REQUIRE(with);
      REQUIRE(without);
      CHECK(without->rejected.empty());
      CAPTURE(without->error);
      if (without->error <= 1.0) {
        // The joint fit absorbed the error (tags close together, far away): nothing to tell it by.
        CHECK(with->rejected.empty());
        continue;
      }
      REQUIRE(with->rejected.size() == 1);
      CHECK(with->rejected[0].id == dets[bad].id);
      CHECK(with->rejected[0].error > 2);
      CHECK(std::find(with->tag_ids.begin(), with->tag_ids.end(), dets[bad].id) == with->tag_ids.end());
      CHECK(with->tag_ids.size() + 1 == dets.size());
      CHECK(with->multi_tag);
      CHECK(with->error < 1.0);
      double e_with = (with->camera.t - truth.t).norm(), e_without = (without->camera.t - truth.t).norm();
      CAPTURE(e_with);
      CAPTURE(e_without);
      CHECK(e_with < e_without);
      CHECK(e_with < 0.1);
      ++n;
    }
    CHECK(n >= 5);
  }
  // Good tags only: nothing is left out.
  for (int s = 0; s < 8; ++s) {
    Pose3 truth = camera_seeing(cam, layout, 2, 8, rng);
    auto dets = project(cam, truth, layout, 0.3, rng);
    auto fp = solve_field_pose(dets, tag_poses(dets, cal), layout, cal, kDefaultTagSize, std::nullopt);
    REQUIRE(fp);
    CHECK(fp->rejected.empty());
    CHECK(fp->tag_ids.size() == dets.size());
  }
}

namespace {

struct ConstrainedRun {
  std::vector<double> rel_err;  // position error / distance
  int solved = 0;
};

// Single-tag scenes: a robot on the floor with the camera 0.5 m up and pitched 15 deg, a tag in view.
// `yaw_err`, `pitch_err` (rad) perturb what the solver is told; `noise` px on the exact corners.
ConstrainedRun constrained_scenes(double yaw_err, double pitch_err, double noise, bool render, int scenes = 30) {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  const Pose3 robot_to_camera = Pose3::from_xyz_rpy(0.25, -0.1, 0.5, 0, -15 * kDeg, 0);
  const Pose3 told = Pose3::from_xyz_rpy(0.25, -0.1, 0.5, 0, (-15 * kDeg) + pitch_err, 0);
  AprilTagOptions ao;
  ao.decimate = 1;
  AprilTagDetector det(ao);
  cv::RNG rng(21);
  ConstrainedRun run;
  for (int trial = 0; trial < 20000 && run.solved < scenes; ++trial) {
    double yaw = rng.uniform(-M_PI, M_PI);
    Pose3 robot = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), 0, 0, 0, yaw);
    Pose3 camera = robot * robot_to_camera;
    auto visible = synth::visible_tags(cam, camera, layout.tags, kDefaultTagSize, 60, 5.0);
    if (visible.size() != 1) continue;
    std::vector<TagDetection> dets;
    if (render) {
      synth::RenderOptions ro;
      ro.seed = uint64_t(trial + 1);
      dets = det.detect(synth::render(cam, visible, ro));
      if (dets.size() != 1) continue;
    } else {
      dets = project(cam, camera, layout, noise, rng, 5.0);
    }
    auto fp = solve_constrained_pose(dets, layout, cal, kDefaultTagSize, told, {yaw + yaw_err, 0.5 * kDeg});
    REQUIRE(fp);
    REQUIRE(fp->robot);
    CHECK(fp->heading_constrained);
    CHECK(fp->tag_ids.size() == 1);
    double e = std::hypot(fp->robot->t.x - robot.t.x, fp->robot->t.y - robot.t.y);
    run.rel_err.push_back(e / fp->distance);
    ++run.solved;
  }
  return run;
}

}  // namespace

TEST_CASE("heading-constrained pose: one tag, the true heading: position within 0.1% of the distance") {
  ConstrainedRun exact = constrained_scenes(0, 0, 0.0, false);
  REQUIRE(exact.solved == 30);
  CHECK(*std::max_element(exact.rel_err.begin(), exact.rel_err.end()) < 1e-6);  // exact corners: exact pose
  ConstrainedRun noisy = constrained_scenes(0, 0, 0.1, false);
  CHECK(median(noisy.rel_err) < 0.002);
  ConstrainedRun rendered = constrained_scenes(0, 0, 0, true, 20);
  REQUIRE(rendered.solved == 20);
  MESSAGE("constrained single tag, true heading: median error " << median(noisy.rel_err) * 100
                                                               << " % of distance (0.1 px corner noise), "
                                                               << median(rendered.rel_err) * 100 << " % on renders");
  CHECK(median(rendered.rel_err) < 0.001);
}

TEST_CASE("heading-constrained pose: what a 1 deg heading error and a 0.5 deg camera-pitch error cost") {
  ConstrainedRun yaw = constrained_scenes(1 * kDeg, 0, 0.0, false);
  ConstrainedRun pitch = constrained_scenes(0, 0.5 * kDeg, 0.0, false);
  REQUIRE(yaw.solved == 30);
  REQUIRE(pitch.solved == 30);
  double my = median(yaw.rel_err), mp = median(pitch.rel_err);
  MESSAGE("1 deg heading error: median " << my * 100 << " % of distance; 0.5 deg pitch error: median " << mp * 100
                                         << " %");
  // A heading error swings the camera about the tag: about distance x 1 deg = 1.75 % (bounded by it).
  CHECK(my > 0.005);
  CHECK(my < 0.025);
  CHECK(mp > 0.0005);
  CHECK(mp < 0.02);
}

TEST_CASE("heading-constrained pose: several tags, an outlier left out, no tag in view") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  const Pose3 robot_to_camera = Pose3::from_xyz_rpy(-0.2, 0.1, 0.6, 0, -10 * kDeg, M_PI);
  cv::RNG rng(8);
  int n = 0;
  for (int trial = 0; trial < 20000 && n < 8; ++trial) {
    double yaw = rng.uniform(-M_PI, M_PI);
    Pose3 robot = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), 0, 0, 0, yaw);
    auto dets = project(cam, robot * robot_to_camera, layout, 0.2, rng, 5.0);
    if (dets.size() < 3) continue;
    for (auto& c : dets[1].corners) c += cv::Point2d(-5, 5);
    auto fp = solve_constrained_pose(dets, layout, cal, kDefaultTagSize, robot_to_camera, {yaw, 0});
    REQUIRE(fp);
    REQUIRE(fp->rejected.size() == 1);
    CHECK(fp->rejected[0].id == dets[1].id);
    CHECK(fp->multi_tag);
    CHECK(fp->tag_errors.size() == fp->tag_ids.size());
    CHECK(std::hypot(fp->robot->t.x - robot.t.x, fp->robot->t.y - robot.t.y) < 0.01);
    CHECK(std::abs(fp->robot->t.z) < 0.02);
    CHECK(fp->std_devs[0] >= 0.01);
    CHECK(fp->std_devs[2] > 1e3);
    ++n;
  }
  CHECK(n == 8);
  std::string why;
  CHECK_FALSE(solve_constrained_pose({}, layout, cal, kDefaultTagSize, robot_to_camera, {0, 0}, {}, &why));
  CHECK(why == "no tag of the layout in view");
}

TEST_CASE("heading history: interpolated at the frame's time, the short way round, with reasons when unusable") {
  HeadingLimits lim;  // 100 ms age, 150 ms gap, 720 deg/s
  HeadingHistory h(lim);
  CHECK(h.at(1000).reason == "no heading received");
  const int64_t t0 = 1'795'320'000'000'000;
  h.add({t0, 170.0, std::nullopt});
  h.add({t0 + 40000, -170.0, std::nullopt});  // +20 deg through 180 in 40 ms: 500 deg/s
  h.add({t0 + 20000, 178.0, std::nullopt});   // out of order: kept in time order
  HeadingAt a = h.at(t0 + 10000);
  REQUIRE(a.yaw_deg);
  CHECK(*a.yaw_deg == doctest::Approx(174.0));
  CHECK(a.yaw_rate == doctest::Approx(400.0));
  HeadingAt b = h.at(t0 + 30000);  // between 178 and -170 (= 190): 184 = -176
  REQUIRE(b.yaw_deg);
  CHECK(*b.yaw_deg == doctest::Approx(-176.0));
  HeadingAt held = h.at(t0 + 40000 + 50000);  // 50 ms after the newest: held
  REQUIRE(held.yaw_deg);
  CHECK(*held.yaw_deg == doctest::Approx(-170.0));
  HeadingAt stale = h.at(t0 + 40000 + 150000);
  CHECK_FALSE(stale.yaw_deg);
  CHECK(stale.reason == "heading 150 ms older than the frame (limit 100 ms)");
  HeadingAt early = h.at(t0 - 5000);
  CHECK_FALSE(early.yaw_deg);
  CHECK(early.reason == "frame 5 ms older than every heading kept");

  HeadingHistory gap(lim);
  gap.add({t0, 0.0, 0.0});
  gap.add({t0 + 200000, 1.0, 0.0});
  HeadingAt g = gap.at(t0 + 100000);
  CHECK_FALSE(g.yaw_deg);
  CHECK(g.reason == "heading samples 200 ms apart around the frame (limit 150 ms)");

  // Turning too fast: by the samples' own yawRate even when the yaw barely changes, and by the yaw change.
  HeadingHistory fast(lim);
  fast.add({t0, 10.0, 800.0});
  fast.add({t0 + 20000, 10.0, 800.0});
  HeadingAt f = fast.at(t0 + 10000);
  CHECK_FALSE(f.yaw_deg);
  CHECK(f.reason == "turning at 800 deg/s (limit 720 deg/s)");
  HeadingHistory spin(lim);
  spin.add({t0, 0.0, 0.0});  // robot code that sends yawRate 0
  spin.add({t0 + 20000, 20.0, 0.0});
  CHECK_FALSE(spin.at(t0 + 10000).yaw_deg);
  CHECK_FALSE(spin.at(t0 + 30000).yaw_deg);  // held past the newest: the rate between the last two

  // wait_for: at once when a sample at or after t is there, or the history is closed.
  CHECK(h.wait_for(t0 + 40000, 0));
  CHECK_FALSE(h.wait_for(t0 + 50000, 10));
  h.close();
  CHECK_FALSE(h.wait_for(t0 + 50000, 60000));  // closed: returns at once
}

TEST_CASE("heading history: what an nt record carries") {
  rvkit::records::Nt n;
  n.topic = "/limelight/robot_orientation_set";
  n.value = rvkit::Json::array({90.5, 12.0, 0, 0, 0, 0});
  n.t = 1795320000123456;
  auto s = heading_from_nt(n);
  REQUIRE(s);
  CHECK(s->t == 1795320000123456);
  CHECK(s->yaw_deg == 90.5);
  CHECK(s->yaw_rate == 12.0);
  n.value = -45.0;
  s = heading_from_nt(n);
  REQUIRE(s);
  CHECK(s->yaw_deg == -45.0);
  CHECK_FALSE(s->yaw_rate);
  n.value = "north";
  std::string why;
  CHECK_FALSE(heading_from_nt(n, &why));
  CHECK(why == "/limelight/robot_orientation_set: expected a number or an array [yaw, yawRate, ...] in degrees");
  n.value = 1.0;
  n.t.reset();
  CHECK_FALSE(heading_from_nt(n, &why));
  CHECK(why == "/limelight/robot_orientation_set: no timestamp (t)");
}

TEST_CASE("tag sizes: one for all, by id, by family, each tag solved at its own size") {
  using rvkit::geometry::parse_tag_sizes;
  using rvkit::geometry::TagSizes;
  TagSizes s = parse_tag_sizes({"0.2", "7:0.15", "tag16h5:0.05"}, "36h11");
  CHECK(s.size == 0.2);
  CHECK(s.of(7) == 0.15);
  CHECK(s.of(8) == 0.2);
  CHECK(parse_tag_sizes({"16h5:0.05"}, "tag16h5").size == 0.05);
  CHECK(parse_tag_sizes({}, "36h11").size == kDefaultTagSize);
  CHECK_THROWS_WITH(parse_tag_sizes({"7:big"}, "36h11"), "--tag-size '7:big': expected SIZE, ID:SIZE or FAMILY:SIZE in metres");
  CHECK_THROWS_WITH(parse_tag_sizes({"20"}, "36h11"), "--tag-size '20': the size must be from 0.001 to 10 metres");
  CHECK_THROWS_WITH(parse_tag_sizes({"25h9:0.1"}, "36h11"),
                    "--tag-size '25h9:0.1': expected SIZE, ID:SIZE or FAMILY:SIZE (36h11, 16h5)");

  // A field whose tags are 0.1651 m but for one that is 0.25 m: the pose is right only when told so.
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  cv::RNG rng(13);
  Pose3 truth = camera_seeing(cam, layout, 3, 8, rng, 5.0);
  auto tags = synth::visible_tags(cam, truth, layout.tags, kDefaultTagSize, 60, 5.0);
  const int big = tags[0].id;
  tags[0].size = 0.25;
  std::vector<TagDetection> dets;
  for (const auto& t : tags) {
    TagDetection d;
    d.id = t.id;
    d.corners = synth::true_corners(cam, t);
    dets.push_back(d);
  }
  TagSizes sizes(kDefaultTagSize);
  sizes.by_id[big] = 0.25;
  FieldPoseOptions keep_all;
  keep_all.outlier_factor = 0;
  auto right = solve_field_pose(dets, {}, layout, cal, sizes, std::nullopt, keep_all);
  auto wrong = solve_field_pose(dets, {}, layout, cal, kDefaultTagSize, std::nullopt, keep_all);
  REQUIRE(right);
  REQUIRE(wrong);
  CHECK((right->camera.t - truth.t).norm() < 1e-6);
  CHECK((wrong->camera.t - truth.t).norm() > 1e-3);
  CHECK(right->error < 1e-6);
  // The default outlier rejection finds the mis-sized tag when not told.
  auto found = solve_field_pose(dets, {}, layout, cal, kDefaultTagSize, std::nullopt);
  REQUIRE(found);
  REQUIRE(found->rejected.size() == 1);
  CHECK(found->rejected[0].id == big);
}

TEST_CASE("field pose on renders: Levenberg-Marquardt after SQPnP, camera position error median and p95") {
  FieldLayout layout = load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal = calibration_of(cam);
  AprilTagOptions ao;
  ao.decimate = 1;
  AprilTagDetector det(ao);
  cv::RNG rng(17);
  std::vector<double> e_sqpnp, e_lm;
  for (int trial = 0; trial < 2000 && e_lm.size() < 16; ++trial) {
    Pose3 truth = Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), rng.uniform(0.2, 1.0), 0,
                                      -rng.uniform(0.0, 0.4), rng.uniform(-M_PI, M_PI));
    auto tags = synth::visible_tags(cam, truth, layout.tags, kDefaultTagSize, 60, 7.0);
    if (tags.size() < 2) continue;
    synth::RenderOptions ro;
    ro.seed = uint64_t(trial + 900);
    auto dets = det.detect(synth::render(cam, tags, ro));
    auto poses = tag_poses(dets, cal);
    FieldPoseOptions plain;
    plain.refine = false;
    auto a = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt, plain);
    auto b = solve_field_pose(dets, poses, layout, cal, kDefaultTagSize, std::nullopt);
    if (!a || !b || !a->multi_tag || !b->multi_tag) continue;
    e_sqpnp.push_back((a->camera.t - truth.t).norm());
    e_lm.push_back((b->camera.t - truth.t).norm());
  }
  REQUIRE(e_lm.size() == 16);
  auto p95 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[size_t(0.95 * double(v.size() - 1))];
  };
  MESSAGE("multi-tag camera position error over 16 renders (1280x720, libapriltag corners): SQPnP median "
          << median(e_sqpnp) * 100 << " cm, p95 " << p95(e_sqpnp) * 100 << " cm; SQPnP + LM median " << median(e_lm) * 100
          << " cm, p95 " << p95(e_lm) * 100 << " cm");
  CHECK(median(e_lm) <= median(e_sqpnp) * 1.05);
  CHECK(p95(e_lm) < 0.05);
}
