// detect --track (rvkit/vision/tag_tracker.hpp) on rendered video: a tag that recedes from 3 m to 14 m
// stays found, at full resolution, for as long as a full-resolution search finds it, well after the
// decimated search loses it; corners as good as the full search's; a tag that appears is found within
// one full-search period; a lost tag forces a full search; with a field layout, far tags the decimated
// search never saw are found where the last pose puts them.
#include "test_util.hpp"

#include <cmath>
#include <optional>

#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/vision/detect_pipeline.hpp"
#include "rvkit/vision/tag_tracker.hpp"
#include "synthetic_tags.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

std::optional<TagDetection> find_id(const std::vector<TagDetection>& v, int id) {
  for (const auto& d : v)
    if (d.id == id) return d;
  return std::nullopt;
}

double corner_error(const TagDetection& d, const std::array<cv::Point2d, 4>& truth) {
  double e = 0;
  for (size_t k = 0; k < 4; ++k)
    e += cv::norm(d.corners[k] - truth[k]) / 4;
  return e;
}

}  // namespace

TEST_CASE("tag tracker: a receding tag stays found at full resolution after the decimated search loses it") {
  synth::Camera cam = synth::Camera::with_hfov(640, 480, 70);
  AprilTagOptions d2;
  d2.threads = 1;
  d2.min_margin = 10;  // how far each search can see, not the margin filter's choice
  d2.fine_pass = false;  // the tracker's own windows, not the single-frame fine pass (test_vision_small_tags.cpp)
  AprilTagOptions d1 = d2;
  d1.decimate = 1;
  AprilTagDetector plain(d2), full_res(d1), tracked_det(d2);
  TagTracker tracker(tracked_det, TrackOptions{});
  int last_plain = -1, last_full = -1, last_tracked = -1, frames = 80;
  double err_full = 0, err_tracked = 0;
  int both = 0;
  for (int i = 0; i < frames; ++i) {
    const double dist = 3.0 + 11.0 * i / (frames - 1);  // 3 m .. 14 m: from 100 px down to 21 px
    synth::Tag tag{5, synth::tag_in_front(dist, 0.1 * dist, 0.05 * dist, 20, 10)};
    synth::RenderOptions ro;
    ro.seed = uint64_t(i + 1);
    ro.blur_sigma = 0.6;
    cv::Mat img = synth::render(cam, {tag}, ro);
    auto truth = synth::true_corners(cam, tag);
    auto p = find_id(plain.detect(img), 5);
    auto f = find_id(full_res.detect(img), 5);
    auto t = find_id(tracker.detect(img), 5);
    if (p) last_plain = i;
    if (f) last_full = i;
    if (t) last_tracked = i;
    if (f && t) {
      err_full += corner_error(*f, truth);
      err_tracked += corner_error(*t, truth);
      ++both;
    }
    // Never a frame the full-resolution search has that the tracker lacks, while it followed the tag.
    if (f && last_tracked == i - 1 && i > 0) CHECK_MESSAGE(t, "frame " << i << " at " << dist << " m");
  }
  MESSAGE("last frame found: decimate 2 " << last_plain << ", decimate 1 " << last_full << ", tracked " << last_tracked
                                          << " of " << frames);
  REQUIRE(last_plain < frames - 1);    // the scene reaches what the decimated search cannot see...
  CHECK(last_tracked > last_plain);    // ...and the tracker goes further,
  CHECK(last_tracked >= last_full - 1);  // as far as full resolution, within a frame
  REQUIRE(both > 10);
  MESSAGE("mean corner error: decimate 1 " << err_full / both << " px, tracked " << err_tracked / both << " px");
  CHECK(err_tracked / both < err_full / both * 1.1 + 0.01);
  CHECK(tracker.counts().kept > 0);  // found in its window when the full search missed it
}

TEST_CASE("tag tracker: a tag that appears is found within one full-search period, a lost one forces a full search") {
  synth::Camera cam = synth::Camera::with_hfov(640, 480, 70);
  AprilTagOptions o;
  o.threads = 1;
  AprilTagDetector det(o);
  TrackOptions to;
  to.full_every = 5;
  TagTracker tracker(det, to);
  synth::Tag a{1, synth::tag_in_front(2.0, -0.4, 0, 0, 0)};
  synth::Tag b{2, synth::tag_in_front(4.0, 0.5, 0.1, 0, 0)};  // small: the coarse search may miss it
  synth::RenderOptions ro;
  int b_first = -1;
  for (int i = 0; i < 12; ++i) {
    ro.seed = uint64_t(i + 1);
    std::vector<synth::Tag> tags{a};
    if (i >= 3) tags.push_back(b);  // appears on frame 3
    auto found = tracker.detect(synth::render(cam, tags, ro));
    CHECK(find_id(found, 1));
    if (b_first < 0 && find_id(found, 2)) b_first = i;
  }
  REQUIRE(b_first >= 3);
  CHECK(b_first <= 3 + to.full_every);
  // Tag 1 vanishes: counted lost, and the next frame is a full search (it finds tag 2 at once).
  TrackCounts before = tracker.counts();
  ro.seed = 99;
  auto found = tracker.detect(synth::render(cam, {b}, ro));
  CHECK(tracker.counts().lost == before.lost + 1);
  CHECK(find_id(found, 2));
  before = tracker.counts();
  found = tracker.detect(synth::render(cam, {b}, ro));
  CHECK(tracker.counts().full == before.full + 1);
  CHECK(find_id(found, 2));
  CHECK_THROWS_AS(TagTracker(det, TrackOptions{0, 4, 0.5}), OptionError);
}

