#include "rvkit/vision/apriltag_detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>

#include <apriltag/apriltag.h>
#include <apriltag/common/image_u8.h>
#include <apriltag/tag16h5.h>
#include <apriltag/tag36h11.h>
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/vision/small_tag_regions.hpp"

namespace rvkit::vision {

std::string normalize_family(const std::string& name) {
  std::string n = name.rfind("tag", 0) == 0 ? name.substr(3) : name;
  if (n == "36h11" || n == "16h5") return n;
  throw OptionError("--family", name, "unknown tag family (known: 36h11, 16h5)");
}

namespace {
// Regions up to this many pixels are searched on one thread: libapriltag's worker pool costs more
// than it saves there (2-core AMD EPYC VM: 0.24 against 0.05 ms for 48x48 px with 2 threads against
// 1, 0.74 against 0.38 ms for 128x128, about even at 192x192).
constexpr int kOneThreadMaxArea = 160 * 160;

// One libapriltag detector with its own family object (the family holds the detector's decoding
// table, so two detectors cannot share one). Its thread count is fixed for its life: libapriltag
// rebuilds its worker pool when nthreads changes, and changing it from detection to detection
// crashed (`detect --workers 2 --threads 2`, a worker thread in freed memory; PhotonVision saw the
// same, its issue 510).
struct LibDetector {
  apriltag_family_t* family = nullptr;
  apriltag_detector_t* td = nullptr;
  void (*destroy_family)(apriltag_family_t*) = nullptr;

  LibDetector(const AprilTagOptions& opt, int threads) {
    if (opt.family == "36h11") {
      family = tag36h11_create();
      destroy_family = tag36h11_destroy;
    } else {
      family = tag16h5_create();
      destroy_family = tag16h5_destroy;
    }
    td = apriltag_detector_create();
    if (!family || !td) {
      release();
      throw Error("cannot create the AprilTag detector (out of memory?)");
    }
    apriltag_detector_add_family_bits(td, family, opt.max_hamming);
    td->quad_decimate = float(opt.decimate);
    td->quad_sigma = float(opt.blur);
    td->nthreads = threads;
    td->refine_edges = opt.refine_edges;
  }
  LibDetector(const LibDetector&) = delete;
  LibDetector& operator=(const LibDetector&) = delete;
  ~LibDetector() { release(); }
  void release() {
    if (td) apriltag_detector_destroy(td);
    if (family) destroy_family(family);
    td = nullptr, family = nullptr;
  }
};

}  // namespace

struct AprilTagDetector::Impl {
  std::unique_ptr<LibDetector> main;    // opt.threads threads
  std::unique_ptr<LibDetector> single;  // one thread, made when first needed (main when opt.threads is 1)
  bool whole_on_one = false;            // use_one_thread()
  std::map<int, cv::Mat> bitmaps;  // id -> the tag's image, one pixel per cell
  cv::Mat template_, scratch_;

