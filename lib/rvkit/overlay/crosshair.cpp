#include "rvkit/overlay/crosshair.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"

namespace rvkit::overlay {

Crosshair parse_crosshair(const std::string& spec) {
  Crosshair c;
  std::string xy = spec;
  if (size_t eq = spec.find('='); eq != std::string::npos) {
    c.cam = spec.substr(0, eq);
    xy = spec.substr(eq + 1);
    if (c.cam.empty()) throw OptionError("--crosshair", spec, "no camera name before '='");
  }
  size_t comma = xy.find(',');
  auto number = [&](const std::string& s, double& v) {
    try {
      size_t used = 0;
      v = std::stod(s, &used);
      return used == s.size() && std::isfinite(v);
    } catch (const std::exception&) {
      return false;
    }
  };
  if (comma == std::string::npos || !number(xy.substr(0, comma), c.x) || !number(xy.substr(comma + 1), c.y))
    throw OptionError("--crosshair", spec, "expected [CAM=]X,Y, two numbers from -1 to 1");
  if (std::fabs(c.x) > 1 || std::fabs(c.y) > 1)
    throw OptionError("--crosshair", spec, "X and Y must be from -1 to 1 (normalised, right and up positive)");
  return c;
}

void CrosshairStage::draw(Canvas& c, const std::string& cam) const {
  const Style& s = c.style;
  double arm = std::max(6.0, std::min(c.img.cols, c.img.rows) * 0.06);
  for (const Crosshair& h : crosshairs_) {
    if (!h.cam.empty() && h.cam != cam) continue;
    cv::Point2d m = c.map({(h.x + 1) / 2 * c.frame_w - 0.5, (1 - h.y) / 2 * c.frame_h - 0.5});
    m = {std::floor(m.x + 0.5), std::floor(m.y + 0.5)};  // on a pixel: crisp lines (half a pixel off at most)
    for (int pass = 0; pass < 2; ++pass) {  // a dark outline, then the line: visible on any background
      const cv::Scalar& col = pass ? color::cyan : color::black;
      int t = pass ? s.line : s.line + 2;
      draw_line(c.img, {m.x - arm, m.y}, {m.x + arm, m.y}, col, t);
      draw_line(c.img, {m.x, m.y - arm}, {m.x, m.y + arm}, col, t);
    }
  }
}

}  // namespace rvkit::overlay
