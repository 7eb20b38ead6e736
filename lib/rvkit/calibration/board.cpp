// Board specs, detection (OpenCV's aruco module for ChArUco, calib3d for chessboards) and drawing
// (OpenCV for raster pages, cairo for SVG and PDF).
#include "rvkit/calibration/board.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>
#include <opencv2/aruco/charuco.hpp>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/core/option_error.hpp"

namespace rvkit::calibration {
namespace {

// Bilinear sample of a CV_8UC1 image; false outside it.
bool sample(const cv::Mat& g, double x, double y, double& out) {
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= g.cols || y0 + 1 >= g.rows) return false;
  const double ax = x - x0, ay = y - y0;
  const uchar* r0 = g.ptr<uchar>(y0);
  const uchar* r1 = g.ptr<uchar>(y0 + 1);
  out = (1 - ay) * ((1 - ax) * r0[x0] + ax * r0[x0 + 1]) + ay * ((1 - ax) * r1[x0] + ax * r1[x0 + 1]);
  return true;
}

// The fit's Gaussian weight of grid offset (i, j) at radius r.
double saddle_weight(int r, int i, int j) {
  const double sigma = r >= 2 ? 1.5 : 1.0;
  return std::exp(-(i * i + j * j) / (2 * sigma * sigma));
}

// The inverse of the fit's normal-equations matrix, which depends only on the grid.
cv::Matx<double, 6, 6> saddle_inverse(int r) {
  cv::Matx<double, 6, 6> m = cv::Matx<double, 6, 6>::zeros();
  for (int j = -r; j <= r; ++j)
    for (int i = -r; i <= r; ++i) {
      cv::Vec<double, 6> a(i * i, i * j, j * j, i, j, 1);
      m += saddle_weight(r, i, j) * a * a.t();
    }
  return m.inv(cv::DECOMP_SVD);
}

// The saddle point of a chessboard corner (an X junction): the stationary point of the quadratic
// a x^2 + b xy + c y^2 + d x + e y + f fitted (least squares, Gaussian weights) to the image sampled
// on a (2r+1)^2 grid of 1 px centred on the estimate, re-centred until it moves less than 0.001 px.
// An X junction is point-symmetric about its corner whatever the angle between its lines
// (perspective), and blur keeps that symmetry, so the intensity's saddle is the corner itself; the
// small window stays in the white gap beside a ChArUco marker. r = 2 (sigma 1.5 px) is the more
// precise; r = 1 (sigma 1 px) fits where markers crowd a foreshortened corner. Returns false (and
// leaves `p`) when the fit is no saddle, leaves the image or wanders more than 1 px from the start.
bool refine_saddle(const cv::Mat& gray, cv::Point2f& p, int r) {
  using Vec6 = cv::Vec<double, 6>;
  static const cv::Matx<double, 6, 6> inv1 = saddle_inverse(1), inv2 = saddle_inverse(2);
  const auto& inv = r >= 2 ? inv2 : inv1;
  r = r >= 2 ? 2 : 1;
  double x = p.x, y = p.y;
  for (int it = 0; it < 20; ++it) {
    Vec6 rhs(0, 0, 0, 0, 0, 0);
    for (int j = -r; j <= r; ++j)
      for (int i = -r; i <= r; ++i) {
        double v;
        if (!sample(gray, x + i, y + j, v)) return false;
        const double w = saddle_weight(r, i, j) * v;
        rhs += Vec6(w * i * i, w * i * j, w * j * j, w * i, w * j, w);
      }
    const Vec6 c = inv * rhs;
    const double h11 = 2 * c[0], h12 = c[1], h22 = 2 * c[2];
    const double det = h11 * h22 - h12 * h12;
    if (!(det < 0)) return false;  // not a saddle (or not finite)
    const double dx = -(h22 * c[3] - h12 * c[4]) / det, dy = -(h11 * c[4] - h12 * c[3]) / det;
    x += dx;
    y += dy;
    if (std::hypot(x - p.x, y - p.y) > 1.0) return false;
    if (std::hypot(dx, dy) < 1e-3) break;
  }
  p = cv::Point2f(static_cast<float>(x), static_cast<float>(y));
  return true;
}

struct DictName {
  const char* name;
  int id;
};
const DictName kDictionaries[] = {
    {"DICT_4X4_50", cv::aruco::DICT_4X4_50},     {"DICT_4X4_100", cv::aruco::DICT_4X4_100},
    {"DICT_4X4_250", cv::aruco::DICT_4X4_250},   {"DICT_4X4_1000", cv::aruco::DICT_4X4_1000},
    {"DICT_5X5_50", cv::aruco::DICT_5X5_50},     {"DICT_5X5_100", cv::aruco::DICT_5X5_100},
    {"DICT_5X5_250", cv::aruco::DICT_5X5_250},   {"DICT_5X5_1000", cv::aruco::DICT_5X5_1000},
    {"DICT_6X6_50", cv::aruco::DICT_6X6_50},     {"DICT_6X6_100", cv::aruco::DICT_6X6_100},
    {"DICT_6X6_250", cv::aruco::DICT_6X6_250},   {"DICT_6X6_1000", cv::aruco::DICT_6X6_1000},
    {"DICT_7X7_50", cv::aruco::DICT_7X7_50},     {"DICT_7X7_100", cv::aruco::DICT_7X7_100},
    {"DICT_7X7_250", cv::aruco::DICT_7X7_250},   {"DICT_7X7_1000", cv::aruco::DICT_7X7_1000},
    {"DICT_ARUCO_ORIGINAL", cv::aruco::DICT_ARUCO_ORIGINAL},
    {"DICT_APRILTAG_16h5", cv::aruco::DICT_APRILTAG_16h5},   {"DICT_APRILTAG_25h9", cv::aruco::DICT_APRILTAG_25h9},
    {"DICT_APRILTAG_36h10", cv::aruco::DICT_APRILTAG_36h10}, {"DICT_APRILTAG_36h11", cv::aruco::DICT_APRILTAG_36h11},
};
// Codes in each dictionary, in kDictionaries' order: a board needs one marker per white square.
const int kDictionarySizes[] = {50, 100, 250, 1000, 50, 100, 250, 1000, 50, 100, 250, 1000,
                                50, 100, 250, 1000, 1024, 30, 35, 2320, 587};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) out.emplace_back();
    else out.back() += c;
  }
  return out;
}

