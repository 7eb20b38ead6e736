// Camera calibration files: OpenCV FileStorage (YAML/XML/JSON) and PhotonVision JSON.
#include "test_util.hpp"

#include <cmath>

#include <opencv2/core.hpp>

#include "rvkit/vision/calibration.hpp"

using namespace rvkit::vision;
using testutil::error_of;
using testutil::TempDir;

namespace {

const cv::Matx33d kK(600, 0, 319.5, 0, 602, 241.25, 0, 0, 1);
const std::vector<double> kDist{0.1, -0.25, 0.001, -0.002, 0.05};

// Writes a calibration with OpenCV itself, so the reader is checked against the real writer.
std::string write_opencv(const TempDir& dir, const std::string& ext, const char* kname, const char* dname) {
  std::string path = dir.file("calib." + ext);
  cv::FileStorage fs(path, cv::FileStorage::WRITE);
  fs << "image_width" << 640 << "image_height" << 480 << kname << cv::Mat(kK) << dname << cv::Mat(kDist).t();
  fs.release();
  return path;
}

void check_matches(const CameraCalibration& c) {
  CHECK(c.width == 640);
  CHECK(c.height == 480);
  for (int i = 0; i < 9; ++i) CHECK(c.K.val[i] == doctest::Approx(kK.val[i]));
  REQUIRE(c.dist.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(c.dist[i] == doctest::Approx(kDist[i]));
}

}  // namespace

TEST_CASE("calibration: OpenCV FileStorage YAML, XML and JSON, snake_case and camelCase keys") {
  for (const char* ext : {"yaml", "yml", "xml", "json"}) {
    for (auto [k, d] : {std::pair{"camera_matrix", "distortion_coefficients"}, std::pair{"cameraMatrix", "distCoeffs"}}) {
      std::string captured_ext = ext;
      CAPTURE(captured_ext);
      std::string captured_k = k;
      CAPTURE(captured_k);
      TempDir dir;
      check_matches(load_calibration(write_opencv(dir, ext, k, d)));
    }
  }
}

TEST_CASE("calibration: YAML without the %YAML header and plain rows/cols/data matrices (ROS style)") {
  TempDir dir;
  std::string path = dir.write("ros.yaml",
                               "image_width: 640\nimage_height: 480\ncamera_name: front\n"
                               "camera_matrix:\n  rows: 3\n  cols: 3\n  data: [600, 0, 319.5, 0, 602, 241.25, 0, 0, 1]\n"
                               "distortion_model: plumb_bob\n"
                               "distortion_coefficients:\n  rows: 1\n  cols: 5\n  data: [0.1, -0.25, 0.001, -0.002, 0.05]\n");
  check_matches(load_calibration(path));
}

TEST_CASE("calibration: PhotonVision JSON, current and legacy distortion keys") {
  auto c = load_calibration(testutil::testdata("photonvision/calibration/lifecam480p.json"));
  CHECK(c.width == 640);
  CHECK(c.height == 480);
  CHECK(c.fx() == doctest::Approx(699.3778103));
  CHECK(c.fy() == doctest::Approx(677.7161226393));
  CHECK(c.cx() == doctest::Approx(345.6059345));
  CHECK(c.cy() == doctest::Approx(207.12741326));
  REQUIRE(c.dist.size() == 5);
  CHECK(c.dist[4] == doctest::Approx(3.0777378558802435));

  auto legacy = load_calibration(testutil::testdata("photonvision/calibration/lifecam_1280.json"));
  CHECK(legacy.width == 1280);
  CHECK(legacy.height == 720);
  REQUIRE(legacy.dist.size() == 5);  // from "cameraExtrinsics"
  CHECK(legacy.dist[0] == doctest::Approx(0.1621109548975541));

  for (const char* f : {"laptop.json", "laptop_1280.json", "limelight_1280_720.json"}) {
    std::string file = f;
    CAPTURE(file);
    auto l = load_calibration(testutil::testdata(std::string("photonvision/calibration/") + f));
    CHECK(l.fx() > 100);
    CHECK(l.dist.size() == 5);
  }
}

TEST_CASE("calibration: intrinsics scale to another resolution of the same aspect") {
  auto c = load_calibration(testutil::testdata("photonvision/calibration/limelight_1280_720.json"));
  auto half = c.for_resolution(640, 360);
  CHECK(half.width == 640);
  CHECK(half.fx() == doctest::Approx(c.fx() / 2));
  CHECK(half.fy() == doctest::Approx(c.fy() / 2));
  // Pixel centres at integers: the image corner (-0.5, -0.5) is the fixed point.
  CHECK(half.cx() == doctest::Approx((c.cx() + 0.5) / 2 - 0.5));
  CHECK(half.cy() == doctest::Approx((c.cy() + 0.5) / 2 - 0.5));
  CHECK(half.dist == c.dist);
  auto same = c.for_resolution(1280, 720);
  CHECK(same.K == c.K);
  auto big = c.for_resolution(1920, 1080);
  CHECK(big.fx() == doctest::Approx(c.fx() * 1.5));
  // A point keeps its angle when the image is scaled.
  cv::Point2d a = angles_deg(c, {900, 200}), b = angles_deg(half, {(900 + 0.5) / 2 - 0.5, (200 + 0.5) / 2 - 0.5});
  CHECK(a.x == doctest::Approx(b.x).epsilon(1e-6));
  CHECK(a.y == doctest::Approx(b.y).epsilon(1e-6));
}

TEST_CASE("calibration: another aspect ratio is a clear error") {
  auto c = load_calibration(testutil::testdata("photonvision/calibration/limelight_1280_720.json"));
  std::string e = error_of([&] { c.for_resolution(640, 480); });
  CHECK(e.find("640x480") != std::string::npos);
  CHECK(e.find("1280x720") != std::string::npos);
  CHECK(e.find("aspect") != std::string::npos);
}

TEST_CASE("calibration: tx/ty are degrees from the principal point, right and up positive") {
  CameraCalibration c;
  c.K = cv::Matx33d(500, 0, 320, 0, 500, 240, 0, 0, 1);
  c.width = 640;
  c.height = 480;
  cv::Point2d centre = angles_deg(c, {320, 240});
  CHECK(centre.x == doctest::Approx(0));
  CHECK(centre.y == doctest::Approx(0));
  cv::Point2d right_up = angles_deg(c, {820, -260});  // 500 px right and up: 45 degrees each
  CHECK(right_up.x == doctest::Approx(45));
  CHECK(right_up.y == doctest::Approx(45));
  cv::Point2d left_down = angles_deg(c, {320 - 500 * std::tan(10 * M_PI / 180), 240 + 500 * std::tan(20 * M_PI / 180)});
  CHECK(left_down.x == doctest::Approx(-10));
  CHECK(left_down.y == doctest::Approx(-20));
}

TEST_CASE("calibration: unreadable and invalid files give one clear line") {
  CHECK(error_of([] { load_calibration("/nonexistent/cam.yaml"); }).find("cannot open") != std::string::npos);
  struct Case {
    const char* name;
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"empty.yaml", "", "empty"},
      {"garbage.yaml", "::: [[[ not yaml", "cannot parse"},
      {"truncated.json", "{\"resolution\": {\"width\": 640", "invalid JSON"},
      {"nomatrix.json", "{\"image_width\": 640, \"image_height\": 480}", "no camera matrix"},
      {"nosize.yaml", "%YAML:1.0\ncamera_matrix: !!opencv-matrix\n  rows: 3\n  cols: 3\n  dt: d\n  data: [1,0,1,0,1,1,0,0,1]\n",
       "image_width"},
      {"badsize.json",
       "{\"resolution\":{\"width\":-5,\"height\":480},\"cameraIntrinsics\":{\"rows\":3,\"cols\":3,\"data\":[1,0,1,0,1,1,0,0,1]}}",
       "resolution.width"},
      {"short.json",
       "{\"resolution\":{\"width\":640,\"height\":480},\"cameraIntrinsics\":{\"rows\":3,\"cols\":3,\"data\":[1,0,1]}}",
       "3x3"},
      {"text.json",
       "{\"resolution\":{\"width\":640,\"height\":480},\"cameraIntrinsics\":{\"data\":[\"a\",0,1,0,1,1,0,0,1]}}",
       "non-number"},
      {"negf.json",
       "{\"resolution\":{\"width\":640,\"height\":480},\"cameraIntrinsics\":{\"data\":[-500,0,320,0,500,240,0,0,1]}}",
       "focal"},
      {"pp.json",
       "{\"resolution\":{\"width\":640,\"height\":480},\"cameraIntrinsics\":{\"data\":[500,0,3200,0,500,240,0,0,1]}}",
       "principal point"},
      {"dist.json",
       "{\"resolution\":{\"width\":640,\"height\":480},\"cameraIntrinsics\":{\"data\":[500,0,320,0,500,240,0,0,1]},"
       "\"distCoeffs\":{\"data\":[0.1,0.2,0.3]}}",
       "3 values"},
      {"array.json", "[1,2,3]", "top"},
      {"fisheye.yaml",
       "%YAML:1.0\nimage_width: 640\nimage_height: 480\ncamera_matrix: !!opencv-matrix\n  rows: 3\n  cols: 3\n  dt: d\n"
       "  data: [500,0,320,0,500,240,0,0,1]\ndistortion_model: fisheye\ndistortion_coefficients: !!opencv-matrix\n"
       "  rows: 1\n  cols: 4\n  dt: d\n  data: [0.1,0.01,0,0]\n",
       "\"distortion_model\": \"fisheye\" is not supported"},
  };
  for (const Case& c : cases) {
    std::string captured_c_name = c.name;
    CAPTURE(captured_c_name);
    TempDir dir;
    std::string path = dir.write(c.name, c.text);
    std::string e = error_of([&] { load_calibration(path); });
    CHECK(e.find(c.expect) != std::string::npos);
    CHECK(e.find(path) != std::string::npos);  // names the file
    CHECK(e.find('\n') == std::string::npos);    // one line
  }
}
