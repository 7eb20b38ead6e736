// Detection and pose accuracy on synthetic images with exact ground truth (synthetic_tags.hpp).
#include <doctest/doctest.h>

#include <cmath>

#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/pose.hpp"
#include "synthetic_tags.hpp"

using namespace rvkit::vision;

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
};

}  // namespace

TEST_CASE("synthetic tags: corners within 0.5 px and translation within 2% of the distance") {
  synth::Camera cam = synth::Camera::with_hfov(1280, 720, 70);
  CameraCalibration cal;
  cal.K = cam.K;
  cal.width = cam.w;
  cal.height = cam.h;
  AprilTagOptions o;
  o.decimate = 1;
  AprilTagDetector det(o);
  int seed = 1;
  for (const Scene& s : kScenes) {
    std::string name = s.name;
    CAPTURE(name);
    synth::Tag tag{7, synth::tag_in_front(s.distance, s.left, s.up, s.yaw, s.pitch, s.roll)};
    synth::RenderOptions ro;
    ro.seed = uint64_t(seed++);
    cv::Mat img = synth::render(cam, {tag}, ro);
    auto dets = det.detect(img);
    REQUIRE(dets.size() == 1);
    CHECK(dets[0].id == 7);
    auto truth = synth::true_corners(cam, tag);
    double worst = 0;
    for (size_t k = 0; k < 4; ++k) {
      worst = std::max(worst, cv::norm(dets[0].corners[k] - truth[k]));
      cv::Point2d e = dets[0].corners[k] - truth[k];
      MESSAGE(e.x << " " << e.y);
    }
    MESSAGE(s.name << ": worst corner error " << worst << " px");
    CHECK(worst < 0.5);
    TagPose p = solve_tag_pose(dets[0], cal, tag.size);
    REQUIRE(p.solutions.size() == 2);
    double terr = cv::norm(p.solutions[0].camera_to_tag.t - tag.camera_to_tag.t);
    MESSAGE(s.name << ": translation error " << terr << " m at " << s.distance << " m, ambiguity " << p.ambiguity);
    CHECK(terr < 0.02 * cv::norm(tag.camera_to_tag.t));
  }
}