double parse_length(const std::string& option, const std::string& spec, const std::string& field, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw OptionError(option, spec, fmt::format("{} '{}' is not a number (metres)", field, text));
  if (v < 0.001 || v > 2)
    throw OptionError(option, spec, fmt::format("{} {} m is out of range (0.001..2 metres)", field, text));
  return v;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string BoardSpec::to_string() const {
  if (kind == Kind::chessboard) return fmt::format("chessboard:{}x{}:{}", cols, rows, square_m);
  return fmt::format("charuco:{}x{}:{}:{}:{}", cols, rows, square_m, marker_m, dictionary);
}

BoardSpec parse_board_spec(const std::string& spec, const std::string& option) {
  const char* forms = "charuco:COLSxROWS:SQUARE_M:MARKER_M:DICTIONARY or chessboard:COLSxROWS:SQUARE_M";
  auto parts = split(spec, ':');
  BoardSpec b;
  if (parts[0] == "charuco") {
    b.kind = BoardSpec::Kind::charuco;
    if (parts.size() != 5) throw OptionError(option, spec, fmt::format("a ChArUco board has 5 fields: {}", forms));
  } else if (parts[0] == "chessboard") {
    b.kind = BoardSpec::Kind::chessboard;
    if (parts.size() != 3) throw OptionError(option, spec, fmt::format("a chessboard has 3 fields: {}", forms));
  } else {
    throw OptionError(option, spec, fmt::format("unknown board type '{}': {}", parts[0], forms));
  }
  {
    const std::string& size = parts[1];
    auto x = size.find_first_of("xX");
    // Each side parsed from a string of its own that outlives the end pointer into it.
    const std::string cols_text = x == std::string::npos ? "" : size.substr(0, x);
    const std::string rows_text = x == std::string::npos ? "" : size.substr(x + 1);
    char* end1 = nullptr;
    char* end2 = nullptr;
    long c = std::strtol(cols_text.c_str(), &end1, 10);
    long r = std::strtol(rows_text.c_str(), &end2, 10);
    if (x == std::string::npos || cols_text.empty() || rows_text.empty() || *end1 || *end2)
      throw OptionError(option, spec, fmt::format("size '{}' is not COLSxROWS (squares, e.g. 11x8)", size));
    if (c < 3 || r < 3 || c > 100 || r > 100)
      throw OptionError(option, spec, fmt::format("size '{}': each side must be 3..100 squares", size));
    b.cols = static_cast<int>(c);
    b.rows = static_cast<int>(r);
  }
  b.square_m = parse_length(option, spec, "square", parts[2]);
  if (b.kind == BoardSpec::Kind::charuco) {
    b.marker_m = parse_length(option, spec, "marker", parts[3]);
    if (b.marker_m >= b.square_m)
      throw OptionError(option, spec, fmt::format("marker {} m must be smaller than the square {} m", parts[3], parts[2]));
    std::string name = upper(parts[4]);
    if (name.rfind("DICT_", 0) != 0) name = "DICT_" + name;
    for (size_t i = 0; i < std::size(kDictionaries); ++i) {
      if (upper(kDictionaries[i].name) == name) {
        b.dictionary = kDictionaries[i].name;
        b.dictionary_id = kDictionaries[i].id;
        int markers = b.cols * b.rows / 2;
        if (markers > kDictionarySizes[i])
          throw OptionError(option, spec, fmt::format("{} has {} markers, the board needs {}", b.dictionary,
                                                      kDictionarySizes[i], markers));
      }
    }
    if (b.dictionary_id < 0)
      throw OptionError(option, spec,
                        fmt::format("unknown dictionary '{}' (DICT_4X4_50 .. DICT_7X7_1000, DICT_ARUCO_ORIGINAL, "
                                    "DICT_APRILTAG_16h5/25h9/36h10/36h11)", parts[4]));
  }
  return b;
}

struct Board::Impl {
  cv::Ptr<cv::aruco::Dictionary> dictionary;
  cv::Ptr<cv::aruco::CharucoBoard> charuco;
  cv::Ptr<cv::aruco::DetectorParameters> params;
};

Board::Board(const BoardSpec& spec) : spec_(spec), impl_(std::make_unique<Impl>()) {
  if (spec.kind == BoardSpec::Kind::charuco) {
    impl_->dictionary = cv::aruco::getPredefinedDictionary(spec.dictionary_id);
    impl_->charuco = cv::aruco::CharucoBoard::create(spec.cols, spec.rows, static_cast<float>(spec.square_m),
                                                     static_cast<float>(spec.marker_m), impl_->dictionary);
    impl_->params = cv::aruco::DetectorParameters::create();
    impl_->params->cornerRefinementMethod = cv::aruco::CORNER_REFINE_NONE;  // the ChArUco corners are refined instead
    corners_ = impl_->charuco->chessboardCorners;
  } else {
    for (int r = 0; r < spec.inner_rows(); ++r)
      for (int c = 0; c < spec.inner_cols(); ++c)
        corners_.emplace_back(static_cast<float>(c * spec.square_m), static_cast<float>(r * spec.square_m), 0.f);
  }
}

Board::~Board() = default;

BoardView Board::find(const cv::Mat& gray, int min_corners) const {
  BoardView v;
  if (spec_.kind == BoardSpec::Kind::chessboard) {
    std::vector<cv::Point2f> pts;
    cv::Size pattern(spec_.inner_cols(), spec_.inner_rows());
    // PhotonVision's flags (FindBoardCornersPipe), so that the same photos give the same corners.
    int flags = cv::CALIB_CB_ADAPTIVE_THRESH | cv::CALIB_CB_NORMALIZE_IMAGE | cv::CALIB_CB_FILTER_QUADS |
                cv::CALIB_CB_FAST_CHECK;
    if (!cv::findChessboardCorners(gray, pattern, pts, flags)) return v;
    cv::cornerSubPix(gray, pts, cv::Size(11, 11), cv::Size(-1, -1),
                     cv::TermCriteria(cv::TermCriteria::EPS | cv::TermCriteria::COUNT, 30, 0.001));
    v.image_points = pts;
    v.object_points = corners_;
    for (int i = 0; i < spec_.corner_count(); ++i) v.ids.push_back(i);
    return v;
  }
  std::vector<std::vector<cv::Point2f>> marker_corners, rejected;
  std::vector<int> marker_ids;
  cv::Ptr<cv::aruco::Board> board = impl_->charuco.staticCast<cv::aruco::Board>();
  cv::aruco::detectMarkers(gray, impl_->dictionary, marker_corners, marker_ids, impl_->params, rejected);
  if (marker_ids.empty()) return v;
  cv::aruco::refineDetectedMarkers(gray, board, marker_corners, marker_ids, rejected);
  v.markers = static_cast<int>(marker_ids.size());
  std::vector<cv::Point2f> pts;
  std::vector<int> ids;
  cv::aruco::interpolateCornersCharuco(marker_corners, marker_ids, gray, impl_->charuco, pts, ids);
  // A view needs min_corners (at least 4) corners not all on one line; checked again after the
  // saddle refinement, which can leave corners out.
  auto usable = [&] {
    return static_cast<int>(ids.size()) >= std::max(min_corners, 4) &&
           !cv::aruco::testCharucoCornersCollinear(impl_->charuco, ids);
  };
  if (!usable()) return v;
  // OpenCV 4.6 refines the interpolated corners with a window that can reach the markers' edges
  // (on renders with known corners: 0.45-0.5 px RMS off, against 0.14 px for a chessboard). Refine
  // again with a window that stays inside the white gap between a corner and the nearest marker
  // ((square - marker) / 2), at the smallest marker side seen (foreshortening), 2..7 px.
  double side = 1e9;
  for (auto& m : marker_corners)
    for (int k = 0; k < 4; ++k) side = std::min(side, double(cv::norm(m[k] - m[(k + 1) % 4])));
  double gap_px = side / spec_.marker_m * (spec_.square_m - spec_.marker_m) / 2;
  int win = std::clamp(static_cast<int>(0.8 * gap_px), 2, 7);
  cv::cornerSubPix(gray, pts, cv::Size(win, win), cv::Size(-1, -1),
                   cv::TermCriteria(cv::TermCriteria::EPS | cv::TermCriteria::COUNT, 30, 0.001));
  // Then each corner to its saddle point (far less error; see refine_saddle), in the 5x5 window or
  // else the 3x3 one. A corner with no saddle in either is left out: markers or another corner
  // crowd its window, and cornerSubPix's position there was off by up to 3 px on the renders.
  size_t kept = 0;
  for (size_t i = 0; i < pts.size(); ++i)
    if (refine_saddle(gray, pts[i], 2) || refine_saddle(gray, pts[i], 1)) {
      pts[kept] = pts[i];
      ids[kept] = ids[i];
      ++kept;
    }
  pts.resize(kept);
  ids.resize(kept);
  if (!usable()) return v;
  v.image_points = pts;
  v.ids = ids;
  for (int id : ids) v.object_points.push_back(corners_[id]);
  return v;
}

cv::Mat Board::draw(double px_per_m, int margin_px) const {
  int w = static_cast<int>(std::lround(spec_.cols * spec_.square_m * px_per_m));
  int h = static_cast<int>(std::lround(spec_.rows * spec_.square_m * px_per_m));
  cv::Mat img;
  if (spec_.kind == BoardSpec::Kind::charuco) {
    impl_->charuco->draw(cv::Size(w + 2 * margin_px, h + 2 * margin_px), img, margin_px, 1);
    return img;
  }
  img = cv::Mat(h + 2 * margin_px, w + 2 * margin_px, CV_8UC1, cv::Scalar(255));
  double s = spec_.square_m * px_per_m;
  for (int r = 0; r < spec_.rows; ++r)
    for (int c = 0; c < spec_.cols; ++c)
      if ((r + c) % 2 == 0) {
        cv::Point p0(margin_px + static_cast<int>(std::lround(c * s)), margin_px + static_cast<int>(std::lround(r * s)));
        cv::Point p1(margin_px + static_cast<int>(std::lround((c + 1) * s)),
                     margin_px + static_cast<int>(std::lround((r + 1) * s)));
        cv::rectangle(img, cv::Rect(p0, p1), cv::Scalar(0), cv::FILLED);
      }
  return img;
}

std::vector<cv::Rect2d> Board::black_rects() const {
  std::vector<cv::Rect2d> out;
  const double sq = spec_.square_m;
  // Black squares: (row + column) even, the top-left one black (both kinds, as draw() draws them;
  // a ChArUco board's markers sit in the white squares).
  for (int r = 0; r < spec_.rows; ++r)
    for (int c = 0; c < spec_.cols; ++c)
      if ((r + c) % 2 == 0) out.emplace_back(c * sq, r * sq, sq, sq);
  if (spec_.kind != BoardSpec::Kind::charuco) return out;
  const auto& board = *impl_->charuco;
  const int cells = impl_->dictionary->markerSize + 2;  // the code and a one-cell black border
  for (size_t i = 0; i < board.ids.size(); ++i) {
    cv::Mat bits;
    cv::aruco::drawMarker(impl_->dictionary, board.ids[i], cells, bits, 1);  // one pixel per cell
    const cv::Point3f& tl = board.objPoints[i][0];  // the marker's top-left corner
    const double cell = spec_.marker_m / cells;
    for (int y = 0; y < cells; ++y)
      for (int x = 0; x < cells;) {
        if (bits.at<uchar>(y, x) >= 128) {
          ++x;
          continue;
        }
        int x0 = x;
        while (x < cells && bits.at<uchar>(y, x) < 128) ++x;
        out.emplace_back(tl.x + x0 * cell, tl.y + y * cell, (x - x0) * cell, cell);
      }
  }
  return out;
}

namespace {

// The two lines of the page's text band.
std::pair<std::string, std::string> page_text(const BoardSpec& s, const std::string& resolution) {
  std::string line1 = fmt::format("rvkit calib --board {}", s.to_string());
  std::string line2 = s.kind == BoardSpec::Kind::charuco
                          ? fmt::format("{}x{} squares of {} mm, markers {} mm, {}, {}. Check: the bar is 100 mm.",
                                        s.cols, s.rows, s.square_m * 1000, s.marker_m * 1000, s.dictionary, resolution)
                          : fmt::format("{}x{} squares of {} mm ({}x{} inner corners), {}. Check: the bar is 100 mm.",
                                        s.cols, s.rows, s.square_m * 1000, s.inner_cols(), s.inner_rows(), resolution);
  return {line1, line2};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

bool is_vector_board_path(const std::string& path) {
  std::string p = lower(path);
  return ends_with(p, ".svg") || ends_with(p, ".pdf");
}

void write_vector_board(const Board& board, const std::string& path) {
  const std::string p = lower(path);
  const bool pdf = ends_with(p, ".pdf");
  if (!pdf && !ends_with(p, ".svg")) throw OptionError("--print-board", path, "a vector page is FILE.svg or FILE.pdf");
  const auto& s = board.spec();
  const double pt_per_mm = 72.0 / 25.4;  // cairo's SVG and PDF surfaces measure pages in points
  const double margin = 15, band = 25;   // mm, as printable_board
  const double bw = s.cols * s.square_m * 1000, bh = s.rows * s.square_m * 1000;
  const double w = bw + 2 * margin, h = bh + 2 * margin + band;
  cairo_surface_t* surface = pdf ? cairo_pdf_surface_create(path.c_str(), w * pt_per_mm, h * pt_per_mm)
                                 : cairo_svg_surface_create(path.c_str(), w * pt_per_mm, h * pt_per_mm);
  auto fail = [&](cairo_status_t st) {
    cairo_surface_destroy(surface);
    throw Error(fmt::format("cannot write '{}': {}", path, cairo_status_to_string(st)));
  };
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) fail(cairo_surface_status(surface));
  cairo_t* cr = cairo_create(surface);
  cairo_scale(cr, pt_per_mm, pt_per_mm);  // user units: mm
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (const auto& r : board.black_rects())
    cairo_rectangle(cr, margin + r.x * 1000, margin + r.y * 1000, r.width * 1000, r.height * 1000);
  cairo_fill(cr);
  auto [line1, line2] = page_text(s, "vector page, print at 100%");
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  double size = 5.5;  // mm: capitals about 4 mm, as on the PNG
  for (const auto* line : {&line1, &line2}) {  // a narrow board gets smaller text, never a cut line
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, line->c_str(), &ext);
    if (ext.x_advance > w - 2 * margin) size *= (w - 2 * margin) / ext.x_advance;
  }
  cairo_set_font_size(cr, size);
  double y = margin + bh + margin / 2 + 4;
  cairo_move_to(cr, margin, y);
  cairo_show_text(cr, line1.c_str());
  y += 4 * 1.8;
  cairo_move_to(cr, margin, y);
  cairo_show_text(cr, line2.c_str());
  y += 4 * 1.2;
  if (margin + 100 < w) {  // a 100 mm bar, so the printer's scaling can be checked with a ruler
    cairo_rectangle(cr, margin, y, 100, 1.3);
    cairo_fill(cr);
  }
  cairo_show_page(cr);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
  if (st != CAIRO_STATUS_SUCCESS) fail(st);
  cairo_surface_destroy(surface);
}

cv::Mat printable_board(const Board& board, double dpi) {
  if (!(dpi >= 50 && dpi <= 1200)) throw OptionError("--dpi", fmt::format("{}", dpi), "must be from 50 to 1200");
  const double px_per_m = dpi / 0.0254;
  const int margin = static_cast<int>(std::lround(0.015 * px_per_m));  // 15 mm all round
  const int text_band = static_cast<int>(std::lround(0.025 * px_per_m));
  cv::Mat b = board.draw(px_per_m, margin);
  cv::Mat page(b.rows + text_band, b.cols, CV_8UC1, cv::Scalar(255));
  b.copyTo(page(cv::Rect(0, 0, b.cols, b.rows)));
  const auto& s = board.spec();
  auto [line1, line2] = page_text(s, fmt::format("{} dpi", dpi));
  const double text_h = 0.004 * px_per_m;  // 4 mm capitals
  double scale = cv::getFontScaleFromHeight(cv::FONT_HERSHEY_SIMPLEX, static_cast<int>(text_h));
  const int thick = std::max(1, static_cast<int>(text_h / 8));
  for (const auto& line : {line1, line2}) {  // a narrow board gets smaller text, never a cut line
    int baseline = 0;
    int tw = cv::getTextSize(line, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &baseline).width;
    if (tw > page.cols - 2 * margin) scale *= double(page.cols - 2 * margin) / tw;
  }
  int y = b.rows - margin / 2 + static_cast<int>(text_h);
  cv::putText(page, line1, cv::Point(margin, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0), thick, cv::LINE_AA);
  y += static_cast<int>(text_h * 1.8);
  cv::putText(page, line2, cv::Point(margin, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0), thick, cv::LINE_AA);
  // A 100 mm bar, so the printer's scaling can be checked with a ruler.
  y += static_cast<int>(text_h * 1.2);
  int bar = static_cast<int>(std::lround(0.1 * px_per_m));
  if (margin + bar < page.cols)
    cv::rectangle(page, cv::Rect(margin, y, bar, std::max(2, static_cast<int>(text_h / 3))), cv::Scalar(0), cv::FILLED);
  return page;
}

}  // namespace rvkit::calibration
