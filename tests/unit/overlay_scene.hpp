// The overlay unit tests' scene, on top of test_util.hpp: the deterministic synthetic scene (the
// test pattern without noise), records made from its exact truth, and golden-image comparison with
// a tolerance.
#pragma once
#include "test_util.hpp"

#include <cmath>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/overlay/records.hpp"
#include "rvkit/capture/test_pattern.hpp"
#include "rvkit/vision/cv_geometry.hpp"

namespace otest {

// A fixed capture time (2026-11-22 12:00:00.250 UTC) and "now" 42 ms later, for repeatable HUDs.
constexpr int64_t kT = 1795348800250000;
constexpr int64_t kNow = kT + 42000;

// The test pattern of the scene: w x h, without sensor noise.
inline rvkit::TestPatternOptions scene_options(int w, int h, uint64_t seed) {
  rvkit::TestPatternOptions o;
  o.width = w;
  o.height = h;
  o.noise = 0;
  o.seed = seed;
  return o;
}

// The synthetic scene without sensor noise, frame `index`, captured at kT.
inline cv::Mat scene(int w, int h, uint64_t index = 5, uint64_t seed = 1) {
  rvkit::TestPattern tp(scene_options(w, h, seed));
  return tp.render(index, kT);
}

inline rvkit::FrameInfo frame_info(const std::string& cam, int w, int h, int64_t seq = 5, int64_t t = kT) {
  rvkit::FrameInfo f;
  f.cam = cam;
  f.seq = seq;
  f.t_capture = t;
  f.w = w;
  f.h = h;
  f.fmt = rvkit::PixelFormat::Bgr8;
  f.stride = int64_t(w) * 3;
  f.bytes = uint64_t(f.stride) * uint64_t(h);
  return f;
}

// A detections record made from the scene's exact truth, as detect --calib would write it: corners
// in OpenCV's pixel convention, the best pose per tag, the blob as a colour target, and a fixed
// field pose.
inline rvkit::Json truth_record(const std::string& cam, int w, int h, uint64_t index = 5, uint64_t seed = 1) {
  rvkit::TestPattern tp(scene_options(w, h, seed));
  using rvkit::Json;
  Json tags = Json::array();
  // WPILib tag frame (X out of the face, Y right, Z up) -> libapriltag's (x right, y down, z into the tag)
  const cv::Matx33d M(0, 1, 0, 0, 0, -1, -1, 0, 0);
  for (const auto& t : tp.tags(index)) {
    Json corners = Json::array();
    for (const auto& c : t.corners) corners.push_back({c[0] - 0.5, c[1] - 0.5});
    cv::Matx33d R(t.R.data());
    rvkit::geometry::Pose3 p = rvkit::vision::pose_from_cv(rvkit::vision::cv_from_camera().t() * R * M,
                                                           rvkit::vision::cv_from_camera().t() * cv::Vec3d(t.t[0], t.t[1], t.t[2]));
    tags.push_back({{"id", t.id}, {"corners", corners},
                    {"poses", Json::array({{{"camera_to_tag", rvkit::geometry::pose_to_json(p)}, {"error", 0.1}}})}});
  }
  auto b = tp.blob(index);
  double x0 = b.center[0] - 0.5 - b.axes[0], x1 = b.center[0] - 0.5 + b.axes[0];
  double y0 = b.center[1] - 0.5 - b.axes[1], y1 = b.center[1] - 0.5 + b.axes[1];
  Json target = {{"color", 0},
                 {"center", {b.center[0] - 0.5, b.center[1] - 0.5}},
                 {"bbox", {std::floor(x0), std::floor(y0), std::ceil(x1) - std::floor(x0) + 1, std::ceil(y1) - std::floor(y0) + 1}},
                 {"corners", Json::array({{x0, y1}, {x0, y0}, {x1, y0}, {x1, y1}})}};
  auto robot = rvkit::geometry::Pose3::from_xyz_rpy(3.2, 5.5, 0, 0, 0, 30 * M_PI / 180);
  Json rec = {{"type", "detections"}, {"cam", cam}, {"seq", 5}, {"t_capture", kT}, {"w", w}, {"h", h},
              {"tags", tags},
              {"field_pose", {{"method", "multi-tag"}, {"tags", {1, 2}}, {"robot", rvkit::geometry::pose_to_json(robot)}}},
              {"targets", Json::array({target})}};
  return rec;
}

// Compares `img` with tests/golden/NAME: at most 0.5% of the pixels may differ by more than 48 grey
// levels in a channel, and the mean difference must stay under 1.5 levels (room for other libm and
// OpenCV builds, not for a moved line or text). RVKIT_UPDATE_GOLDEN=1 writes the golden instead.
inline void check_golden(const cv::Mat& img, const std::string& name) {
  std::string path = testutil::golden_dir() + "/" + name;
  if (testutil::update_golden()) {
    REQUIRE(cv::imwrite(path, img, {cv::IMWRITE_PNG_COMPRESSION, 9}));
    MESSAGE("wrote " << path);
    return;
  }
  cv::Mat golden = cv::imread(path, cv::IMREAD_COLOR);
  if (golden.empty()) FAIL("golden image missing: " << path << " (RVKIT_UPDATE_GOLDEN=1 writes it)");
  REQUIRE(golden.size() == img.size());
  cv::Mat diff, dmax;
  cv::absdiff(img, golden, diff);
  cv::Mat planes[3];
  cv::split(diff, planes);
  dmax = cv::max(cv::max(planes[0], planes[1]), planes[2]);
  double far = double(cv::countNonZero(dmax > 48)) / double(dmax.total());
  double mean = cv::mean(dmax)[0];
  std::string actual = "/tmp/rvkit-overlay-actual-" + name;
  if (far > 0.005 || mean > 1.5) {
    cv::imwrite(actual, img);
    cv::imwrite("/tmp/rvkit-overlay-diff-" + name, dmax * 4);
  }
  INFO(name << ": " << far * 100 << "% of the pixels differ by more than 48, mean difference " << mean
            << "; actual image: " << actual);
  CHECK(far <= 0.005);
  CHECK(mean <= 1.5);
}

}  // namespace otest
