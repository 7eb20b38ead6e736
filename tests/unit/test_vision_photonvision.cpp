// Real photos from PhotonVision's test resources: single-tag distances and field poses on the
// 2024 field (../shared/testdata/photonvision, see its README).
#include "test_util.hpp"

#include <cmath>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/cv_geometry.hpp"
#include "rvkit/vision/pose.hpp"

using namespace rvkit::vision;
using rvkit::geometry::FieldLayout;
using rvkit::geometry::load_field_layout;
using rvkit::geometry::Pose3;

namespace {
// These two photos show 2023 tags, whose black square was 6 in.
constexpr double k2023TagSize = 0.1524;
}  // namespace

TEST_CASE("photonvision: single-tag distances from its README") {
  struct Case {
    const char* image;
    const char* calib;
    const char* family;
    int id;
    double x, y;  // expected camera-to-tag translation (camera frame: x forward, y left), m
  };
  const Case cases[] = {
      {"tag1_640_480.jpg", "lifecam480p.json", "36h11", 1, 2.0, 0.1},
      {"tag_corner_1280.jpg", "limelight_1280_720.json", "16h5", 4, 4.14, 2.0},
  };
  for (const Case& c : cases) {
    std::string captured_c_image = c.image;
    CAPTURE(captured_c_image);
    cv::Mat img = cv::imread(testutil::testdata(std::string("photonvision/apriltag/") + c.image), cv::IMREAD_GRAYSCALE);
    REQUIRE(!img.empty());
    auto cal = load_calibration(testutil::testdata(std::string("photonvision/calibration/") + c.calib))
                   .for_resolution(img.cols, img.rows);
    for (bool refine : {false, true}) {
      CAPTURE(refine);
      AprilTagOptions o;
      o.family = c.family;
      o.refine_corners = refine;
      AprilTagDetector det(o);
      auto dets = det.detect(img);
      REQUIRE(dets.size() == 1);
      CHECK(dets[0].id == c.id);
      TagPose p = solve_tag_pose(dets[0], cal, k2023TagSize);
      REQUIRE(p.solutions.size() == 2);
      cv::Vec3d t = to_cv(p.solutions[0].camera_to_tag.t);
      MESSAGE(std::string(c.image) << (refine ? " (refined)" : "") << ": camera-to-tag x " << t[0] << " y " << t[1] << " z " << t[2]
                      << ", ambiguity " << p.ambiguity);
      CHECK(std::abs(t[0] - c.x) <= 0.2);
      CHECK(std::abs(t[1] - c.y) <= 0.2);
    }
  }
}

