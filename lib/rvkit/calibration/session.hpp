// rvkit calibration: a calibration session over a stream of frames: which views to keep, how far
// the calibration has come, what the user should do next, and the annotated frame showing it.
//
// Each frame goes through add(): the board is found; the view is kept when it adds information
// (board corners in image cells not yet covered, or a new combination of position, distance and
// tilt) and is sharp and still (rejected when the board moved more than `max_motion_px` since the
// previous frame, or its sharpness is below `min_sharpness`); with `keep_all` every view with the
// board is kept (a folder of chosen photos). Once `min_views` views are kept (at least 4), the
// calibration is re-solved after each new view, so the RMS and the uncertainty shown are current
// (those solves keep every corner, to stay one calibrateCamera per view; the final solve() leaves
// out outlier corners as SolveOptions says, so its RMS and uncertainty can be lower).
// done() says when the targets given are met; solve() makes the final solution.
//
// Not thread-safe: one thread feeds a session.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/calibration/board.hpp"
#include "rvkit/calibration/solver.hpp"

namespace rvkit::calibration {

struct SessionOptions {
  SolveOptions solve;
  bool keep_all = false;          // keep every view with the board (no selection)
  int max_views = 0;              // stop keeping views after this many (0: no limit)
  int min_views = 0;              // done() needs this many views (0: no view target)
  double target_error_px = 0;     // done() needs the projection uncertainty (RMS px) below this (0: none)
  double max_motion_px = 2.0;     // mean corner motion since the previous frame that rejects a view
  double min_sharpness = 0;       // least board sharpness (variance of the Laplacian, grey levels^2)
  int grid_cols = 8, grid_rows = 6;  // coverage cells
};

// What happened to one frame.
struct FrameStatus {
  bool board = false;       // the board was found
  bool kept = false;        // the view was kept
  int corners = 0;          // corners found
  double sharpness = 0;     // the board region's variance of the Laplacian
  double motion_px = -1;    // mean corner motion since the previous frame (-1: not measurable)
  std::string reason;       // why it was not kept, or "new view"
  std::string advice;       // what to do next ("cover the top-right corner", "tilt the board", ...)
};

class Session {
 public:
  Session(const Board& board, const SessionOptions& opt);

  // One frame (CV_8UC1 or CV_8UC3). Throws rvkit::Error when its size differs from the first's.
  FrameStatus add(const cv::Mat& image);
  // The frame with the corners found, the coverage heat map, the views, RMS and the advice.
  // `image` is the frame given to the last add(); returns a BGR image of its size.
  cv::Mat annotate(const cv::Mat& image, const FrameStatus& st) const;

  bool done() const;
  int views() const { return static_cast<int>(views_.size()); }
  int frames() const { return frames_; }
  int frames_with_board() const { return with_board_; }
  cv::Size size() const { return size_; }
  // The latest intermediate solution (after min(4, min_views) views), if any.
  const std::optional<Solution>& current() const { return current_; }
  // The final solve over the kept views; throws rvkit::Error if there are too few.
  Solution solve() const;
  const std::vector<BoardView>& kept_views() const { return views_; }

 private:
  struct Descriptor {
    double x, y, size, tilt_x, tilt_y;
  };
  Descriptor describe(const BoardView& v) const;
  std::string advise() const;
  int new_cells(const BoardView& v) const;
  void add_coverage(const BoardView& v);

  const Board& board_;
  SessionOptions opt_;
  cv::Size size_;
  std::vector<BoardView> views_;
  std::vector<Descriptor> descriptors_;
  cv::Mat coverage_;  // CV_32S grid_rows x grid_cols: corners of kept views per cell
  BoardView last_, previous_;
  int frames_ = 0, with_board_ = 0;
  std::optional<Solution> current_;
  std::optional<ProjectionUncertainty> uncertainty_;
};

}  // namespace rvkit::calibration
