// rvkit vision: how far detected tag corners are from the truth, by tag size (tests, benchmarks).
//
// The scale ratio (detected quad's perimeter over the true one's) shows a corner method's bias: a
// quad drawn inwards reads every distance long by as much. The mean corner error shows its noise
// and bias together. Pure functions; no state.
#pragma once
#include <array>
#include <map>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/vision/apriltag_detector.hpp"

namespace rvkit::vision {

struct CornerMatch {
  int id = 0;
  double side = 0;   // true mean edge length, px
  double error = 0;  // mean distance of the 4 corners from the truth, px
  double scale = 0;  // detected perimeter / true perimeter
};

// Matches detections to truths by id (truth corners in rvkit's pixel convention, centres at integers,
// in libapriltag's corner order); truths without a detection are left out.
std::vector<CornerMatch> match_corners(const std::vector<TagDetection>& dets,
                                       const std::map<int, std::array<cv::Point2d, 4>>& truth);

struct CornerStats {
  int n = 0;
  double mean_scale = 0;  // mean of CornerMatch::scale (1: unbiased)
  double mean_error = 0;  // px
};

// Statistics of the matches whose true side lies in [lo, hi) px.
CornerStats corner_stats(const std::vector<CornerMatch>& m, double lo = 0, double hi = 1e9);

}  // namespace rvkit::vision
