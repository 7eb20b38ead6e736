#include "rvkit/vision/corner_accuracy.hpp"

namespace rvkit::vision {

std::vector<CornerMatch> match_corners(const std::vector<TagDetection>& dets,
                                       const std::map<int, std::array<cv::Point2d, 4>>& truth) {
  std::vector<CornerMatch> out;
  for (const TagDetection& d : dets) {
    auto it = truth.find(d.id);
    if (it == truth.end()) continue;
    const auto& t = it->second;
    CornerMatch m;
    m.id = d.id;
    double pt = 0, pd = 0;
    for (size_t k = 0; k < 4; k++) {
      pt += cv::norm(t[k] - t[(k + 1) % 4]);
      pd += cv::norm(d.corners[k] - d.corners[(k + 1) % 4]);
      m.error += cv::norm(d.corners[k] - t[k]) / 4;
    }
    m.side = pt / 4;
    m.scale = pd / pt;
    out.push_back(m);
  }
  return out;
}

CornerStats corner_stats(const std::vector<CornerMatch>& m, double lo, double hi) {
  CornerStats s;
  for (const CornerMatch& c : m) {
    if (c.side < lo || c.side >= hi) continue;
    ++s.n;
    s.mean_scale += c.scale;
    s.mean_error += c.error;
  }
  if (s.n) s.mean_scale /= s.n, s.mean_error /= s.n;
  return s;
}

}  // namespace rvkit::vision
