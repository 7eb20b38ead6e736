#include "rvkit/overlay/field_map.hpp"

#include <algorithm>
#include <cmath>

namespace rvkit::overlay {

namespace {
constexpr double kRobotSide = 0.9;  // m, a robot with bumpers
}

FieldMapStage::FieldMapStage(geometry::FieldLayout layout) : layout_(std::move(layout)) {
  length_ = layout_.length;
  width_ = layout_.width;
  if (length_ <= 0 || width_ <= 0) {
    double maxx = 1, maxy = 1;
    for (const auto& [id, p] : layout_.tags) maxx = std::max(maxx, p.t[0]), maxy = std::max(maxy, p.t[1]);
    length_ = maxx + 0.5;
    width_ = maxy + 0.5;
  }
}

cv::Rect FieldMapStage::map_rect(int w, int h, const Style& s) const {
  int mw = std::max(60, int(std::lround(w * 0.32)));
  int mh = int(std::lround(mw * width_ / length_));
  if (mh > h / 2) {  // a tall field or a wide, short image
    mh = h / 2;
    mw = int(std::lround(mh * length_ / width_));
  }
  return {w - mw - s.pad, h - mh - s.pad, mw, mh};
}

void FieldMapStage::draw(Canvas& c, const std::vector<MapPose>& poses) const {
  const Style& s = c.style;
  cv::Rect full = map_rect(c.img.cols, c.img.rows, s);
  cv::Rect r = full & cv::Rect(0, 0, c.img.cols, c.img.rows);
  if (r.empty()) return;
  cv::Mat map = c.img(r);  // everything is clipped to the map, whatever the poses say
  blend_rect(map, {0, 0, map.cols, map.rows}, color::black, 0.6);
  double inset = s.line + 1;  // room for the walls' lines inside the map
  double k = std::min((full.width - 2 * inset) / length_, (full.height - 2 * inset) / width_);  // px per metre
  double x0 = full.x - r.x + inset, y0 = full.y - r.y + inset;
  auto to_px = [&](double x, double y) { return cv::Point2d(x0 + x * k, y0 + (width_ - y) * k); };
  int thin = std::max(1, s.line / 2);
  draw_polyline(map, {to_px(0, 0), to_px(length_, 0), to_px(length_, width_), to_px(0, width_)}, true,
                color::grey, thin);
  draw_line(map, to_px(length_ / 2, 0), to_px(length_ / 2, width_), color::grey, thin);
  draw_line(map, to_px(0, 0), to_px(0, width_), color::alliance_blue, s.line + 1);
  draw_line(map, to_px(length_, 0), to_px(length_, width_), color::alliance_red, s.line + 1);
  double dot = std::max(1.0, s.unit * 1.5);
  for (const auto& [id, p] : layout_.tags) {
    cv::Point2d a = to_px(p.t[0], p.t[1]);
    geometry::Vec3 face = p.R * geometry::Vec3{1, 0, 0};  // the tag's X axis points out of its face
    double n = std::hypot(face[0], face[1]);
    if (n > 1e-6) {
      cv::Point2d b = to_px(p.t[0] + face[0] / n * 0.5, p.t[1] + face[1] / n * 0.5);
      draw_line(map, a, b, color::grey, thin);
    }
    draw_circle(map, a, dot, color::white, -1);
  }
  for (const MapPose& mp : poses) {
    double yaw = mp.pose.rpy()[2];
    double half = std::max(kRobotSide * k, 7.0) / 2;  // px
    cv::Point2d centre = to_px(mp.pose.t[0], mp.pose.t[1]);
    double cs = std::cos(yaw), sn = std::sin(yaw);
    auto at = [&](double fwd, double left) {  // robot frame (px) to image: y flips
      return cv::Point2d(centre.x + fwd * cs - left * sn, centre.y - (fwd * sn + left * cs));
    };
    draw_polyline(map, {at(half, half), at(half, -half), at(-half, -half), at(-half, half)}, true, mp.colour,
                  std::max(1, s.line));
    fill_polygon(map, {at(half * 1.6, 0), at(half * 0.4, half * 0.6), at(half * 0.4, -half * 0.6)}, mp.colour);
  }
}

}  // namespace rvkit::overlay
