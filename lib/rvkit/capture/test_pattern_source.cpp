// The synthetic camera: a deterministic scene rendered by TestPattern. With --fps > 0 it
// behaves like a live camera (paced, drops when downstream is slow); with --fps 0 it
// renders as fast as the consumer takes frames and never drops.
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <opencv2/core/persistence.hpp>

#include "rvkit/capture/source.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/capture/test_pattern.hpp"

namespace rvkit {
namespace {

TestPatternOptions pattern_options(const SourceOptions& o) {
  TestPatternOptions t;
  if (o.width) t.width = o.width;
  if (o.height) t.height = o.height;
  t.seed = o.seed;
  t.tags = o.tags;
  t.camera = o.camera_optics;
  t.lens = o.lens;
  return t;
}

class TestPatternSource final : public Source {
 public:
  explicit TestPatternSource(const SourceOptions& o) : o_(o) {
    pattern_ = std::make_unique<TestPattern>(pattern_options(o));
    period_us_ = o.fps > 0 ? int64_t(1e6 / o.fps) : 0;
  }
  bool live() const override { return period_us_ > 0; }
  std::string default_name() const override { return "test"; }

  bool grab(CapturedFrame& f) override {
    if (period_us_) {
      int64_t now = mono_us();
      if (!next_due_) next_due_ = now;
      while (!stop_requested() && (now = mono_us()) < next_due_)
        usleep(useconds_t(std::min<int64_t>(next_due_ - now, 20000)));
      if (stop_requested()) return false;
      next_due_ += period_us_;
      if (next_due_ < now - period_us_) next_due_ = now + period_us_;  // never burst to catch up
    } else if (stop_requested()) {
      return false;
    }
    f.t_capture = now_us();
    std::vector<TagTruth> truth;
    pattern_->render(index_, f.t_capture, f.image, o_.truth ? &truth : nullptr);
    f.w = f.image.cols;
    f.h = f.image.rows;
    f.jpeg.clear();
    f.is_message = false;
    f.extra = o_.truth ? truth_json(truth, pattern_->blob(index_)) : Json();
    ++index_;
    return true;
  }

 private:
  // The exact scene: camera matrix (row-major), each tag's corners (libapriltag order) and
  // pose (rotation camera<-tag row-major, translation in metres, OpenCV camera axes), the blob.
  Json truth_json(const std::vector<TagTruth>& truth, const BlobTruth& blob) const {
    Json tags = Json::array();
    for (const TagTruth& t : truth) {
      Json c = Json::array();
      for (auto& p : t.corners) c.push_back({p[0], p[1]});
      tags.push_back({{"id", t.id}, {"size", t.size}, {"corners", c}, {"t", t.t}, {"R", t.R}});
    }
    cv::Matx33d k = pattern_->camera_matrix();
    Json K = Json::array();
    for (int i = 0; i < 9; ++i) K.push_back(k.val[i]);
    return Json{{"truth", {{"K", K},
                           {"tags", tags},
                           {"blob", {{"center", blob.center}, {"axes", blob.axes}, {"bgr", blob.bgr}}}}}};
  }

  SourceOptions o_;
  std::unique_ptr<TestPattern> pattern_;
  int64_t period_us_ = 0;
  int64_t next_due_ = 0;
  uint64_t index_ = 0;
};

}  // namespace

std::unique_ptr<Source> open_test_pattern(const SourceOptions& o) { return std::make_unique<TestPatternSource>(o); }

void write_test_pattern_calibration(const SourceOptions& o, const std::string& path) {
  TestPattern pattern(pattern_options(o));
  cv::Matx33d k = pattern.camera_matrix();
  // The pattern puts pixel centres at +0.5 (libapriltag's convention); OpenCV's are at integers.
  k(0, 2) -= 0.5;
  k(1, 2) -= 0.5;
  const TestPatternOptions& t = pattern.options();
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) throw Error(fmt::format("cannot write the calibration file '{}'", path));
    fs << "image_width" << t.width << "image_height" << t.height;
    fs << "camera_matrix" << cv::Mat(k);
    cv::Mat dist = cv::Mat::zeros(1, 5, CV_64F);  // the lens, if the pattern has one
    for (size_t i = 0; i < t.lens.size() && i < 5; ++i) dist.at<double>(0, int(i)) = t.lens[i];
    fs << "distortion_coefficients" << dist;
    fs.release();
  } catch (const cv::Exception& e) {
    throw Error(fmt::format("cannot write the calibration file '{}': {}", path, e.err));
  }
}

}  // namespace rvkit
