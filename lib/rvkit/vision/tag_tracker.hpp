// rvkit vision: AprilTag detection that follows tags from frame to frame (detect --track).
//
// Between two frames of a video a tag moves a few pixels, so most of a full search is wasted. The
// tracker runs the detector's full search (its own decimate) every `full_every` frames and whenever a
// tag it followed was not found again; on the frames between, it searches
//  - only in a window around each tag of the last frame, moved by that tag's last motion and grown
//    by `window` tag sides on each side, at full resolution (decimate 1) for tags under 40 px and at
//    decimate 2 (or the detector's, if finer) for larger ones, and
//  - the whole image at `coarse_decimate` (default 4), which finds new tags large enough for it.
// On every frame, full searches included, a tag of the last frame that the search at hand did not
// find is looked for in its window at full resolution, so a tag stays found as it shrinks below what
// the decimated search can see (a far tag found while it was closer); and hint() (the layout's tags
// where the last field pose puts them) gets small tags the decimated search never saw. Results are what
// AprilTagDetector::detect() returns (same filters, refinement and order); one tag (id and place)
// once, the full-resolution find preferred.
//
// One tracker follows one camera at one frame size: reset() (or a new size) starts again with a full
// search. Not thread-safe; uses the detector it was given (which must outlive it).
#pragma once
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/vision/apriltag_detector.hpp"

namespace rvkit::vision {

struct TrackOptions {
  int full_every = 10;          // a full search at least every this many frames (1: every frame)
  double coarse_decimate = 4;   // between full searches, the whole image at this decimate
  double window = 0.5;          // a followed tag's window: its box grown by this many tag sides
};

struct TrackCounts {
  uint64_t full = 0;     // frames with a full search
  uint64_t tracked = 0;  // frames between them
  uint64_t lost = 0;     // followed tags not found again (each forces a full search)
  uint64_t kept = 0;     // tags found only in their window (the search at hand missed them)
  uint64_t hinted = 0;   // tags found only where a hint put them

  TrackCounts& operator+=(const TrackCounts& o) {
    full += o.full, tracked += o.tracked, lost += o.lost, kept += o.kept, hinted += o.hinted;
    return *this;
  }
};

class TagTracker {
 public:
  TagTracker(AprilTagDetector& detector, TrackOptions opt);  // throws OptionError on bad options
  std::vector<TagDetection> detect(const cv::Mat& gray);
  // Where tags should be in the next frame (project_layout() of the last field pose): a hinted tag
  // smaller than 40 px that the next search does not find is looked for in its window at full
  // resolution, as a followed tag is. So a far tag the decimated search never saw is found once the
  // camera's pose is known. Used by the next detect() only.
  void hint(std::vector<TagDetection> predicted) { hints_ = std::move(predicted); }
  void reset();
  const TrackCounts& counts() const { return counts_; }

 private:
  struct Followed {
    TagDetection last;
    cv::Point2d motion;  // centre's displacement over the last frame
  };
  cv::Rect window_of(const Followed& f, cv::Size image) const;

  AprilTagDetector& det_;
  TrackOptions opt_;
  cv::Size size_;
  std::vector<Followed> followed_;
  std::vector<TagDetection> hints_;
  int since_full_ = 0;
  bool need_full_ = true;
  TrackCounts counts_;
};

}  // namespace rvkit::vision
