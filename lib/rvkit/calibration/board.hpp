// rvkit calibration: calibration boards (ChArUco and chessboard): their specs, finding them in an
// image, and drawing them for printing.
//
// A spec is one string, the same on every command line and in every file calib writes:
//   charuco:COLSxROWS:SQUARE_M:MARKER_M:DICTIONARY   e.g. charuco:11x8:0.030:0.022:DICT_5X5_1000
//   chessboard:COLSxROWS:SQUARE_M                    e.g. chessboard:11x11:0.0254
// Both count squares, not inner corners: a ChArUco board as OpenCV's CharucoBoard(Size(cols, rows))
// counts them, a chessboard as PhotonVision does (OpenCV's chessboard pattern size is one less each
// way: 11x11 squares is findChessboardCorners' (10, 10)). ChArUco boards use the pattern of OpenCV
// 4.6's CharucoBoard::create (not the "legacy" pattern of OpenCV < 4.6 / setLegacyPattern(true)).
//
// A Board is immutable after construction; find() may be called from several threads at once.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit::calibration {

struct BoardSpec {
  enum class Kind { charuco, chessboard };
  Kind kind = Kind::charuco;
  int cols = 0, rows = 0;     // squares
  double square_m = 0;        // square edge, metres
  double marker_m = 0;        // ChArUco marker edge, metres (0 for a chessboard)
  std::string dictionary;     // ChArUco: an OpenCV predefined dictionary name, DICT_4X4_50 ...
  int dictionary_id = -1;     // its cv::aruco::PREDEFINED_DICTIONARY_NAME value

  int inner_cols() const { return cols - 1; }
  int inner_rows() const { return rows - 1; }
  int corner_count() const { return inner_cols() * inner_rows(); }
  std::string to_string() const;  // the spec again, in its canonical form
};

// Parses a spec; throws rvkit::OptionError naming `option`, the spec and the field at fault.
BoardSpec parse_board_spec(const std::string& spec, const std::string& option = "--board");

// One view of the board: the corners found, with their positions on the board (z = 0, metres, x right
// and y down as draw() draws it; a chessboard's origin at its first inner corner, a ChArUco board's at
// the board's top-left corner as OpenCV puts it, so its first inner corner is at (square, square))
// and their ids (0 .. corner_count-1, row-major over inner corners, x fastest).
struct BoardView {
  std::vector<cv::Point2f> image_points;
  std::vector<cv::Point3f> object_points;
  std::vector<int> ids;
  int markers = 0;  // ChArUco markers found (0 for a chessboard)
  bool empty() const { return image_points.empty(); }
};

class Board {
 public:
  explicit Board(const BoardSpec& spec);
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  const BoardSpec& spec() const { return spec_; }
  // All inner corners on the board, ids 0..corner_count-1 (metres, z = 0).
  const std::vector<cv::Point3f>& corners() const { return corners_; }

  // Finds the board in a grey (CV_8UC1) image, corners refined to subpixel. A chessboard is found
  // whole or not at all; a ChArUco board partly (views with fewer than `min_corners` corners, or
  // whose corners are all on one line, are returned empty).
  BoardView find(const cv::Mat& gray, int min_corners = 6) const;

  // The board drawn at `px_per_m` (white margin `margin_px` on each side), CV_8UC1, without text.
  cv::Mat draw(double px_per_m, int margin_px) const;
  // The board's black areas as rectangles in metres (x right, y down from the board's top-left
  // corner, as draw() draws it): the black squares and, on a ChArUco board, each marker's black
  // cells, from OpenCV's own marker bits (cv::aruco::drawMarker) and marker positions, merged into
  // runs along each row. What the vector pages are drawn from; draw() is the same board rasterised.
  std::vector<cv::Rect2d> black_rects() const;

 private:
  BoardSpec spec_;
  std::vector<cv::Point3f> corners_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A printable page: the board at `dpi` with its spec, sizes and a 10 cm scale check printed on the
// bottom margin. Throws rvkit::OptionError for a dpi out of 50..1200.
cv::Mat printable_board(const Board& board, double dpi);

// The same page as vectors at true size (15 mm margins, the text band below), through cairo: SVG
// when `path` ends in .svg, PDF when it ends in .pdf (case-insensitive). Throws rvkit::OptionError
// for another extension, rvkit::Error naming the file when cairo cannot write it.
void write_vector_board(const Board& board, const std::string& path);
// True when `path` ends in .svg or .pdf: a page write_vector_board() writes.
bool is_vector_board_path(const std::string& path);

}  // namespace rvkit::calibration
