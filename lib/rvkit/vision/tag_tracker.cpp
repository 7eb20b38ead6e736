#include "rvkit/vision/tag_tracker.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"

namespace rvkit::vision {

namespace {

constexpr double kFullResolutionBelowPx = 40;  // a followed tag smaller than this: its window at decimate 1

double side_of(const TagDetection& d) { return mean_side(d.corners); }

// A detection of tag `id` within reach of where one of `side` px was expected: two sides and 16 px.
bool within_reach(const TagDetection& d, int id, const cv::Point2d& expected, double side) {
  return d.id == id && cv::norm(d.center - expected) < 2 * side + 16;
}

const TagDetection* find_same(const std::vector<TagDetection>& v, const TagDetection& t) {
  for (const auto& d : v)
    if (same_tag(d, t)) return &d;
  return nullptr;
}

}  // namespace

TagTracker::TagTracker(AprilTagDetector& detector, TrackOptions opt) : det_(detector), opt_(opt) {
  if (opt_.full_every < 1 || opt_.full_every > 1000)
    throw OptionError(fmt::format("--track-every must be 1..1000 frames, got {}", opt_.full_every));
  if (!(opt_.coarse_decimate >= 1 && opt_.coarse_decimate <= 16))
    throw OptionError(fmt::format("--track-decimate must be between 1 and 16, got {}", opt_.coarse_decimate));
  if (!(opt_.window > 0 && opt_.window <= 10))
    throw OptionError(fmt::format("the tracking window must be 0..10 tag sides, got {}", opt_.window));
}

void TagTracker::reset() {
  followed_.clear();
  hints_.clear();
  need_full_ = true;
}

cv::Rect TagTracker::window_of(const Followed& f, cv::Size image) const {
  const cv::Rect2d box = corner_box(f.last.corners);  // moved by the tag's last motion below
  // Grown by `window` sides, and by the motion again (it may speed up), at least 16 px.
  const double grow = std::max(16.0, opt_.window * side_of(f.last) + cv::norm(f.motion));
  cv::Rect r(int(std::floor(box.x + f.motion.x - grow)), int(std::floor(box.y + f.motion.y - grow)),
             int(std::ceil(box.width + 2 * grow)) + 1, int(std::ceil(box.height + 2 * grow)) + 1);
  return r & cv::Rect(0, 0, image.width, image.height);
}

std::vector<TagDetection> TagTracker::detect(const cv::Mat& gray) {
  if (gray.size() != size_) {
    size_ = gray.size();
    reset();
  }
  const bool full = need_full_ || followed_.empty() || since_full_ + 1 >= opt_.full_every;
  std::vector<TagDetection> found;
  if (full) {
    found = det_.detect(gray);
    since_full_ = 0;
    need_full_ = false;
    ++counts_.full;
  } else {
    found = det_.detect(gray, opt_.coarse_decimate, cv::Rect(0, 0, gray.cols, gray.rows));
    ++since_full_;
    ++counts_.tracked;
  }
  // Every tag of the last frame, at full resolution in its window: found again (better than the
  // decimated find, which it replaces), or lost.
  for (const Followed& f : followed_) {
    TagDetection moved = f.last;
    for (auto& c : moved.corners) c += f.motion;
    moved.center += f.motion;
    if (full && std::any_of(found.begin(), found.end(), [&](const TagDetection& d) {
          return within_reach(d, f.last.id, moved.center, side_of(d));
        }))
      continue;  // the full search has it, at the detector's own quality
    // Full resolution for small tags (which a decimated search loses first), half for larger ones.
    const double dec = side_of(f.last) < kFullResolutionBelowPx ? 1.0 : std::min(2.0, det_.options().decimate);
    std::vector<TagDetection> near = det_.detect(gray, dec, window_of(f, gray.size()));
    const TagDetection* hit = nullptr;
    for (const auto& d : near)
      if (d.id == f.last.id && (!hit || cv::norm(d.center - moved.center) < cv::norm(hit->center - moved.center))) hit = &d;
    if (!hit) {
      ++counts_.lost;
      need_full_ = true;
      continue;
    }
    auto it = std::find_if(found.begin(), found.end(), [&](const TagDetection& d) { return same_tag(d, *hit); });
    if (it == found.end()) {
      found.push_back(*hit);
      ++counts_.kept;
    } else if (!full) {
      *it = *hit;  // full resolution over the coarse search's corners
    }
  }
  // Hinted small tags that nothing found yet, at full resolution where the layout puts them.
  for (const TagDetection& h : hints_) {
    const double side = side_of(h);
    if (side >= kFullResolutionBelowPx || side < 4) continue;  // large ones the search finds; tiny ones nobody
    if (std::any_of(found.begin(), found.end(), [&](const TagDetection& d) { return within_reach(d, h.id, h.center, side); }))
      continue;
    for (const auto& d : det_.detect(gray, 1.0, window_of(Followed{h, {0, 0}}, gray.size())))
      if (d.id == h.id) {
        found.push_back(d);
        ++counts_.hinted;
        break;
      }
  }
  hints_.clear();
  // One tag once (overlapping windows may find a neighbour twice).
  std::vector<TagDetection> out;
  for (const auto& d : found)
    if (!find_same(out, d)) out.push_back(d);
  sort_detections(out);
  // Follow what was found now, with its motion since the last frame.
  std::vector<Followed> next;
  for (const auto& d : out) {
    Followed f{d, {0, 0}};
    for (const Followed& p : followed_)
      if (within_reach(d, p.last.id, p.last.center + p.motion, side_of(d))) {
        f.motion = d.center - p.last.center;
        break;
      }
    next.push_back(f);
  }
  followed_ = std::move(next);
  return out;
}

}  // namespace rvkit::vision