  LibDetector& one_thread(const AprilTagOptions& opt) {
    if (opt.threads == 1) return *main;
    if (!single) single = std::make_unique<LibDetector>(opt, 1);
    return *single;
  }
  const cv::Mat& bitmap(int id) {
    auto it = bitmaps.find(id);
    if (it != bitmaps.end()) return it->second;
    image_u8_t* im = apriltag_to_image(main->family, id);
    cv::Mat m = cv::Mat(im->height, im->width, CV_8UC1, im->buf, size_t(im->stride)).clone();
    image_u8_destroy(im);
    return bitmaps.emplace(id, m).first->second;
  }
};

AprilTagDetector::AprilTagDetector(const AprilTagOptions& opt) : impl_(std::make_unique<Impl>()), opt_(opt) {
  opt_.family = normalize_family(opt.family);
  if (!(opt_.decimate >= 1 && opt_.decimate <= 16))
    throw OptionError(fmt::format("--decimate must be between 1 and 16, got {}", opt_.decimate));
  if (!(std::abs(opt_.blur) <= 20)) throw OptionError(fmt::format("--blur must be between -20 and 20, got {}", opt_.blur));
  if (opt_.max_hamming < 0 || opt_.max_hamming > 3)
    throw OptionError(fmt::format("--max-hamming must be 0..3, got {}", opt_.max_hamming));
  if (opt_.threads < 0 || opt_.threads > 256) throw OptionError(fmt::format("--threads must be 0..256, got {}", opt_.threads));
  if (!(opt_.fine_sharpen >= 0 && opt_.fine_sharpen <= 4))
    throw OptionError(fmt::format("the fine pass's sharpening must be 0..4, got {}", opt_.fine_sharpen));
  if (opt_.threads == 0) opt_.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  impl_->main = std::make_unique<LibDetector>(opt_, opt_.threads);
}

AprilTagDetector::~AprilTagDetector() = default;

void AprilTagDetector::use_one_thread(bool on) { impl_->whole_on_one = on; }

std::string AprilTagDetector::family_name() const { return "tag" + opt_.family; }

std::vector<TagDetection> AprilTagDetector::detect(const cv::Mat& gray) {
  std::vector<TagDetection> out = detect(gray, opt_.decimate, cv::Rect(0, 0, gray.cols, gray.rows));
  if (!opt_.fine_pass || opt_.decimate < 1.5) return out;
  const size_t first = out.size();
  for (const cv::Rect& r : small_tag_regions(gray, opt_.decimate, out)) {
    ++fine_counts_.regions;
    // A region may hold part of a tag found already: only new ones are refined (the costly part).
    for (TagDetection& t : detect_small_region(gray, r)) {
      if (std::any_of(out.begin(), out.end(), [&](const TagDetection& o) { return same_tag(o, t); })) continue;
      if (opt_.refine_corners) refine_corners(gray, t);
      out.push_back(t);
    }
  }
  fine_counts_.found += out.size() - first;
  if (out.size() > first) sort_detections(out);
  return out;
}

std::vector<TagDetection> AprilTagDetector::detect(const cv::Mat& gray, double decimate, cv::Rect roi) {
  std::vector<TagDetection> out = detect_unrefined(gray, decimate, roi);
  if (opt_.refine_corners)
    for (auto& t : out) refine_corners(gray, t);
  sort_detections(out);
  return out;
}

std::vector<TagDetection> AprilTagDetector::detect_small_region(const cv::Mat& gray, cv::Rect region) {
  region &= cv::Rect(0, 0, gray.cols, gray.rows);
  if (opt_.fine_sharpen <= 0 || region.empty()) return detect_unrefined(gray, 1.0, region);
  // Unsharp mask: the region plus `fine_sharpen` times its difference from a 1-px Gaussian blur.
  cv::Mat blurred, sharp;
  cv::GaussianBlur(gray(region), blurred, cv::Size(0, 0), 1.0);
  cv::addWeighted(gray(region), 1 + opt_.fine_sharpen, blurred, -opt_.fine_sharpen, 0, sharp);
  std::vector<TagDetection> out = detect_unrefined(sharp, 1.0, cv::Rect(0, 0, sharp.cols, sharp.rows));
  const cv::Point2d offset(region.x, region.y);
  for (TagDetection& t : out) {
    for (auto& c : t.corners) c += offset;
    t.center += offset;
  }
  return out;
}

std::vector<TagDetection> AprilTagDetector::detect_unrefined(const cv::Mat& gray, double decimate, cv::Rect roi) {
  CV_Assert(gray.type() == CV_8UC1);
  std::vector<TagDetection> out;
  roi &= cv::Rect(0, 0, gray.cols, gray.rows);
  // A tag needs a few pixels per bit; tiny images cannot hold one (and would decimate to nothing).
  if (roi.width < 16 || roi.height < 16) return out;
  const cv::Mat part = gray(roi);  // a view: libapriltag takes the stride
  image_u8_t im{part.cols, part.rows, int(part.step[0]), part.data};
  // A small region (the fine pass's, the tracker's windows) is searched faster on one thread.
  const bool small = roi.area() <= kOneThreadMaxArea;
  LibDetector& lib = small || impl_->whole_on_one ? impl_->one_thread(opt_) : *impl_->main;
  lib.td->quad_decimate = float(std::clamp(decimate, 1.0, 16.0));
  zarray_t* dets = apriltag_detector_detect(lib.td, &im);
  lib.td->quad_decimate = float(opt_.decimate);
  if (!dets) return out;
  for (int i = 0; i < zarray_size(dets); ++i) {
    apriltag_detection_t* d;
    zarray_get(dets, i, &d);
    if (d->hamming > opt_.max_hamming || d->decision_margin < opt_.min_margin) continue;
    if (!opt_.ids.empty() && !opt_.ids.count(d->id)) continue;
    if (d->id < 0 || uint32_t(d->id) >= lib.family->ncodes) continue;
    TagDetection t;
    t.id = d->id;
    t.hamming = d->hamming;
    t.margin = d->decision_margin;
    // libapriltag puts pixel centres at +0.5; OpenCV (and so calibrations and solvers) at +0.
    const double ox = roi.x - kLibApriltagPixelOffset, oy = roi.y - kLibApriltagPixelOffset;
    for (int k = 0; k < 4; ++k) t.corners[size_t(k)] = {d->p[k][0] + ox, d->p[k][1] + oy};
    t.center = {d->c[0] + ox, d->c[1] + oy};
    out.push_back(t);
  }
  apriltag_detections_destroy(dets);
  return out;
}

double mean_side(const std::array<cv::Point2d, 4>& corners) {
  double side = 0;
  for (size_t k = 0; k < 4; ++k) side += cv::norm(corners[k] - corners[(k + 1) % 4]) / 4;
  return side;
}

cv::Rect2d corner_box(const std::array<cv::Point2d, 4>& corners) {
  double x0 = corners[0].x, x1 = x0, y0 = corners[0].y, y1 = y0;
  for (const auto& c : corners) x0 = std::min(x0, c.x), x1 = std::max(x1, c.x), y0 = std::min(y0, c.y), y1 = std::max(y1, c.y);
  return {x0, y0, x1 - x0, y1 - y0};
}

bool same_tag(const TagDetection& a, const TagDetection& b) {
  return a.id == b.id && cv::norm(a.center - b.center) < 0.5 * std::max(mean_side(a.corners), mean_side(b.corners));
}

void sort_detections(std::vector<TagDetection>& dets) {
  std::sort(dets.begin(), dets.end(), [](const TagDetection& a, const TagDetection& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.center.y != b.center.y) return a.center.y < b.center.y;
    return a.center.x < b.center.x;
  });
}

}  // namespace rvkit::vision

