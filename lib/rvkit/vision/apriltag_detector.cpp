#include "rvkit/vision/apriltag_detector.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include <apriltag/apriltag.h>
#include <apriltag/tag16h5.h>
#include <apriltag/tag36h11.h>
#include <fmt/format.h>

#include "rvkit/error.hpp"

namespace rvkit::vision {

std::string normalize_family(const std::string& name) {
  std::string n = name.rfind("tag", 0) == 0 ? name.substr(3) : name;
  if (n == "36h11" || n == "16h5") return n;
  throw Error(fmt::format("unknown tag family '{}' (known: 36h11, 16h5)", name));
}

struct AprilTagDetector::Impl {
  apriltag_family_t* family = nullptr;
  apriltag_detector_t* td = nullptr;
  void (*destroy_family)(apriltag_family_t*) = nullptr;
  ~Impl() {
    if (td) apriltag_detector_destroy(td);
    if (family) destroy_family(family);
  }
};

AprilTagDetector::AprilTagDetector(const AprilTagOptions& opt) : impl_(std::make_unique<Impl>()), opt_(opt) {
  opt_.family = normalize_family(opt.family);
  if (!(opt_.decimate >= 1 && opt_.decimate <= 16))
    throw Error(fmt::format("--decimate must be between 1 and 16, got {}", opt_.decimate));
  if (!(std::abs(opt_.blur) <= 20)) throw Error(fmt::format("--blur must be between -20 and 20, got {}", opt_.blur));
  if (opt_.max_hamming < 0 || opt_.max_hamming > 3)
    throw Error(fmt::format("--max-hamming must be 0..3, got {}", opt_.max_hamming));
  if (opt_.threads < 0 || opt_.threads > 256) throw Error(fmt::format("--threads must be 0..256, got {}", opt_.threads));
  if (opt_.threads == 0) opt_.threads = int(std::max(1u, std::thread::hardware_concurrency()));

  if (opt_.family == "36h11") {
    impl_->family = tag36h11_create();
    impl_->destroy_family = tag36h11_destroy;
  } else {
    impl_->family = tag16h5_create();
    impl_->destroy_family = tag16h5_destroy;
  }
  impl_->td = apriltag_detector_create();
  if (!impl_->family || !impl_->td) throw Error("cannot create the AprilTag detector (out of memory?)");
  apriltag_detector_add_family_bits(impl_->td, impl_->family, opt_.max_hamming);
  impl_->td->quad_decimate = float(opt_.decimate);
  impl_->td->quad_sigma = float(opt_.blur);
  impl_->td->nthreads = opt_.threads;
  impl_->td->refine_edges = opt_.refine_edges;
}

AprilTagDetector::~AprilTagDetector() = default;

std::string AprilTagDetector::family_name() const { return "tag" + opt_.family; }

std::vector<TagDetection> AprilTagDetector::detect(const cv::Mat& gray) {
  CV_Assert(gray.type() == CV_8UC1);
  std::vector<TagDetection> out;
  // A tag needs a few pixels per bit; tiny images cannot hold one (and would decimate to nothing).
  if (gray.cols < 16 || gray.rows < 16) return out;
  image_u8_t im{gray.cols, gray.rows, int(gray.step[0]), gray.data};
  zarray_t* dets = apriltag_detector_detect(impl_->td, &im);
  if (!dets) return out;
  for (int i = 0; i < zarray_size(dets); ++i) {
    apriltag_detection_t* d;
    zarray_get(dets, i, &d);
    if (d->hamming > opt_.max_hamming || d->decision_margin < opt_.min_margin) continue;
    if (!opt_.ids.empty() && !opt_.ids.count(d->id)) continue;
    TagDetection t;
    t.id = d->id;
    t.hamming = d->hamming;
    t.margin = d->decision_margin;
    // libapriltag puts pixel centres at +0.5; OpenCV (and so calibrations and solvers) at +0.
    for (int k = 0; k < 4; ++k) t.corners[size_t(k)] = {d->p[k][0] - kLibApriltagPixelOffset, d->p[k][1] - kLibApriltagPixelOffset};
    t.center = {d->c[0] - kLibApriltagPixelOffset, d->c[1] - kLibApriltagPixelOffset};
    out.push_back(t);
  }
  apriltag_detections_destroy(dets);
  std::sort(out.begin(), out.end(), [](const TagDetection& a, const TagDetection& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.center.y != b.center.y) return a.center.y < b.center.y;
    return a.center.x < b.center.x;
  });
  return out;
}

}  // namespace rvkit::vision
