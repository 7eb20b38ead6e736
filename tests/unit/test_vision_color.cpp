// Colour targets: HSV threshold, contours, filters and the reported geometry.
#include "test_util.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "rvkit/vision/color_targets.hpp"

using namespace rvkit::vision;
using testutil::error_of;

namespace {

// A grey 640x480 scene: a green rectangle 120x40 turned 20 degrees counter-clockwise (as seen)
// centred at (200, 150), a red disc of radius 30 at (480, 300), a small green square 6x6 at (50, 400).
cv::Mat scene() {
  cv::Mat img(480, 640, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::RotatedRect r(cv::Point2f(200, 150), cv::Size2f(120, 40), -20);  // OpenCV angles are clockwise on screen
  cv::Point2f p[4];
  r.points(p);
  std::vector<cv::Point> poly(p, p + 4);
  cv::fillConvexPoly(img, poly, cv::Scalar(40, 220, 60), cv::LINE_AA);  // green (BGR)
  cv::circle(img, {480, 300}, 30, cv::Scalar(30, 20, 230), cv::FILLED, cv::LINE_AA);  // red: hue near 0/179
  cv::rectangle(img, cv::Rect(47, 397, 6, 6), cv::Scalar(40, 220, 60), cv::FILLED);
  return img;
}

}  // namespace

TEST_CASE("colour: parse H1-H2,S1-S2,V1-V2") {
  HsvRange r = parse_hsv_range("50-90,100-255,80-255");
  CHECK(r.h_lo == 50);
  CHECK(r.h_hi == 90);
  CHECK(r.s_lo == 100);
  CHECK(r.v_hi == 255);
  HsvRange wrap = parse_hsv_range(" 170-10 , 120-255 , 100-255 ");
  CHECK(wrap.h_lo == 170);
  CHECK(wrap.h_hi == 10);
  for (const char* bad : {"", "50-90,100-255", "50-90,100-255,80-300", "50-200,0-255,0-255", "a-b,c-d,e-f",
                          "50-90,255-100,0-255", "-5-90,0-255,0-255", "1-2,3-4,5-6,7-8"}) {
    std::string b = bad;
    CAPTURE(b);
    CHECK(error_of([&] { parse_hsv_range(bad); }).find("--color") != std::string::npos);
  }
}

TEST_CASE("colour: targets with centre, area, box, rotated-rectangle angle, aspect and fullness") {
  ColorOptions o;
  o.ranges = {parse_hsv_range("50-80,100-255,100-255")};
  o.min_area = 0.05;
  ColorTargetFinder finder(o);
  auto t = finder.find(scene());
  REQUIRE(t.size() == 1);  // the 36 px square is under 0.05 % of the image
  CHECK(t[0].range == 0);
  CHECK(t[0].center.x == doctest::Approx(200).epsilon(0.005));
  CHECK(t[0].center.y == doctest::Approx(150).epsilon(0.005));
  CHECK(t[0].area == doctest::Approx(100.0 * 120 * 40 / (640 * 480)).epsilon(0.03));
  CHECK(t[0].angle == doctest::Approx(20).epsilon(0.05));  // counter-clockwise as seen: positive
  CHECK(t[0].width == doctest::Approx(120).epsilon(0.03));
  CHECK(t[0].height == doctest::Approx(40).epsilon(0.05));
  CHECK(t[0].aspect == doctest::Approx(3).epsilon(0.06));
  CHECK(t[0].fullness > 95);
  CHECK(t[0].bbox.contains(cv::Point(200, 150)));
  CHECK(t[0].bbox.width == doctest::Approx(120 * std::cos(0.349) + 40 * std::sin(0.349)).epsilon(0.05));

  o.min_area = 0;  // now the small square too, largest first
  auto all = ColorTargetFinder(o).find(scene());
  REQUIRE(all.size() == 2);
  CHECK(all[0].area > all[1].area);
  CHECK(all[1].center.x == doctest::Approx(49.5).epsilon(0.02));
  CHECK(all[1].angle == doctest::Approx(0).scale(1));
  CHECK(all[1].aspect == doctest::Approx(1).epsilon(0.2));
}

TEST_CASE("colour: hue ranges wrap around red, and several ranges in one pass") {
  ColorOptions o;
  o.ranges = {parse_hsv_range("170-10,120-255,120-255"), parse_hsv_range("50-80,100-255,100-255")};
  auto t = ColorTargetFinder(o).find(scene());
  REQUIRE(t.size() == 2);
  CHECK(t[0].range == 0);
  CHECK(t[0].center.x == doctest::Approx(480).epsilon(0.005));
  CHECK(t[0].center.y == doctest::Approx(300).epsilon(0.005));
  CHECK(t[0].fullness == doctest::Approx(100 * M_PI / 4).epsilon(0.05));  // a disc fills pi/4 of its square
  CHECK(t[1].range == 1);
}

TEST_CASE("colour: area, aspect and fullness filters") {
  ColorOptions o;
  o.ranges = {parse_hsv_range("50-80,100-255,100-255"), parse_hsv_range("170-10,120-255,120-255")};
  o.min_area = 0.05;
  {
    ColorOptions a = o;
    a.max_area = 1.0;  // the rectangle is 1.56 %, the disc 0.92 %
    auto t = ColorTargetFinder(a).find(scene());
    REQUIRE(t.size() == 1);
    CHECK(t[0].range == 1);
  }
  {
    ColorOptions a = o;
    a.min_aspect = 2;
    a.max_aspect = 4;
    auto t = ColorTargetFinder(a).find(scene());
    REQUIRE(t.size() == 1);
    CHECK(t[0].range == 0);
  }
  {
    ColorOptions a = o;
    a.min_fullness = 90;
    auto t = ColorTargetFinder(a).find(scene());
    REQUIRE(t.size() == 1);
    CHECK(t[0].range == 0);
  }
  {
    ColorOptions a = o;
    a.max_targets = 1;
    CHECK(ColorTargetFinder(a).find(scene()).size() == 2);  // one per range
  }
  ColorOptions bad = o;
  bad.min_area = 5;
  bad.max_area = 1;
  CHECK(error_of([&] { ColorTargetFinder f(bad); }).find("--min-area") != std::string::npos);
}
