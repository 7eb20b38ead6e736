// rvkit overlay: the heads-up display: camera name, frame rate and end-to-end latency in the top-right
// corner, and the --text templates in the bottom-left corner, each on a translucent dark box.
#pragma once
#include <string>
#include <vector>

#include "rvkit/overlay/canvas.hpp"
#include "rvkit/overlay/text_template.hpp"

namespace rvkit::overlay {

struct HudItems {
  bool cam = true, fps = true, latency = true;
  bool any() const { return cam || fps || latency; }
};
// Parses --hud: a comma-separated list of cam, fps, latency; or "none". Throws rvkit::OptionError.
HudItems parse_hud_items(const std::string& spec);

class HudStage {
 public:
  HudStage(HudItems items, std::vector<TextTemplate> texts) : items_(items), texts_(std::move(texts)) {}
  // The status box, e.g. "front  30.0 fps  42 ms" (latency = now - t_capture, from ctx).
  void draw_status(Canvas& c, const TemplateContext& ctx) const;
  // One line per --text template, filled from ctx, cut off at max_width px.
  void draw_texts(Canvas& c, const TemplateContext& ctx, int max_width = 1 << 30) const;
  // Where draw_texts() would draw.
  cv::Rect texts_rect(const Canvas& c, const TemplateContext& ctx, int max_width = 1 << 30) const;
  const std::vector<TextTemplate>& texts() const { return texts_; }

 private:
  HudItems items_;
  std::vector<TextTemplate> texts_;
};

}  // namespace rvkit::overlay
