// rvkit vision: AprilTag detection with libapriltag (the detector WPILib and PhotonVision use).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit::vision {

struct AprilTagOptions {
  std::string family = "36h11";  // 36h11 or 16h5 (a "tag" prefix is accepted)
  double decimate = 2.0;         // quad_decimate: detect quads on an image this many times smaller
  double blur = 0.0;             // quad_sigma: Gaussian blur sigma in pixels (negative sharpens)
  int threads = 0;               // worker threads, 0 = all cores
  bool refine_edges = true;      // snap quad edges to the full-resolution image gradients
  bool fine_pass = true;         // after a decimated search, search at full resolution where the
                                 // decimated image shows small tags it missed (small_tag_regions.hpp)
  double fine_sharpen = 3.5;     // the fine pass searches its regions sharpened (an unsharp mask of this
                                 // amount, sigma 1 px; 0 = as they are): the optics' blur merges a small
                                 // tag's one-cell white border with its surround, and libapriltag then
                                 // finds no quad
  bool refine_corners = false;   // then align the whole tag pattern to the image (ECC, see below)
  bool refine_sharp_template = false;  // benchmarks only: the old refinement (a sharp template, biased
                                       // inwards on camera images), for comparison
  int max_hamming = 0;           // most bit errors a detection may have had corrected (0..3)
  double min_margin = 35.0;      // least decision margin a detection must have
  std::set<int> ids;             // only these ids (empty: all)
};

// libapriltag's pixel coordinates put the centre of the top-left pixel at (0.5, 0.5); rvkit, like
// OpenCV and its calibrations, puts it at (0, 0). Detections are converted by this much.
constexpr double kLibApriltagPixelOffset = 0.5;

struct TagDetection {
  int id = 0;
  int hamming = 0;
  double margin = 0;
  // Pixel coordinates (OpenCV's convention, see above) in libapriltag's order: bottom-left, bottom-right, top-right, top-left
  // of the upright tag (the points its homography maps (-1,1), (1,1), (1,-1), (-1,-1) to).
  std::array<cv::Point2d, 4> corners;
  cv::Point2d center;
};

// The mean length of a quad's four sides, px (a tag's size in the image).
double mean_side(const std::array<cv::Point2d, 4>& corners);
// The smallest upright box holding a quad's four corners, px.
cv::Rect2d corner_box(const std::array<cv::Point2d, 4>& corners);
// The same tag found twice (by two searches): the same id, and centres within half a side (the
// larger one's) of each other.
bool same_tag(const TagDetection& a, const TagDetection& b);
// The detector's order: by id, then by position (top to bottom, left to right).
void sort_detections(std::vector<TagDetection>& dets);

class AprilTagDetector {
 public:
  // Throws rvkit::OptionError for an unknown family or an option out of range.
  explicit AprilTagDetector(const AprilTagOptions& opt);
  ~AprilTagDetector();
  AprilTagDetector(const AprilTagDetector&) = delete;
  AprilTagDetector& operator=(const AprilTagDetector&) = delete;

  // Detects tags in an 8-bit grey image (any stride; not copied). Results are sorted by id,
  // then by position, and already filtered by max_hamming, min_margin and ids. With decimate 1.5 or
  // more and fine_pass, the decimated search is followed by a decimate-1 search in the regions
  // small_tag_regions() names, each sharpened by fine_sharpen; a tag found there is added unless
  // already found.
  std::vector<TagDetection> detect(const cv::Mat& gray);
  // The same within `roi` of the image only (clipped to it; an empty result when nothing is left),
  // with quad_decimate `decimate` instead of the option's: the tracker's full-resolution passes near
  // known tags and its coarse search for new ones (tag_tracker.hpp). Corners are in the whole
  // image's coordinates; refinement, filters and order as detect(). A region of up to 160x160 px is
  // searched on one thread, which is faster there than libapriltag's worker pool.
  std::vector<TagDetection> detect(const cv::Mat& gray, double decimate, cv::Rect roi);

  const AprilTagOptions& options() const { return opt_; }
  // From the next detection on, search on one thread (on) or on the option's threads (off, the
  // default). Regions of up to 160x160 px (the fine pass's, the tracker's windows) always use one.
  // `detect --workers` uses it to give a frame all cores only while the other workers are idle. A
  // second libapriltag detector, made when first needed, runs the one-thread searches: libapriltag
  // cannot safely change a detector's threads.
  void use_one_thread(bool on);
  // What the fine passes of detect(gray) did so far: regions searched, tags found only there.
  struct FinePassCounts {
    uint64_t regions = 0, found = 0;
  };
  const FinePassCounts& fine_pass_counts() const { return fine_counts_; }
  // libapriltag's family name ("tag36h11").
  std::string family_name() const;

  // Corner refinement by direct alignment: the tag's own pattern (libapriltag's image of it) is
  // aligned to the image by OpenCV's ECC with a homography, starting from the detected corners,
  // using every pixel of the tag rather than only its outer edges. Keeps the detected corners
  // when the alignment fails or moves a corner implausibly far. Returns true if refined.
  bool refine_corners(const cv::Mat& gray, TagDetection& d);

 private:
  // libapriltag's detections in `roi`, filtered, in whole-image coordinates; not refined or sorted.
  // Regions of up to 160x160 px, and all with use_one_thread(true), are searched on one thread.
  std::vector<TagDetection> detect_unrefined(const cv::Mat& gray, double decimate, cv::Rect roi);
  // The fine pass's search of one region: at decimate 1, sharpened by fine_sharpen (on one thread,
  // as every region that small).
  std::vector<TagDetection> detect_small_region(const cv::Mat& gray, cv::Rect region);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  AprilTagOptions opt_;
  FinePassCounts fine_counts_;
};

// Normalises a family name ("36h11", "tag36h11" -> "36h11"); throws rvkit::OptionError (--family) if unknown.
std::string normalize_family(const std::string& name);

}  // namespace rvkit::vision
