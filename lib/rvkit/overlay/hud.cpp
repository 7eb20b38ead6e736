#include "rvkit/overlay/hud.hpp"

#include <sstream>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::overlay {

HudItems parse_hud_items(const std::string& spec) {
  HudItems h{false, false, false};
  if (spec == "none") return h;
  std::stringstream ss(spec);
  std::string item;
  int n = 0;
  while (std::getline(ss, item, ',')) {
    ++n;
    if (item == "cam") h.cam = true;
    else if (item == "fps") h.fps = true;
    else if (item == "latency") h.latency = true;
    else throw OptionError("--hud", spec, fmt::format("unknown item '{}' (use cam, fps, latency, or none)", item));
  }
  if (n == 0) throw OptionError("--hud", spec, "expected cam, fps, latency (comma-separated) or none");
  return h;
}

void HudStage::draw_status(Canvas& c, const TemplateContext& ctx) const {
  if (!items_.any()) return;
  std::vector<std::string> parts;
  if (items_.cam) parts.push_back(ctx.cam);
  if (items_.fps) parts.push_back(ctx.fps > 0 ? fmt::format("{:.1f} fps", ctx.fps) : std::string("-- fps"));
  if (items_.latency) parts.push_back(fmt::format("{:.0f} ms", ctx.latency_ms));
  std::string line;
  for (const auto& p : parts) line += (line.empty() ? "" : "  ") + p;
  draw_text_box(c.img, {line}, Corner::TopRight, c.style);
}

void HudStage::draw_texts(Canvas& c, const TemplateContext& ctx, int max_width) const {
  if (texts_.empty()) return;
  std::vector<std::string> lines;
  for (const auto& t : texts_) lines.push_back(t.render(ctx));
  draw_text_box(c.img, lines, Corner::BottomLeft, c.style, 0, max_width);
}

cv::Rect HudStage::texts_rect(const Canvas& c, const TemplateContext& ctx, int max_width) const {
  if (texts_.empty()) return {};
  std::vector<std::string> lines;
  for (const auto& t : texts_) lines.push_back(t.render(ctx));
  return text_box_rect(c.img.size(), lines, Corner::BottomLeft, c.style, 0, max_width);
}

}  // namespace rvkit::overlay
