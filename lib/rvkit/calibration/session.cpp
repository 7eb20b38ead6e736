// View selection, guidance and the annotated frame of a calibration session.
#include "rvkit/calibration/session.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"

namespace rvkit::calibration {

Session::Session(const Board& board, const SessionOptions& opt) : board_(board), opt_(opt) {
  coverage_ = cv::Mat::zeros(opt.grid_rows, opt.grid_cols, CV_32S);
}

Session::Descriptor Session::describe(const BoardView& v) const {
  Descriptor d{};
  cv::Point2f mean(0, 0);
  for (auto& p : v.image_points) mean += p;
  mean *= 1.0f / static_cast<float>(v.image_points.size());
  d.x = mean.x / size_.width;
  d.y = mean.y / size_.height;
  std::vector<cv::Point2f> hull;
  cv::convexHull(v.image_points, hull);
  d.size = std::sqrt(cv::contourArea(hull) / (double(size_.width) * size_.height));
  // Tilt from the foreshortening of the board's outline: the homography board -> image maps the
  // inner-corner rectangle; log(right edge / left edge) and log(bottom edge / top edge).
  std::vector<cv::Point2f> obj;
  for (auto& p : v.object_points) obj.emplace_back(p.x, p.y);
  cv::Mat H = cv::findHomography(obj, v.image_points);
  if (!H.empty()) {
    const auto& all = board_.corners();
    float x0 = all.front().x, y0 = all.front().y, x1 = all.back().x, y1 = all.back().y;
    std::vector<cv::Point2f> rect{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, img;
    cv::perspectiveTransform(rect, img, H);
    auto len = [&](int a, int b) { return std::max(1e-6, double(cv::norm(img[a] - img[b]))); };
    d.tilt_x = std::log(len(1, 2) / len(0, 3));
    d.tilt_y = std::log(len(2, 3) / len(0, 1));
  }
  return d;
}

int Session::new_cells(const BoardView& v) const {
  cv::Mat seen = cv::Mat::zeros(coverage_.size(), CV_8U);
  int n = 0;
  for (auto& p : v.image_points) {
    int c = std::clamp(int(p.x * opt_.grid_cols / size_.width), 0, opt_.grid_cols - 1);
    int r = std::clamp(int(p.y * opt_.grid_rows / size_.height), 0, opt_.grid_rows - 1);
    if (coverage_.at<int>(r, c) == 0 && !seen.at<uchar>(r, c)) {
      seen.at<uchar>(r, c) = 1;
      ++n;
    }
  }
  return n;
}

void Session::add_coverage(const BoardView& v) {
  for (auto& p : v.image_points) {
    int c = std::clamp(int(p.x * opt_.grid_cols / size_.width), 0, opt_.grid_cols - 1);
    int r = std::clamp(int(p.y * opt_.grid_rows / size_.height), 0, opt_.grid_rows - 1);
    ++coverage_.at<int>(r, c);
  }
}

FrameStatus Session::add(const cv::Mat& image) {
  if (size_.area() == 0) size_ = image.size();
  if (image.size() != size_)
    throw Error(fmt::format("frame {} is {}x{}, the first was {}x{}: one calibration needs one frame size", frames_,
                            image.cols, image.rows, size_.width, size_.height));
  ++frames_;
  FrameStatus st;
  cv::Mat gray;
  if (image.channels() == 1) gray = image;
  else cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  previous_ = std::move(last_);
  last_ = board_.find(gray);
  const BoardView& v = last_;
  st.board = !v.empty();
  st.corners = static_cast<int>(v.image_points.size());
  if (!st.board) {
    st.reason = "no board in view";
    st.advice = advise();
    return st;
  }
  ++with_board_;
  {  // sharpness: variance of the Laplacian over the board's bounding box
    cv::Rect box = cv::boundingRect(v.image_points) & cv::Rect(0, 0, size_.width, size_.height);
    cv::Mat lap;
    cv::Laplacian(gray(box), lap, CV_32F);
    cv::Scalar mean, sd;
    cv::meanStdDev(lap, mean, sd);
    st.sharpness = sd[0] * sd[0];
  }
  if (!previous_.empty()) {  // motion of the corners seen in both frames
    std::map<int, cv::Point2f> before;
    for (size_t i = 0; i < previous_.ids.size(); ++i) before[previous_.ids[i]] = previous_.image_points[i];
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < v.ids.size(); ++i) {
      auto it = before.find(v.ids[i]);
      if (it != before.end()) {
        sum += cv::norm(v.image_points[i] - it->second);
        ++n;
      }
    }
    if (n) st.motion_px = sum / n;
  }
  const double diag = std::hypot(size_.width, size_.height);
  if (opt_.max_views > 0 && views() >= opt_.max_views) {
    st.reason = fmt::format("{} views: enough", views());
  } else if (!opt_.keep_all && st.motion_px > opt_.max_motion_px && st.motion_px < 0.1 * diag) {
    // A larger jump is a cut between unrelated frames (a folder of photos), not motion blur.
    st.reason = fmt::format("moving ({:.1f} px since the last frame): hold still", st.motion_px);
  } else if (!opt_.keep_all && st.sharpness < opt_.min_sharpness) {
    st.reason = fmt::format("blurred (sharpness {:.0f} < {:.0f}): hold still or add light", st.sharpness, opt_.min_sharpness);
  } else {
    Descriptor d = describe(v);
    int cells = new_cells(v);
    double nearest = 1e9;
    for (auto& k : descriptors_) {
      double dist = std::sqrt(std::pow((d.x - k.x) / 0.1, 2) + std::pow((d.y - k.y) / 0.1, 2) +
                              std::pow((d.size - k.size) / 0.1, 2) + std::pow((d.tilt_x - k.tilt_x) / 0.1, 2) +
                              std::pow((d.tilt_y - k.tilt_y) / 0.1, 2));
      nearest = std::min(nearest, dist);
    }
    if (opt_.keep_all || descriptors_.empty() || cells >= 2 || nearest >= 1.0) {
      st.kept = true;
      st.reason = cells >= 2 ? fmt::format("new view: {} new cells", cells) : "new view";
      views_.push_back(v);
      descriptors_.push_back(d);
      add_coverage(v);
      if (views() >= std::max(opt_.solve.min_views, 5)) {
        try {
          SolveOptions quick = opt_.solve;  // one solve per view: outlier corners only in the final solve()
          quick.corner_outlier_sigma = 0;
          current_ = calibration::solve(views_, size_, quick);
          uncertainty_ = projection_uncertainty(*current_);
        } catch (const Error&) {
          // an intermediate solve may fail with few, similar views; the next view may fix it
        }
      }
    } else {
      st.reason = "nothing new here";
    }
  }
  st.advice = advise();
  return st;
}

std::string Session::advise() const {
  if (views_.empty()) return "show the whole board to the camera";
  if (done()) return "done: enough views (end the input or press Ctrl-C)";
  // Cover the image first: the least covered ninths.
  static const char* names[3][3] = {{"top-left corner", "top edge", "top-right corner"},
                                    {"left edge", "centre", "right edge"},
                                    {"bottom-left corner", "bottom edge", "bottom-right corner"}};
  int counts[3][3] = {};
  int best = 0;
  for (int r = 0; r < coverage_.rows; ++r)
    for (int c = 0; c < coverage_.cols; ++c) counts[r * 3 / coverage_.rows][c * 3 / coverage_.cols] += coverage_.at<int>(r, c);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) best = std::max(best, counts[r][c]);
  // Of the ninths still (nearly) empty, the one farthest from where the corners have been: the
  // user is sent across the image, not to the neighbouring cell.
  double cr = 0, cc = 0, total = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) cr += r * counts[r][c], cc += c * counts[r][c], total += counts[r][c];
  cr /= std::max(1.0, total);
  cc /= std::max(1.0, total);
  int lr = -1, lc = -1;
  double far = -1;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double d = std::hypot(r - cr, c - cc);
      if (counts[r][c] < best / 10 + 1 && d > far + 1e-9) far = d, lr = r, lc = c;
    }
  if (lr >= 0) return fmt::format("cover the {}", names[lr][lc]);
  double min_tx = 0, max_tx = 0, min_ty = 0, max_ty = 0, min_size = 1e9, max_size = 0;
  for (auto& d : descriptors_) {
    min_tx = std::min(min_tx, d.tilt_x), max_tx = std::max(max_tx, d.tilt_x);
    min_ty = std::min(min_ty, d.tilt_y), max_ty = std::max(max_ty, d.tilt_y);
    min_size = std::min(min_size, d.size), max_size = std::max(max_size, d.size);
  }
  if (max_tx < 0.15) return "tilt the board left (its right side nearer the camera)";
  if (min_tx > -0.15) return "tilt the board right (its left side nearer the camera)";
  if (max_ty < 0.15) return "tilt the board back (its bottom nearer the camera)";
  if (min_ty > -0.15) return "tilt the board forward (its top nearer the camera)";
  if (max_size < 0.5) return "move closer";
  if (min_size > 0.3) return "move further away";
  return "keep going: move the board slowly to new places and angles";
}