TEST_CASE("photonvision 2024 field: every photo with a known tag puts the camera about 0.76 m high") {
  const char* photos[] = {"Amp_42in",      "Amp_85in",           "BackAmpZone_117in", "GeneralField1",  "GeneralField2",
                          "GeneralField3", "GeneralField4",      "GeneralField5",     "Loading_83in",   "Podium_103in",
                          "SpeakerCenter_143in", "SpeakerCenter_19in", "SpeakerCenter_63in", "StageLeft_51in",
                          "StageRight_51in"};
  FieldLayout field = load_field_layout(testutil::testdata("fields/2024-crescendo.json"));
  CameraCalibration cal = load_calibration(testutil::testdata("photonvision/calibration/lifecam_1280.json"));
  constexpr double kHeight = 29.75 * 0.0254;  // from the photos' README
  // libapriltag's corners, the refinement before (a sharp template), and today's (blur-matched).
  double mean_error[3] = {0, 0, 0};
  for (int mode : {0, 1, 2}) {
    const bool refine = mode > 0;
    const char* what = mode == 0 ? "libapriltag" : mode == 1 ? "refined, sharp template" : "refined";
    AprilTagOptions o;
    o.refine_corners = refine;
    o.refine_sharp_template = mode == 1;
    AprilTagDetector det(o);
    int posed = 0, within = 0;
    for (const char* name : photos) {
      std::string captured_name = name;
      CAPTURE(captured_name);
      cv::Mat img = cv::imread(testutil::testdata(std::string("photonvision/2024/") + name + ".jpg"), cv::IMREAD_GRAYSCALE);
      REQUIRE(!img.empty());
      auto dets = det.detect(img);
      std::vector<TagPose> poses;
      for (const auto& d : dets) poses.push_back(solve_tag_pose(d, cal, kDefaultTagSize));
      auto fp = solve_field_pose(dets, poses, field, cal, kDefaultTagSize, std::nullopt);
      REQUIRE_MESSAGE(fp, std::string(name) << ": no field pose");  // every photo shows a field tag
      ++posed;
      const cv::Vec3d c = to_cv(fp->camera.t);
      bool ok = std::abs(c[2] - kHeight) <= 0.15;
      within += ok;
      mean_error[mode] += std::abs(c[2] - kHeight) / 15;
      MESSAGE(std::string(what) << " " << std::string(name) << ": " << fp->tag_ids.size() << " tag(s), camera at ("
                                                    << c[0] << ", " << c[1] << ", " << c[2] << "), error " << fp->error
                                                    << " px" << std::string(ok ? "" : "  <- height off"));
      // On the field, looking roughly level (the camera was pitched ~20 degrees up).
      CHECK(c[0] > 0);
      CHECK(c[0] < field.length);
      CHECK(c[1] > 0);
      CHECK(c[1] < field.width);
      cv::Vec3d rpy = to_cv(fp->camera.rpy());
      CHECK(std::abs(rpy[0]) < 5 * M_PI / 180);
      CHECK(rpy[1] < 0);  // nose up is negative pitch
      CHECK(rpy[1] > -30 * M_PI / 180);
      if (refine) CHECK(ok);
    }
    MESSAGE(std::string(what) << " corners: " << within << " of " << posed
                              << " photos put the camera within 0.15 m of 0.756 m, mean height error " << mean_error[mode] * 100
                              << " cm");
    CHECK(posed == 15);
  }
  // The blur-matched refinement, unbiased on renders, is no worse on these photos than the sharp
  // template it replaced (whose inward bias happened to cancel part of libapriltag's outward one).
  CHECK(mean_error[2] <= mean_error[1] + 0.002);
  CHECK(mean_error[2] < mean_error[0]);
}

TEST_CASE("photonvision 2024 field: distances to the amp and the source match the photo names") {
  struct Case {
    const char* name;
    int tag;
    double inches;
  };
  const Case cases[] = {{"Amp_42in", 5, 42}, {"Amp_85in", 5, 85}, {"Loading_83in", 9, 83}};
  FieldLayout field = load_field_layout("2024-crescendo");
  CameraCalibration cal = load_calibration(testutil::testdata("photonvision/calibration/lifecam_1280.json"));
  AprilTagDetector det(AprilTagOptions{});
  for (const Case& c : cases) {
    std::string captured_c_name = c.name;
    CAPTURE(captured_c_name);
    cv::Mat img = cv::imread(testutil::testdata(std::string("photonvision/2024/") + c.name + ".jpg"), cv::IMREAD_GRAYSCALE);
    auto dets = det.detect(img);
    std::vector<TagPose> poses;
    for (const auto& d : dets) poses.push_back(solve_tag_pose(d, cal, kDefaultTagSize));
    auto fp = solve_field_pose(dets, poses, field, cal, kDefaultTagSize, std::nullopt);
    REQUIRE(fp);
    // Distance from the element's face (the tag's plane), measured square to it.
    const Pose3& tag = *field.find(c.tag);
    cv::Vec3d normal(tag.R(0, 0), tag.R(1, 0), tag.R(2, 0));
    double d = to_cv(fp->camera.t - tag.t).dot(normal);
    MESSAGE(std::string(c.name) << ": " << d << " m from the face");
    CHECK(std::abs(d - c.inches * 0.0254) < 0.15);
  }
}
