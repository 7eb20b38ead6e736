#include "rvkit/overlay/canvas.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>

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

namespace {

// Text is drawn from a cache of glyphs: each character is rendered once per style with OpenCV's
// Hershey font (anti-aliased) into a coverage mask, then blended wherever it is needed. That is
// 5-10 times faster than putText for the short strings overlay draws every frame.
class GlyphCache {
 public:
  struct Glyph {
    cv::Mat mask;       // coverage 0..255
    cv::Point offset;   // mask's top-left relative to the pen (left end of the baseline)
    double advance = 0; // pen advance, px
  };
  struct Font {
    std::array<Glyph, 128> fill, outline;
    bool has_outline[128] = {};
    bool has_fill[128] = {};
  };

  const Glyph& glyph(const Style& s, unsigned char c, bool outline) {
    if (c < 32 || c > 126) c = '?';
    Font& f = font(s);
    bool& done = outline ? f.has_outline[c] : f.has_fill[c];
    Glyph& g = outline ? f.outline[c] : f.fill[c];
    if (!done) {
      render(s, char(c), outline_thickness(s, outline), g);
      done = true;
    }
    return g;
  }

  static int outline_thickness(const Style& s, bool outline) {
    return outline ? s.font_thickness + std::max(2, s.font_thickness) : s.font_thickness;
  }

 private:
  Font& font(const Style& s) {
    auto key = std::make_pair(s.text_px, s.font_thickness);
    auto it = fonts_.find(key);
    if (it == fonts_.end()) {
      if (fonts_.size() >= 16) fonts_.clear();  // many cell sizes at once: start again
      it = fonts_.emplace(key, std::make_unique<Font>()).first;
    }
    return *it->second;
  }

  static void render(const Style& s, char c, int thickness, Glyph& g) {
    std::string text(1, c);
    int m = thickness + 2;
    int base = 0;
    cv::Size sz = cv::getTextSize(text, kFont, s.font_scale, thickness, &base);
    cv::Mat canvas = cv::Mat::zeros(s.text_px * 3 + 2 * m, sz.width + s.text_px + 2 * m, CV_8UC1);
    cv::Point pen(m, m + s.text_px * 2);
    cv::putText(canvas, text, pen, kFont, s.font_scale, cv::Scalar(255), thickness, cv::LINE_AA);
    cv::Rect box = cv::boundingRect(canvas);
    if (box.empty()) box = cv::Rect(0, 0, 1, 1);
    g.mask = canvas(box).clone();
    g.offset = box.tl() - pen;
    // The advance at 1/16 px: getTextSize rounds its width, which includes the thickness once.
    cv::Size wide = cv::getTextSize(text, kFont, s.font_scale * 16, 1, &base);
    g.advance = (wide.width - 1) / 16.0;
  }

  std::map<std::pair<int, int>, std::unique_ptr<Font>> fonts_;
};

GlyphCache& glyphs() {
  thread_local GlyphCache cache;
  return cache;
}

// Blends `colour` into img where `mask` covers, mask placed at `at`.
void blend_mask(cv::Mat& img, const cv::Mat& mask, cv::Point at, const cv::Scalar& colour) {
  cv::Rect r = cv::Rect(at, mask.size()) & cv::Rect(0, 0, img.cols, img.rows);
  if (r.empty()) return;
  const int c0 = int(colour[0]), c1 = int(colour[1]), c2 = int(colour[2]);
  for (int y = r.y; y < r.y + r.height; ++y) {
    const uchar* a = mask.ptr<uchar>(y - at.y) + (r.x - at.x);
    uchar* p = img.ptr<uchar>(y) + r.x * 3;
    for (int x = 0; x < r.width; ++x, p += 3) {
      int k = a[x];
      if (!k) continue;
      if (k == 255) {
        p[0] = uchar(c0), p[1] = uchar(c1), p[2] = uchar(c2);
        continue;
      }
      p[0] = uchar((p[0] * (255 - k) + c0 * k + 127) / 255);
      p[1] = uchar((p[1] * (255 - k) + c1 * k + 127) / 255);
      p[2] = uchar((p[2] * (255 - k) + c2 * k + 127) / 255);
    }
  }
}

void draw_glyphs(cv::Mat& img, const std::string& text, cv::Point pen, const Style& s, const cv::Scalar& c,
                 bool outline) {
  double x = pen.x;
  for (unsigned char ch : text) {
    const auto& g = glyphs().glyph(s, ch, outline);
    if (ch != ' ') blend_mask(img, g.mask, cv::Point(int(std::lround(x)), pen.y) + g.offset, c);
    x += g.advance;
  }
}

}  // namespace

cv::Size text_size(const Style& s, const std::string& text) {
  double w = 0;
  for (unsigned char ch : text) w += glyphs().glyph(s, ch, false).advance;
  return {int(std::lround(w)) + s.font_thickness, s.text_px};
}

void draw_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s, const cv::Scalar& c) {
  draw_glyphs(img, text, baseline_left, s, c, false);
}

void draw_outlined_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s,
                        const cv::Scalar& c) {
  draw_glyphs(img, text, baseline_left, s, color::black, true);
  draw_glyphs(img, text, baseline_left, s, c, false);
}

namespace {
int line_height(const Style& s) { return s.text_px + s.pad + s.pad / 2; }
}  // namespace

cv::Rect text_box_rect(cv::Size img, const std::vector<std::string>& lines, Corner corner, const Style& s, int offset,
                       int max_width) {
  if (lines.empty()) return {};
  int w = 0;
  for (const auto& l : lines) w = std::max(w, text_size(s, l).width);
  int box_w = std::min(w + 2 * s.pad, std::max(0, max_width));
  int box_h = int(lines.size()) * line_height(s) + s.pad - s.pad / 2;
  bool right = corner == Corner::TopRight || corner == Corner::BottomRight;
  bool bottom = corner == Corner::BottomLeft || corner == Corner::BottomRight;
  int x = right ? img.width - box_w : 0;
  int y = bottom ? img.height - box_h - offset : offset;
  return cv::Rect(x, y, box_w, box_h);
}

cv::Rect draw_text_box(cv::Mat& img, const std::vector<std::string>& lines, Corner corner, const Style& s, int offset,
                       int max_width) {
  cv::Rect unclipped = text_box_rect(img.size(), lines, corner, s, offset, max_width);
  cv::Rect box = unclipped & cv::Rect(0, 0, img.cols, img.rows);
  if (box.empty()) return {};
  bool right = corner == Corner::TopRight || corner == Corner::BottomRight;
  blend_rect(img, box, color::black, 0.55);
  cv::Mat inside = img(box);  // text is clipped to the box
  for (size_t i = 0; i < lines.size(); ++i) {
    int tw = text_size(s, lines[i]).width;
    int tx = (right ? unclipped.width - s.pad - tw : s.pad) + (unclipped.x - box.x);
    int ty = (unclipped.y - box.y) + s.pad + int(i) * line_height(s) + s.text_px;
    draw_text(inside, lines[i], {tx, ty}, s, color::white);
  }
  return box;
}

}  // namespace rvkit::overlay
