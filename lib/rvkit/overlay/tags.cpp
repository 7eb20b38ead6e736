#include "rvkit/overlay/tags.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/calib3d.hpp>

#include "rvkit/vision/cv_geometry.hpp"

namespace rvkit::overlay {

RecordToCanvas::RecordToCanvas(const Canvas& c, const FrameDetections& d) : canvas(c) {
  if (d.w > 0 && d.h > 0 && c.frame_w > 0 && c.frame_h > 0) {
    sx = double(c.frame_w) / d.w;
    sy = double(c.frame_h) / d.h;
  }
}

void TagStage::draw(Canvas& c, const FrameDetections& d, const vision::CameraCalibration* calib) const {
  RecordToCanvas to(c, d);
  const Style& s = c.style;
  for (const TagDraw& t : d.tags) {
    std::vector<cv::Point2d> q;
    for (const auto& p : t.corners) q.push_back(to(p));
    draw_polyline(c.img, q, true, color::green, s.line);
    // The tag's top edge (top-right to top-left corner) in a second colour shows its rotation.
    draw_line(c.img, q[2], q[3], color::yellow, s.line);
    if (calib && t.camera_to_tag)
      draw_axes(c, *t.camera_to_tag, *calib);
  }
  for (const TagDraw& t : d.tags) {  // ids last, on top of every outline
    double top = 1e9, bottom = -1e9, left = 1e9, right = -1e9;
    for (const auto& p : t.corners) {
      cv::Point2d q = to(p);
      top = std::min(top, q.y), bottom = std::max(bottom, q.y);
      left = std::min(left, q.x), right = std::max(right, q.x);
    }
    std::string label = std::to_string(t.id);
    cv::Size ts = text_size(s, label);
    int x = int(std::lround((left + right) / 2 - ts.width / 2.0));
    int y = int(std::lround(top)) - s.pad;
    if (y - ts.height < 0) y = int(std::lround(bottom)) + s.pad + ts.height;
    x = std::clamp(x, 0, std::max(0, c.img.cols - ts.width));
    draw_outlined_text(c.img, label, {x, y}, s, color::white);
  }
}

void TagStage::draw_axes(Canvas& c, const geometry::Pose3& camera_to_tag, const vision::CameraCalibration& calib) const {
  const double L = axis_length_;
  const cv::Vec3d pts[4] = {{0, 0, 0}, {L, 0, 0}, {0, L, 0}, {0, 0, L}};
  std::vector<cv::Point3d> optical;
  for (const auto& p : pts) {
    cv::Vec3d q = vision::cv_from_camera() * vision::to_cv(camera_to_tag.apply(vision::from_cv(p)));
    if (!(q[2] > 0.01)) return;  // behind (or at) the camera: nothing sensible to draw
    optical.emplace_back(q[0], q[1], q[2]);
  }
  std::vector<cv::Point2d> px;
  cv::projectPoints(optical, cv::Vec3d(0, 0, 0), cv::Vec3d(0, 0, 0), cv::Mat(calib.K), calib.dist, px);
  const cv::Scalar colours[3] = {color::red, color::green, color::blue};
  for (int i = 1; i <= 3; ++i) draw_line(c.img, c.map(px[0]), c.map(px[size_t(i)]), colours[i - 1], c.style.line + 1);
}

}  // namespace rvkit::overlay