namespace rvkit::vision {

namespace {

// Candidate blurs of the image (Gaussian sigma in image pixels, optics and pixel area together).
constexpr double kBlurCandidates[] = {0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.45, 1.75, 2.1, 2.5};
constexpr double kFirstBlur = 0.8;
// Least tag size refined, image px per cell (12 px for 36h11's 8 cells): below 2 px a cell the
// alignment still halves libapriltag's corner error (0.2-0.35 px on 14-16 px tags of the camera-like
// renders; docs/benchmarks.md).
constexpr double kMinRefineCellPx = 1.5;

}  // namespace

bool AprilTagDetector::refine_corners(const cv::Mat& gray, TagDetection& d) {
  const apriltag_family_t* fam = impl_->main->family;
  const double side = mean_side(d.corners);
  const int cells = int(fam->width_at_border);
  if (side < kMinRefineCellPx * cells) return false;
  // One template pixel per image pixel, roughly (2..12 per cell).
  const int scale = std::clamp(int(std::lround(side / cells)), 2, 12);
  cv::Mat sharp;
  cv::resize(impl_->bitmap(d.id), sharp, cv::Size(), scale, scale, cv::INTER_NEAREST);
  sharp.convertTo(sharp, CV_32F);
  // Corners of the black square in template pixels (pixel centres at integers).
  const float lo = float((fam->total_width - cells) / 2.0 * scale - 0.5);
  const float hi = lo + float(cells * scale);
  const std::vector<cv::Point2f> tmpl = {{lo, hi}, {hi, hi}, {hi, lo}, {lo, lo}};

  std::vector<cv::Point2f> img;
  for (const auto& c : d.corners) img.emplace_back(float(c.x), float(c.y));
  cv::Rect roi = cv::boundingRect(img);
  const int margin = int(side / cells * 1.5) + 3;
  roi = cv::Rect(roi.x - margin, roi.y - margin, roi.width + 2 * margin, roi.height + 2 * margin) &
        cv::Rect(0, 0, gray.cols, gray.rows);
  if (roi.width < 8 || roi.height < 8) return false;
  std::vector<cv::Point2f> local;
  for (const auto& p : img) local.emplace_back(p.x - float(roi.x), p.y - float(roi.y));
  cv::Mat H = cv::getPerspectiveTransform(tmpl, local);
  H.convertTo(H, CV_32F);
  cv::Mat input;
  gray(roi).convertTo(input, CV_32F);

  // The template as the camera would show it: the sharp bitmap blurred by `sigma` image pixels
  // (template pixels per image pixel: scale / (side / cells)). A sharp template against a blurred
  // image pulls the quad inwards (about 1 % for small tags); a matched blur does not.
  const double tpp = scale / (side / cells);
  auto blurred = [&](double sigma) {
    cv::Mat t;
    if (opt_.refine_sharp_template) return sharp;
    cv::GaussianBlur(sharp, t, cv::Size(0, 0), sigma * tpp, sigma * tpp, cv::BORDER_REPLICATE);
    return t;
  };
  auto ecc = [&](const cv::Mat& t, cv::Mat& warp) {
    try {
      double rho = cv::findTransformECC(t, input, warp, cv::MOTION_HOMOGRAPHY,
                                        cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 30, 1e-4),
                                        cv::noArray(), opt_.refine_sharp_template ? 3 : 1);
      return rho > 0.6;
    } catch (const cv::Exception&) {
      return false;  // did not converge
    }
  };
  if (!opt_.refine_sharp_template) {
    // The blur that matches the image best at libapriltag's alignment (within ~0.1 px: a misfit
    // that small barely changes which blur correlates best), then one alignment with that blur.
    cv::Mat warped;
    cv::warpPerspective(input, warped, H, sharp.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    double best = -2, best_sigma = kFirstBlur;
    for (double sigma : kBlurCandidates) {
      double rho = cv::computeECC(blurred(sigma), warped);
      if (rho > best) best = rho, best_sigma = sigma;
    }
    if (!ecc(blurred(best_sigma), H)) return false;
  } else if (!ecc(sharp, H)) {
    return false;
  }
  std::vector<cv::Point2f> refined;
  cv::perspectiveTransform(tmpl, refined, H);
  const double limit = std::max(1.5, 0.1 * side);
  std::array<cv::Point2d, 4> out;
  for (size_t k = 0; k < 4; ++k) {
    out[k] = {double(refined[k].x) + roi.x, double(refined[k].y) + roi.y};
    if (!(cv::norm(out[k] - d.corners[k]) <= limit)) return false;
  }
  d.corners = out;
  // The centre is where the diagonals cross.
  auto cross = [](cv::Point2d p, cv::Point2d q) { return p.x * q.y - p.y * q.x; };
  cv::Point2d r = out[2] - out[0], s = out[3] - out[1];
  double den = cross(r, s);
  if (std::abs(den) > 1e-9) d.center = out[0] + cross(out[1] - out[0], s) / den * r;
  return true;
}

}  // namespace rvkit::vision
