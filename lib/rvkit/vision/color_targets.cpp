#include "rvkit/vision/color_targets.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::vision {

HsvRange parse_hsv_range(const std::string& text) {
  auto fail = [&](const char* why) { return OptionError("--color", text, why); };
  const char* kForm = "expected H1-H2,S1-S2,V1-V2 (e.g. 50-90,100-255,80-255)";
  std::string s;
  for (char c : text)
    if (c != ' ' && c != '\t') s += c;
  int v[6];
  size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    size_t n = 0;
    while (pos + n < s.size() && std::isdigit(static_cast<unsigned char>(s[pos + n]))) ++n;
    if (n == 0) throw fail(kForm);
    if (n > 3) throw fail("value out of range");
    v[i] = std::stoi(s.substr(pos, n));
    pos += n;
    const char want = i == 5 ? '\0' : (i % 2 == 0 ? '-' : ',');
    if (want == '\0') {
      if (pos != s.size()) throw fail(kForm);
    } else {
      if (pos >= s.size() || s[pos] != want) throw fail(kForm);
      ++pos;
    }
  }
  if (v[0] > 179 || v[1] > 179) throw fail("hue runs 0..179 (OpenCV's scale, degrees / 2)");
  for (int i = 2; i < 6; ++i)
    if (v[i] > 255) throw fail("saturation and value run 0..255");
  if (v[2] > v[3] || v[4] > v[5]) throw fail("saturation and value ranges must be low-high");
  return {v[0], v[1], v[2], v[3], v[4], v[5]};
}

ColorTargetFinder::ColorTargetFinder(ColorOptions opt) : opt_(std::move(opt)) {
  if (!(opt_.min_area >= 0 && opt_.max_area <= 100 && opt_.min_area <= opt_.max_area))
    throw OptionError("--min-area/--max-area must satisfy 0 <= min <= max <= 100 (% of the image)");
  if (!(opt_.min_aspect >= 0 && opt_.min_aspect <= opt_.max_aspect)) throw OptionError("--aspect must be MIN-MAX with 0 <= MIN <= MAX");
  if (!(opt_.min_fullness >= 0 && opt_.max_fullness <= 100 && opt_.min_fullness <= opt_.max_fullness))
    throw OptionError("--fullness must be MIN-MAX within 0..100 (%)");
  if (opt_.max_targets < 1) throw OptionError("--max-targets must be at least 1");
}

std::vector<ColorTarget> ColorTargetFinder::find(const cv::Mat& bgr) {
  std::vector<ColorTarget> all;
  if (opt_.ranges.empty() || bgr.empty()) return all;
  CV_Assert(bgr.type() == CV_8UC3);
  cv::cvtColor(bgr, hsv_, cv::COLOR_BGR2HSV);
  const double image_area = double(bgr.cols) * bgr.rows;
  for (size_t r = 0; r < opt_.ranges.size(); ++r) {
    const HsvRange& h = opt_.ranges[r];
    if (h.h_lo <= h.h_hi) {
      cv::inRange(hsv_, cv::Scalar(h.h_lo, h.s_lo, h.v_lo), cv::Scalar(h.h_hi, h.s_hi, h.v_hi), mask_);
    } else {  // wraps around red
      cv::inRange(hsv_, cv::Scalar(h.h_lo, h.s_lo, h.v_lo), cv::Scalar(179, h.s_hi, h.v_hi), mask_);
      cv::inRange(hsv_, cv::Scalar(0, h.s_lo, h.v_lo), cv::Scalar(h.h_hi, h.s_hi, h.v_hi), mask2_);
      cv::bitwise_or(mask_, mask2_, mask_);
    }
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask_, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    std::vector<ColorTarget> found;
    for (const auto& c : contours) {
      // Contours run through the centres of the boundary pixels; count the pixels they enclose
      // (area + half the perimeter + 1, exact for straight edges) so a 10x10 blob is 100, not 81.
      double a = cv::contourArea(c) + cv::arcLength(c, true) / 2 + 1;
      double pct = 100.0 * a / image_area;
      if (pct < opt_.min_area || pct > opt_.max_area) continue;
      cv::RotatedRect rr = cv::minAreaRect(c);
      rr.size.width += 1;  // likewise, measure the rectangle over whole pixels
      rr.size.height += 1;
      // Normalise so that `width` is the side nearer the image x axis and the angle is in (-45, 45].
      double w = rr.size.width, hgt = rr.size.height, ang = rr.angle;  // OpenCV: clockwise on screen
      while (ang > 45) { ang -= 90; std::swap(w, hgt); }
      while (ang <= -45) { ang += 90; std::swap(w, hgt); }
      if (w <= 0 || hgt <= 0) continue;
      double aspect = w / hgt;
      double fullness = 100.0 * a / (w * hgt);
      if (aspect < opt_.min_aspect || aspect > opt_.max_aspect) continue;
      if (fullness < opt_.min_fullness || fullness > opt_.max_fullness) continue;
      ColorTarget t;
      t.range = int(r);
      cv::Moments m = cv::moments(c);
      t.center = m.m00 > 0 ? cv::Point2d(m.m10 / m.m00, m.m01 / m.m00) : cv::Point2d(rr.center);
      t.area = pct;
      t.bbox = cv::boundingRect(c);
      t.angle = ang == 0 ? 0.0 : -ang;  // image y points down: a clockwise screen angle is negative
      t.width = w;
      t.height = hgt;
      t.aspect = aspect;
      t.fullness = std::min(100.0, fullness);
      cv::Point2f p[4];
      rr.points(p);
      for (int k = 0; k < 4; ++k) t.corners[size_t(k)] = p[k];
      found.push_back(t);
    }
    std::sort(found.begin(), found.end(), [](const ColorTarget& x, const ColorTarget& y) { return x.area > y.area; });
    if (found.size() > size_t(opt_.max_targets)) found.resize(size_t(opt_.max_targets));
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

}  // namespace rvkit::vision
