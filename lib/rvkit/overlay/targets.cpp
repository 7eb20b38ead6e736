#include "rvkit/overlay/targets.hpp"

#include "rvkit/overlay/tags.hpp"

namespace rvkit::overlay {

const cv::Scalar& TargetStage::colour(int index) {
  static const cv::Scalar palette[] = {color::yellow, color::magenta, color::cyan, color::orange};
  constexpr int n = int(sizeof palette / sizeof palette[0]);
  return palette[((index % n) + n) % n];
}

void TargetStage::draw(Canvas& c, const FrameDetections& d) const {
  RecordToCanvas to(c, d);
  const Style& s = c.style;
  for (const TargetDraw& t : d.targets) {
    const cv::Scalar& col = colour(t.color);
    if (t.corners) {
      std::vector<cv::Point2d> q;
      for (const auto& p : *t.corners) q.push_back(to(p));
      draw_polyline(c.img, q, true, col, s.line);
    } else if (t.bbox) {
      const cv::Rect2d& b = *t.bbox;  // whole pixels: the box's outer edge runs through pixel centres
      cv::Point2d a = to({b.x, b.y}), e = to({b.x + b.width - 1, b.y + b.height - 1});
      draw_polyline(c.img, {a, {e.x, a.y}, e, {a.x, e.y}}, true, col, s.line);
    }
    cv::Point2d m = to(t.center);
    double arm = std::max(3.0, s.text_px * 0.5);
    draw_line(c.img, {m.x - arm, m.y}, {m.x + arm, m.y}, col, s.line);
    draw_line(c.img, {m.x, m.y - arm}, {m.x, m.y + arm}, col, s.line);
  }
}

}  // namespace rvkit::overlay
