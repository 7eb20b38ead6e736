// rvkit vision: colour targets (HSV threshold + contours), the retroreflective-tape and
// game-piece pipelines FRC teams used before AprilTags.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit::vision {

// An HSV box in OpenCV's scales: H 0..179 (degrees / 2), S and V 0..255. When h_lo > h_hi the
// hue range wraps around red (e.g. 170-10).
struct HsvRange {
  int h_lo = 0, h_hi = 179, s_lo = 0, s_hi = 255, v_lo = 0, v_hi = 255;
};
// Parses "H1-H2,S1-S2,V1-V2"; throws rvkit::OptionError (--color) naming the problem.
HsvRange parse_hsv_range(const std::string& s);

struct ColorOptions {
  std::vector<HsvRange> ranges;
  double min_area = 0.05;    // % of the image
  double max_area = 100;     // % of the image
  double min_aspect = 0;     // width / height of the rotated rectangle (width: its more horizontal side)
  double max_aspect = 1e9;
  double min_fullness = 0;   // contour area / rotated-rectangle area, %
  double max_fullness = 100;
  int max_targets = 10;      // per range, largest first
};

struct ColorTarget {
  int range = 0;                            // index of the --color range that found it
  cv::Point2d center;                       // centroid of the contour, pixels
  double area = 0;                          // pixels enclosed by the contour, % of the image
  cv::Rect bbox;                            // axis-aligned bounding box, pixels
  double angle = 0;                         // rotated rectangle: its width side's angle from the image
                                            // x axis, degrees in (-45, 45], counter-clockwise positive
  double width = 0, height = 0;             // rotated rectangle sides, pixels (over whole pixels)
  double aspect = 0;                        // width / height
  double fullness = 0;                      // contour area / rotated-rectangle area, %
  std::array<cv::Point2d, 4> corners;       // rotated rectangle corners, pixels (enclosing the pixels)
};

// Finds targets in a BGR image. `scratch` images are reused between calls.
class ColorTargetFinder {
 public:
  explicit ColorTargetFinder(ColorOptions opt);
  std::vector<ColorTarget> find(const cv::Mat& bgr);
  const ColorOptions& options() const { return opt_; }

 private:
  ColorOptions opt_;
  cv::Mat hsv_, mask_, mask2_;
};

}  // namespace rvkit::vision
