// calib on real photos: PhotonVision's LifeCam calibration sets (../shared/testdata/photonvision/
// calibration-images, see its README): every board found, the 640x480 chessboard set agrees with
// PhotonVision's own calibration of the same images, and the two 1280x720 sets (chessboard and
// ChArUco, same camera) agree with each other
// on the focal lengths within 0.5% (the principal point does not: see the test).
#include "test_util.hpp"

#include <algorithm>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "rvkit/calibration/board.hpp"
#include "rvkit/calibration/solver.hpp"
#include "rvkit/vision/calibration.hpp"

using namespace rvkit::calibration;

namespace {

struct SetResult {
  Solution solution;
  int images = 0, found = 0;
};

SetResult calibrate_folder(const std::string& rel, const std::string& spec) {
  std::string dir = testutil::testdata(rel);
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  Board board(parse_board_spec(spec));
  SetResult r;
  std::vector<BoardView> views;
  cv::Size size;
  for (auto& f : files) {
    cv::Mat g = cv::imread(f, cv::IMREAD_GRAYSCALE);
    REQUIRE_MESSAGE(!g.empty(), "cannot read " << f);
    size = g.size();
    ++r.images;
    views.push_back(board.find(g));
    if (!views.back().empty()) ++r.found;
    else MESSAGE("board not found in " << f);
  }
  r.solution = solve(views, size, SolveOptions{});
  return r;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace

TEST_CASE("calibration real photos: 640x480 chessboard agrees with PhotonVision's calibration within 0.3%") {
  auto r = calibrate_folder("photonvision/calibration-images/2024-01-02_lifecam_480", "chessboard:11x11:0.0254");
  CHECK(r.images == 14);
  CHECK(r.found == 14);
  const auto& c = r.solution.calib;
  MESSAGE("fx " << c.fx() << " fy " << c.fy() << " cx " << c.cx() << " cy " << c.cy() << " rms " << r.solution.rms_px
                << " used " << r.solution.views_used());
  // PhotonVision's own calibration of these 14 images (testdata README).
  CHECK(rel(c.fx(), 703.752) < 0.003);
  CHECK(rel(c.fy(), 702.275) < 0.003);
  CHECK(rel(c.cx(), 299.904) < 0.003);
  CHECK(rel(c.cy(), 224.103) < 0.003);
  CHECK(r.solution.rms_px < 0.5);
  REQUIRE(r.solution.std_intrinsics.size() == 9);
  for (double s : r.solution.std_intrinsics) CHECK(s > 0);
}

TEST_CASE("calibration real photos: the 1280x720 chessboard and ChArUco sets agree within 0.5%") {
  auto chess = calibrate_folder("photonvision/calibration-images/2024-01-02_lifecam_1280", "chessboard:11x11:0.0254");
  auto charuco =
      calibrate_folder("photonvision/calibration-images/2024-05-07_lifecam_1280", "charuco:8x8:0.0254:0.01905:DICT_4X4_1000");
  CHECK(chess.found == 14);
  CHECK(chess.images == 14);
  CHECK(charuco.found == 16);
  CHECK(charuco.images == 16);
  const auto& a = chess.solution.calib;
  const auto& b = charuco.solution.calib;
  MESSAGE("chessboard fx " << a.fx() << " fy " << a.fy() << " cx " << a.cx() << " cy " << a.cy() << " rms "
                           << chess.solution.rms_px << " used " << chess.solution.views_used());
  MESSAGE("charuco    fx " << b.fx() << " fy " << b.fy() << " cx " << b.cx() << " cy " << b.cy() << " rms "
                           << charuco.solution.rms_px << " used " << charuco.solution.views_used());
  CHECK(rel(a.fx(), b.fx()) < 0.005);
  CHECK(rel(a.fy(), b.fy()) < 0.005);
  // The principal point, relative to the image size: NOT within 0.5%. These two sets (taken months
  // apart, the ChArUco one off a monitor) put cx 18.7 px (1.5% of the width) and cy 6.0 px (0.83% of
  // the height) apart, as plain OpenCV does on all their images (testdata README: cx 605.88 and
  // 625.91). The bounds are what the data allow, so a regression still fails.
  CHECK(std::abs(a.cy() - b.cy()) / a.height < 0.01);
  CHECK(std::abs(a.cx() - b.cx()) / a.width < 0.02);
}
