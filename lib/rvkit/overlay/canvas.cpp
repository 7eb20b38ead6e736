#include "rvkit/overlay/canvas.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace rvkit::overlay {

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kShift = 4;  // sub-pixel bits for OpenCV's drawing functions
constexpr double kOne = 1 << kShift;
constexpr double kMaxCoord = 1e6;  // far outside any image; keeps the fixed-point values in range

// Height of a digit at font scale 1, as getTextSize reports it.
int unit_text_height() {
  static const int h = [] {
    int base = 0;
    return cv::getTextSize("0", kFont, 1.0, 1, &base).height;
  }();
  return h;
}

cv::Point fixed(cv::Point2d p) {
  auto f = [](double v) {
    if (!std::isfinite(v)) v = 0;
    return int(std::lround(std::clamp(v, -kMaxCoord, kMaxCoord) * kOne));
  };
  return {f(p.x), f(p.y)};
}

}  // namespace

Style Style::for_size(int w, int h) {
  Style s;
  int m = std::max(1, std::min(w, h));
  s.unit = m / 480.0;
  s.line = std::max(1, int(std::lround(s.unit * 2)));
  s.text_px = std::max(9, int(std::lround(m * 0.036)));
  s.font_scale = double(s.text_px) / unit_text_height();
  s.font_thickness = std::max(1, int(std::lround(s.text_px / 11.0)));
  s.pad = std::max(2, int(std::lround(s.text_px * 0.35)));
  return s;
}

Canvas::Canvas(cv::Mat frame) : img(std::move(frame)), scale(1), frame_w(img.cols), frame_h(img.rows) {
  style = Style::for_size(img.cols, img.rows);
}

Canvas::Canvas(cv::Mat roi, int fw, int fh) : img(std::move(roi)), frame_w(fw), frame_h(fh) {
  scale = fw > 0 && fh > 0 ? std::min(double(img.cols) / fw, double(img.rows) / fh) : 1.0;
  style = Style::for_size(img.cols, img.rows);
}

void draw_line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& c, int thickness) {
  cv::line(img, fixed(a), fixed(b), c, thickness, cv::LINE_AA, kShift);
}

void draw_polyline(cv::Mat& img, const std::vector<cv::Point2d>& pts, bool closed, const cv::Scalar& c, int thickness) {
  if (pts.size() < 2) return;
  std::vector<cv::Point> p;
  p.reserve(pts.size());
  for (const auto& q : pts) p.push_back(fixed(q));
  cv::polylines(img, p, closed, c, thickness, cv::LINE_AA, kShift);
}

void draw_circle(cv::Mat& img, cv::Point2d centre, double radius, const cv::Scalar& c, int thickness) {
  int r = int(std::lround(std::clamp(radius, 0.0, kMaxCoord) * kOne));
  cv::circle(img, fixed(centre), r, c, thickness, cv::LINE_AA, kShift);
}

void fill_polygon(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& c) {
  if (pts.size() < 3) return;
  std::vector<cv::Point> p;
  p.reserve(pts.size());
  for (const auto& q : pts) p.push_back(fixed(q));
  cv::fillConvexPoly(img, p, c, cv::LINE_AA, kShift);
}

void blend_rect(cv::Mat& img, cv::Rect r, const cv::Scalar& c, double alpha) {
  r &= cv::Rect(0, 0, img.cols, img.rows);
  if (r.empty()) return;
  cv::Mat roi = img(r);
  roi.convertTo(roi, -1, 1.0 - alpha);  // in place: darken
  if (c != cv::Scalar()) roi += c * alpha;
}

cv::Size text_size(const Style& s, const std::string& text) {
  int base = 0;
  cv::Size sz = cv::getTextSize(text, kFont, s.font_scale, s.font_thickness, &base);
  return {sz.width, s.text_px};
}

void draw_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s, const cv::Scalar& c) {
  cv::putText(img, text, baseline_left, kFont, s.font_scale, c, s.font_thickness, cv::LINE_AA);
}

void draw_outlined_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s,
                        const cv::Scalar& c) {
  int outline = s.font_thickness + std::max(2, s.font_thickness);
  cv::putText(img, text, baseline_left, kFont, s.font_scale, color::black, outline, cv::LINE_AA);
  cv::putText(img, text, baseline_left, kFont, s.font_scale, c, s.font_thickness, cv::LINE_AA);
}

cv::Rect draw_text_box(cv::Mat& img, const std::vector<std::string>& lines, Corner corner, const Style& s, int offset) {
  if (lines.empty()) return {};
  int line_h = s.text_px + s.pad + s.pad / 2;
  int w = 0;
  for (const auto& l : lines) w = std::max(w, text_size(s, l).width);
  int box_w = w + 2 * s.pad, box_h = int(lines.size()) * line_h + s.pad - s.pad / 2;
  bool right = corner == Corner::TopRight || corner == Corner::BottomRight;
  bool bottom = corner == Corner::BottomLeft || corner == Corner::BottomRight;
  int x = right ? img.cols - box_w : 0;
  int y = bottom ? img.rows - box_h - offset : offset;
  cv::Rect box(x, y, box_w, box_h);
  blend_rect(img, box, color::black, 0.55);
  for (size_t i = 0; i < lines.size(); ++i) {
    int tw = text_size(s, lines[i]).width;
    int tx = right ? x + box_w - s.pad - tw : x + s.pad;
    int ty = y + s.pad + int(i) * line_h + s.text_px;
    draw_text(img, lines[i], {tx, ty}, s, color::white);
  }
  return box & cv::Rect(0, 0, img.cols, img.rows);
}

}  // namespace rvkit::overlay