namespace {

Message gray_frame(const cv::Mat& img, int64_t seq) {
  FrameInfo f;
  f.cam = "field";
  f.seq = seq;
  f.t_capture = 1000000 + seq * 33333;
  f.w = img.cols;
  f.h = img.rows;
  f.fmt = PixelFormat::Gray8;
  f.stride = img.cols;
  f.bytes = uint64_t(img.total());
  Message m;
  m.header = make_frame_header(f);
  m.payload.assign(img.data, img.total());
  return m;
}

}  // namespace

TEST_CASE("tag tracker: with a field layout, far tags the decimated search never saw are found where the pose puts them") {
  geometry::FieldLayout layout = geometry::load_field_layout("2026-rebuilt-welded");
  synth::Camera cam = synth::Camera::with_hfov(640, 480, 70);
  // A camera that drives slowly (2 cm a frame) and sees several tags, some far (under 20 px).
  cv::RNG rng(5);
  geometry::Pose3 start;
  bool found_scene = false;
  for (int trial = 0; trial < 5000 && !found_scene; ++trial) {
    start = geometry::Pose3::from_xyz_rpy(rng.uniform(0.5, 16.0), rng.uniform(0.5, 7.5), rng.uniform(0.3, 0.8), 0,
                                          -rng.uniform(0.0, 0.2), rng.uniform(-M_PI, M_PI));
    auto tags = synth::visible_tags(cam, start, layout.tags, kDefaultTagSize, 60, 10.0);
    int near = 0, far = 0;
    for (const auto& t : tags) {
      auto c = synth::true_corners(cam, t);
      double side = mean_side(c);
      near += side > 35;
      far += side > 11 && side < 14;
    }
    found_scene = near >= 2 && far >= 2;
  }
  REQUIRE(found_scene);
  auto run = [&](double decimate, bool track, int* seen, int* wanted) {
    DetectOptions o;
    o.apriltag.decimate = decimate;
    o.apriltag.threads = 1;
    o.apriltag.fine_pass = false;  // what the layout's hints find, not the single-frame fine pass
    o.calib = synth::calibration_of(cam);
    o.field = layout;
    if (track) o.track = TrackOptions{};
    DetectPipeline p(o);
    *seen = *wanted = 0;
    for (int i = 0; i < 20; ++i) {
      geometry::Pose3 pose = start * geometry::Pose3::from_xyz_rpy(0.02 * i, 0, 0, 0, 0, 0.002 * i);
      auto tags = synth::visible_tags(cam, pose, layout.tags, kDefaultTagSize, 60, 10.0);
      synth::RenderOptions ro;
      ro.seed = uint64_t(100 + i);
      records::Detections r = p.process(gray_frame(synth::render(cam, tags, ro), i));
      if (i < 2) continue;  // the first frames find the near tags and the pose
      for (const auto& t : tags) {
        auto c = synth::true_corners(cam, t);
        double side = mean_side(c);
        if (side < 11) continue;
        ++*wanted;
        for (const auto& d : *r.tags) *seen += d.id == t.id;
      }
    }
    return p.track_counts();
  };
  int d2_seen, d2_wanted, d1_seen, d1_wanted, tr_seen, tr_wanted;
  run(2, false, &d2_seen, &d2_wanted);
  run(1, false, &d1_seen, &d1_wanted);
  TrackCounts c = run(2, true, &tr_seen, &tr_wanted);
  MESSAGE("tags over 11 px found in 18 frames: decimate 2 " << d2_seen << ", decimate 1 " << d1_seen << ", decimate 2 --track "
                                                           << tr_seen << " of " << d2_wanted << " (" << c.hinted
                                                           << " found from the layout, " << c.kept << " kept)");
  REQUIRE(d2_seen < d1_seen);  // the scene has tags only full resolution finds
  CHECK(tr_seen >= d1_seen - 2);  // the tracker finds them too, once the pose is known
  CHECK(c.hinted > 0);
}