bool Session::done() const {
  if (opt_.min_views <= 0 && opt_.target_error_px <= 0) return false;
  if (opt_.min_views > 0 && views() < opt_.min_views) return false;
  if (opt_.target_error_px > 0 && !(uncertainty_ && uncertainty_->rms_px <= opt_.target_error_px)) return false;
  return true;
}

Solution Session::solve() const { return calibration::solve(views_, size_, opt_.solve); }

cv::Mat Session::annotate(const cv::Mat& image, const FrameStatus& st) const {
  cv::Mat out;
  if (image.channels() == 1) cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
  else out = image.clone();
  // Coverage heat map: red where no kept corner has been, to green where many have.
  cv::Mat tint = out.clone();
  for (int r = 0; r < coverage_.rows; ++r)
    for (int c = 0; c < coverage_.cols; ++c) {
      cv::Rect cell(c * size_.width / coverage_.cols, r * size_.height / coverage_.rows, size_.width / coverage_.cols,
                    size_.height / coverage_.rows);
      double f = std::min(1.0, coverage_.at<int>(r, c) / 20.0);
      cv::rectangle(tint, cell, cv::Scalar(0, 255 * f, 255 * (1 - f)), cv::FILLED);
    }
  cv::addWeighted(out, 0.75, tint, 0.25, 0, out);
  const double s = std::max(0.4, size_.height / 720.0);
  cv::Scalar colour = st.kept ? cv::Scalar(0, 255, 0) : cv::Scalar(0, 255, 255);
  for (auto& p : last_.image_points) cv::circle(out, p, static_cast<int>(4 * s), colour, std::max(1, int(2 * s)), cv::LINE_AA);
  std::string line1 = fmt::format("views {}  frames {}", views(), frames_);
  if (current_) line1 += fmt::format("  RMS {:.2f} px", current_->rms_px);
  if (uncertainty_) line1 += fmt::format("  uncertainty {:.2f} px ({:.1f} mm at 5 m)", uncertainty_->rms_px, uncertainty_->rms_m * 1000);
  std::vector<std::string> lines{line1, st.reason, st.advice};
  int y = 0;
  for (auto& l : lines) {
    int base = 0;
    cv::Size ts = cv::getTextSize(l, cv::FONT_HERSHEY_SIMPLEX, 0.8 * s, std::max(1, int(2 * s)), &base);
    cv::rectangle(out, cv::Rect(0, y, ts.width + int(16 * s), ts.height + base + int(12 * s)), cv::Scalar(0, 0, 0), cv::FILLED);
    y += ts.height + int(6 * s);
    cv::putText(out, l, cv::Point(int(8 * s), y), cv::FONT_HERSHEY_SIMPLEX, 0.8 * s, cv::Scalar(255, 255, 255),
                std::max(1, int(2 * s)), cv::LINE_AA);
    y += base + int(6 * s);
  }
  return out;
}

}  // namespace rvkit::calibration
