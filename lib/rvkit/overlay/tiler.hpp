// rvkit overlay: several cameras composed into one output camera (--tile CAM1,CAM2[,...]).
//
// Cells: up to 3 cameras side by side, more in a grid (4: 2x2, 5-6: 3x2, 7-9: 3x3, ... at most 16).
// Each camera's frame is scaled into its cell keeping its aspect ratio (black bars), then annotated
// at the cell's size, so text stays legible. A tile is emitted as soon as every camera has delivered a
// new frame since the last tile, or when a camera delivers its second new frame before the others
// (so a slow or unplugged camera never stops the tile): the rate is that of the fastest camera at
// most, and nothing waits on a clock. The tile's t_capture is the oldest capture time of the frames
// that are new in it (latency is never understated); its seq counts tiles from 0. A cell whose camera
// has sent nothing for a second (by the clock passed in: arrival, not capture times, so recorded
// streams captured at different times tile fine) is dimmed and marked "NO SIGNAL"; a camera not seen
// yet shows "waiting for CAM".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/core/message.hpp"
#include "rvkit/overlay/canvas.hpp"

namespace rvkit::overlay {

constexpr int kMaxTileCams = 16;

// Parses "CAM1,CAM2[,...]": 2..16 distinct non-empty names. Throws rvkit::OptionError.
std::vector<std::string> parse_tile_list(const std::string& spec);

class Tiler {
 public:
  // size 0x0: each cell the size of the first frame seen (smaller if the tile would exceed 4096x4096).
  Tiler(std::vector<std::string> cams, std::string name, cv::Size size);

  bool has(const std::string& cam) const { return index(cam) >= 0; }
  const std::vector<std::string>& cams() const { return cams_; }
  // True when `cam` already has a frame waiting for the next tile: emit the tile first.
  bool fresh(const std::string& cam) const;
  // True when every camera has a new frame since the last tile.
  bool complete() const;
  bool any_fresh() const;
  // Scales `frame` into the camera's cell and returns a canvas over it for the camera's annotations.
  // `now`: a monotonic clock in µs (the frame's arrival).
  Canvas place(const std::string& cam, const cv::Mat& frame, int64_t t_capture, int64_t now);
  // The composed image (the tiler's own, kept between tiles: restore whatever you draw on it) and
  // the tile's cam/seq/t_capture; marks every camera not fresh. Call only when any_fresh().
  cv::Mat take(FrameInfo& info, int64_t now);
  cv::Size size() const { return canvas_.size(); }

 private:
  struct Cell {
    std::string cam;
    cv::Rect rect;       // the cell in the tile
    cv::Rect fitted;     // where the last frame went
    bool fresh = false, seen = false, dimmed = false;
    int64_t t_capture = 0;
    int64_t arrived = 0;
  };
  int index(const std::string& cam) const;
  void allocate(cv::Size first_frame);
  void mark(Cell& c, const std::string& text, bool dim);

  std::vector<std::string> cams_;
  std::string name_;
  cv::Size requested_;
  int cols_ = 1, rows_ = 1;
  std::vector<Cell> cells_;
  cv::Mat canvas_;
  int64_t seq_ = 0;
};

}  // namespace rvkit::overlay
