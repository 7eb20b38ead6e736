#include "rvkit/overlay/tiler.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::overlay {

namespace {
constexpr int64_t kStaleUs = 1000000;
constexpr int kMaxDefaultSide = 4096;  // px: a tile without --size stays within 4096x4096
}

std::vector<std::string> parse_tile_list(const std::string& spec) {
  std::vector<std::string> cams;
  std::set<std::string> seen;
  std::stringstream ss(spec);
  std::string cam;
  while (std::getline(ss, cam, ',')) {
    if (cam.empty()) throw OptionError("--tile", spec, "empty camera name");
    if (!seen.insert(cam).second) throw OptionError("--tile", spec, fmt::format("camera '{}' is listed twice", cam));
    cams.push_back(cam);
  }
  if (!spec.empty() && spec.back() == ',') throw OptionError("--tile", spec, "empty camera name");
  if (cams.size() < 2 || cams.size() > size_t(kMaxTileCams))
    throw OptionError("--tile", spec,
                      fmt::format("expected 2 to {} camera names, comma-separated (got {})", kMaxTileCams, cams.size()));
  return cams;
}

Tiler::Tiler(std::vector<std::string> cams, std::string name, cv::Size size)
    : cams_(std::move(cams)), name_(std::move(name)), requested_(size) {
  int n = int(cams_.size());
  if (n <= 3) {
    cols_ = n;
    rows_ = 1;
  } else {
    cols_ = int(std::ceil(std::sqrt(double(n))));
    rows_ = (n + cols_ - 1) / cols_;
  }
  for (const auto& c : cams_) cells_.push_back(Cell{c, {}, {}});
}

int Tiler::index(const std::string& cam) const {
  for (size_t i = 0; i < cams_.size(); ++i)
    if (cams_[i] == cam) return int(i);
  return -1;
}

bool Tiler::fresh(const std::string& cam) const {
  int i = index(cam);
  return i >= 0 && cells_[size_t(i)].fresh;
}

bool Tiler::complete() const {
  return std::all_of(cells_.begin(), cells_.end(), [](const Cell& c) { return c.fresh; });
}

bool Tiler::any_fresh() const {
  return std::any_of(cells_.begin(), cells_.end(), [](const Cell& c) { return c.fresh; });
}

void Tiler::allocate(cv::Size first) {
  cv::Size total = requested_;
  if (total.area() <= 0) {  // cells the size of the first frame, within 4096x4096 in all
    double k = std::min({1.0, double(kMaxDefaultSide) / (first.width * cols_), double(kMaxDefaultSide) / (first.height * rows_)});
    total = cv::Size(std::max(cols_, int(first.width * k) * cols_), std::max(rows_, int(first.height * k) * rows_));
  }
  canvas_.create(total, CV_8UC3);
  canvas_.setTo(cv::Scalar::all(0));
  int cw = total.width / cols_, ch = total.height / rows_;
  for (size_t i = 0; i < cells_.size(); ++i) {
    int col = int(i) % cols_, row = int(i) / cols_;
    cells_[i].rect = cv::Rect(col * cw, row * ch, cw, ch);
    mark(cells_[i], "waiting for " + cells_[i].cam, false);
  }
}

void Tiler::mark(Cell& c, const std::string& text, bool dim) {
  cv::Mat cell = canvas_(c.rect);
  if (dim) blend_rect(cell, {0, 0, cell.cols, cell.rows}, color::black, 0.6);
  Style s = Style::for_size(cell.cols * 2, cell.rows * 2);  // twice the usual text: it says a lot
  cv::Size ts = text_size(s, text);
  draw_outlined_text(cell, text, {std::max(0, (cell.cols - ts.width) / 2), (cell.rows + ts.height) / 2}, s,
                     color::white);
}

Canvas Tiler::place(const std::string& cam, const cv::Mat& frame, int64_t t_capture, int64_t now) {
  int i = index(cam);
  if (i < 0 || frame.empty()) return Canvas();
  if (canvas_.empty()) allocate(frame.size());
  Cell& c = cells_[size_t(i)];
  double k = std::min(double(c.rect.width) / frame.cols, double(c.rect.height) / frame.rows);
  int fw = std::max(1, int(std::lround(frame.cols * k))), fh = std::max(1, int(std::lround(frame.rows * k)));
  cv::Rect fitted(c.rect.x + (c.rect.width - fw) / 2, c.rect.y + (c.rect.height - fh) / 2, fw, fh);
  if (fitted != c.fitted || !c.seen) canvas_(c.rect).setTo(cv::Scalar::all(0));
  c.fitted = fitted;
  cv::Mat dst = canvas_(fitted);
  if (fitted.size() == frame.size())
    frame.copyTo(dst);
  else
    cv::resize(frame, dst, fitted.size(), 0, 0, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  c.fresh = c.seen = true;
  c.dimmed = false;
  c.t_capture = t_capture;
  c.arrived = now;
  return Canvas(dst, frame.cols, frame.rows);
}

cv::Mat Tiler::take(FrameInfo& info, int64_t now) {
  int64_t oldest_fresh = INT64_MAX, newest = INT64_MIN;
  for (const Cell& c : cells_) {
    if (c.fresh) oldest_fresh = std::min(oldest_fresh, c.t_capture);
    if (c.seen) newest = std::max(newest, c.t_capture);
  }
  for (Cell& c : cells_) {
    if (c.seen && !c.dimmed && now - c.arrived > kStaleUs) {
      mark(c, "NO SIGNAL", true);
      c.dimmed = true;
    }
    c.fresh = false;
  }
  info.cam = name_;
  info.seq = seq_++;
  info.t_capture = oldest_fresh == INT64_MAX ? newest : oldest_fresh;
  info.w = canvas_.cols;
  info.h = canvas_.rows;
  info.fmt = PixelFormat::Bgr8;
  info.stride = int64_t(canvas_.cols) * 3;
  info.bytes = uint64_t(info.stride) * uint64_t(canvas_.rows);
  return canvas_;
}

}  // namespace rvkit::overlay
