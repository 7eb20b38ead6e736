// rvkit overlay: where and how big things are drawn.
//
// Every stage draws on a Canvas: a BGR image (a whole frame, or one cell of a tile) plus the scale
// from the frame's pixel coordinates to the canvas's. Sizes (line widths, text height, margins) come
// from the canvas's size through Style, so an overlay looks the same at 320x240, at 1280x720 and
// shrunk onto a small dashboard tile.
//
// Coordinates follow docs/records.md: the centre of the top-left pixel is (0, 0).
#pragma once
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit::overlay {

struct Style {
  double unit = 1;          // min(w, h) / 480: 0.5 at 320x240, 1 at 640x480, 1.5 at 1280x720
  int line = 2;             // line width of outlines, px
  int text_px = 17;         // height of capital letters and digits, px
  double font_scale = 0.7;  // cv::FONT_HERSHEY_SIMPLEX scale giving text_px
  int font_thickness = 1;
  int pad = 4;              // margin around text and from the image edges, px

  static Style for_size(int w, int h);
};

// BGR colours.
namespace color {
inline const cv::Scalar white{255, 255, 255}, black{0, 0, 0}, green{0, 230, 0}, red{40, 40, 255},
    blue{255, 120, 30}, yellow{0, 230, 255}, cyan{255, 230, 0}, magenta{255, 60, 255}, orange{0, 150, 255},
    grey{170, 170, 170}, alliance_blue{230, 110, 20}, alliance_red{40, 40, 220};
}  // namespace color

struct Canvas {
  cv::Mat img;          // CV_8UC3, drawn on in place (may be an ROI of a larger image)
  double scale = 1;     // canvas px per frame px
  int frame_w = 0, frame_h = 0;  // the frame's own size (for calibrations and normalised positions)
  Style style;

  Canvas() = default;
  // A canvas over a whole frame (scale 1).
  explicit Canvas(cv::Mat frame);
  // A canvas over `roi`, showing a frame of frame_w x frame_h scaled to fit it.
  Canvas(cv::Mat roi, int frame_w, int frame_h);

  // Frame pixel coordinates to canvas pixel coordinates.
  cv::Point2d map(cv::Point2d p) const { return {(p.x + 0.5) * scale - 0.5, (p.y + 0.5) * scale - 0.5}; }
};

// Anti-aliased drawing at sub-pixel precision (canvas coordinates; huge values are clamped).
void draw_line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& c, int thickness);
void draw_polyline(cv::Mat& img, const std::vector<cv::Point2d>& pts, bool closed, const cv::Scalar& c, int thickness);
void draw_circle(cv::Mat& img, cv::Point2d centre, double radius, const cv::Scalar& c, int thickness);
void fill_polygon(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& c);

// Darkens (or tints) a rectangle: img = img * (1 - alpha) + c * alpha, clipped to the image.
void blend_rect(cv::Mat& img, cv::Rect r, const cv::Scalar& c, double alpha);

// Text. Sizes and positions in canvas pixels; `baseline_left` is the left end of the baseline.
cv::Size text_size(const Style& s, const std::string& text);
void draw_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s, const cv::Scalar& c);
// Text with a dark outline, legible on any background (tag ids, labels in the image).
void draw_outlined_text(cv::Mat& img, const std::string& text, cv::Point baseline_left, const Style& s,
                        const cv::Scalar& c);

enum class Corner { TopLeft, TopRight, BottomLeft, BottomRight };
// Lines of text on a translucent dark box in a corner of the image; returns the box drawn
// (empty when there are no lines). `offset` moves the box away from the corner (e.g. below another box);
// text wider than `max_width` px is cut off there.
cv::Rect draw_text_box(cv::Mat& img, const std::vector<std::string>& lines, Corner corner, const Style& s,
                       int offset = 0, int max_width = 1 << 30);
// The rectangle draw_text_box() would cover, without drawing.
cv::Rect text_box_rect(cv::Size img, const std::vector<std::string>& lines, Corner corner, const Style& s,
                       int offset = 0, int max_width = 1 << 30);

}  // namespace rvkit::overlay
