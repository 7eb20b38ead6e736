// The synthetic test-pattern scene: its ground truth checked against libapriltag's own detector
// and pose estimate, determinism, layout and option checking.
#include "test_util.hpp"

#include <apriltag/apriltag.h>
#include <apriltag/apriltag_pose.h>
#include <apriltag/tag36h11.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/capture/test_pattern.hpp"

using namespace rvkit;

namespace {

constexpr int64_t kT = 1700000000123456;  // 2023-11-14 22:13:20.123456 UTC

struct Detection {
  int id;
  double p[4][2];
  double pose_err;          // libapriltag's pose estimate: object-space error
  cv::Matx33d R;            // ... rotation camera<-tag
  cv::Vec3d t;              // ... translation, metres
};

// Runs libapriltag's detector (tag36h11, full resolution, one thread) and, given a camera matrix
// and tag size, its pose estimate on every detection.
class Detector {
 public:
  explicit Detector(bool refine_edges) : family_(tag36h11_create()), td_(apriltag_detector_create()) {
    apriltag_detector_add_family(td_, family_);
    td_->quad_decimate = 1;
    td_->refine_edges = refine_edges;
    td_->nthreads = 1;
  }
  ~Detector() {
    apriltag_detector_destroy(td_);
    tag36h11_destroy(family_);
  }
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  std::vector<Detection> detect(const cv::Mat& bgr, const cv::Matx33d* K = nullptr, double tag_size = 0) {
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    image_u8_t im{grey.cols, grey.rows, int(grey.step), grey.data};
    zarray_t* dets = apriltag_detector_detect(td_, &im);
    std::vector<Detection> out;
    for (int i = 0; i < zarray_size(dets); i++) {
      apriltag_detection_t* d = nullptr;
      zarray_get(dets, i, &d);
      Detection f{d->id, {}, 0, cv::Matx33d::eye(), cv::Vec3d()};
      for (int c = 0; c < 4; c++) f.p[c][0] = d->p[c][0], f.p[c][1] = d->p[c][1];
      if (K) {
        apriltag_detection_info_t info{d, tag_size, (*K)(0, 0), (*K)(1, 1), (*K)(0, 2), (*K)(1, 2)};
        apriltag_pose_t pose{nullptr, nullptr};
        f.pose_err = estimate_tag_pose(&info, &pose);
        for (int k = 0; k < 9; k++) f.R.val[k] = pose.R->data[k];
        for (int k = 0; k < 3; k++) f.t[k] = pose.t->data[k];
        // matd_destroy() is not exported by Debian's libapriltag 3.3; a matd_t is one malloc'd block.
        free(pose.R);
        free(pose.t);
      }
      out.push_back(f);
    }
    apriltag_detections_destroy(dets);
    return out;
  }

 private:
  apriltag_family_t* family_;
  apriltag_detector_t* td_;
};

const TagTruth* find_truth(const std::vector<TagTruth>& truth, int id) {
  for (const auto& t : truth)
    if (t.id == id) return &t;
  return nullptr;
}

// Largest distance between a detection's corners and the truth corners, in order.
double corner_error(const Detection& d, const TagTruth& t) {
  double e = 0;
  for (int c = 0; c < 4; c++) e = std::max(e, std::hypot(d.p[c][0] - t.corners[c][0], d.p[c][1] - t.corners[c][1]));
  return e;
}

// Renders the frames and checks that libapriltag finds exactly the truth tags, corners within `tol` px.
// Returns the worst corner error seen.
double check_detections(const TestPatternOptions& o, const std::vector<uint64_t>& frames, bool refine, double tol) {
  TestPattern tp(o);
  Detector det(refine);
  double worst = 0;
  for (uint64_t index : frames) {
    std::vector<TagTruth> truth;
    cv::Mat img = tp.render(index, kT + int64_t(index) * 33333, &truth);
    auto found = det.detect(img);
    CAPTURE(o.width);
    CAPTURE(o.height);
    CAPTURE(o.seed);
    CAPTURE(index);
    CHECK(found.size() == truth.size());
    std::set<int> seen;
    for (const auto& d : found) {
      CAPTURE(d.id);
      const TagTruth* t = find_truth(truth, d.id);
      REQUIRE_MESSAGE(t, "libapriltag found a tag that is not in the truth");
      CHECK(seen.insert(d.id).second);
      double e = corner_error(d, *t);
      CHECK(e <= tol);
      worst = std::max(worst, e);
    }
  }
  return worst;
}

double rotation_angle_deg(const cv::Matx33d& a, const cv::Matx33d& b) {
  cv::Matx33d d = a.t() * b;
  double c = std::clamp((cv::trace(d) - 1) / 2, -1.0, 1.0);
  return std::acos(c) * 180 / M_PI;
}

cv::Matx33d to_matx(const std::array<double, 9>& R) {
  cv::Matx33d m;
  for (int i = 0; i < 9; i++) m.val[i] = R[i];
  return m;
}

TestPatternOptions sized(int w, int h, uint64_t seed = 1) {
  TestPatternOptions o;
  o.width = w;
  o.height = h;
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("test pattern: libapriltag finds every tag within 0.5 px of the truth corners (refine_edges on)") {
  // Full-resolution detection of a 1280x720 frame takes ~0.1 s, so fewer of those.
  double worst = 0;
  for (uint64_t seed : {1, 2, 3}) {
    worst = std::max(worst, check_detections(sized(320, 240, seed), {0, 77, 1234}, true, 0.5));
    worst = std::max(worst, check_detections(sized(640, 480, seed), {0, 1234}, true, 0.5));
  }
  for (uint64_t seed : {1, 2}) worst = std::max(worst, check_detections(sized(1280, 720, seed), {77}, true, 0.5));
  MESSAGE("worst corner error with refine_edges: " << worst << " px");
}

TEST_CASE("test pattern: libapriltag finds every tag without edge refinement too") {
  // Without refine_edges libapriltag's corners come straight from its quad fit, which is coarser
  // (up to ~0.7 px here); with it (above) they are within 0.5 px.
  double worst = 0;
  for (uint64_t seed : {4, 5}) worst = std::max(worst, check_detections(sized(640, 480, seed), {3, 999}, false, 1.0));
  worst = std::max(worst, check_detections(sized(1280, 720, 4), {3}, false, 1.0));
  MESSAGE("worst corner error without refine_edges: " << worst << " px");
}

TEST_CASE("test pattern: many tags, explicit ids, other tag sizes and fields of view") {
  TestPatternOptions o = sized(1280, 720, 9);
  o.tags = 10;
  check_detections(o, {321}, true, 0.5);

  o = sized(640, 480, 10);
  o.tags = 3;
  o.ids = {1, 2, 586};
  o.tag_size = 0.2;
  o.hfov_deg = 50;
  check_detections(o, {50}, true, 0.5);
  TestPattern tp(o);
  auto truth = tp.tags(50);
  REQUIRE(truth.size() == 3);
  std::set<int> ids;
  for (const auto& t : truth) {
    ids.insert(t.id);
    CHECK(t.size == 0.2);
  }
  CHECK(ids == std::set<int>{1, 2, 586});

  o = sized(640, 480, 11);
  o.tags = 0;
  TestPattern empty(o);
  std::vector<TagTruth> none{TagTruth{}};
  cv::Mat img = empty.render(5, kT, &none);
  CHECK(none.empty());
  CHECK(Detector(true).detect(img).empty());
}

TEST_CASE("test pattern: libapriltag's pose estimate with camera_matrix() agrees with the truth pose") {
  // This pins down the frames: camera as OpenCV, tag frame as libapriltag's pose estimate uses.
  double worst_t = 0, worst_r = 0;
  for (uint64_t seed : {1, 2}) {
    TestPattern tp(sized(1280, 720, seed));
    cv::Matx33d K = tp.camera_matrix();
    Detector det(true);
    for (uint64_t index : {seed * 400}) {
      std::vector<TagTruth> truth;
      cv::Mat img = tp.render(index, kT, &truth);
      auto found = det.detect(img, &K, tp.options().tag_size);
      REQUIRE(found.size() == truth.size());
      for (const auto& d : found) {
        const TagTruth* t = find_truth(truth, d.id);
        REQUIRE(t);
        CAPTURE(d.id);
        cv::Vec3d tt(t->t[0], t->t[1], t->t[2]);
        double dist = cv::norm(tt);
        CHECK(cv::norm(d.t - tt) < 0.01 * dist);  // 1 % of the distance
        CHECK(rotation_angle_deg(d.R, to_matx(t->R)) < 6.0);
        worst_t = std::max(worst_t, cv::norm(d.t - tt) / dist);
        worst_r = std::max(worst_r, rotation_angle_deg(d.R, to_matx(t->R)));
      }
    }
  }
  MESSAGE("pose estimate vs truth: position " << worst_t * 100 << " % of the distance, rotation " << worst_r
                                               << " degrees at worst");
}

TEST_CASE("test pattern: truth poses project onto the truth corners with camera_matrix()") {
  for (auto [w, h] : {std::pair{320, 240}, std::pair{640, 480}, std::pair{1280, 720}}) {
    TestPatternOptions o = sized(w, h, 7);
    o.hfov_deg = 80;
    TestPattern tp(o);
    cv::Matx33d K = tp.camera_matrix();
    double fx = (w / 2.0) / std::tan(80 * M_PI / 360);
    CHECK(K(0, 0) == doctest::Approx(fx));
    CHECK(K(1, 1) == doctest::Approx(fx));
    CHECK(K(0, 2) == doctest::Approx(w / 2.0));
    CHECK(K(1, 2) == doctest::Approx(h / 2.0));
    CHECK(K(0, 1) == 0);
    CHECK(K(2, 2) == 1);
    for (uint64_t index : {0, 1, 250, 100000}) {
      for (const TagTruth& t : tp.tags(index)) {
        cv::Matx33d R = to_matx(t.R);
        CHECK(cv::norm(R.t() * R - cv::Matx33d::eye()) < 1e-9);
        CHECK(cv::determinant(R) == doctest::Approx(1.0));
        double s = t.size / 2;
        std::vector<cv::Point3d> obj{{-s, s, 0}, {s, s, 0}, {s, -s, 0}, {-s, -s, 0}};
        cv::Vec3d rvec;
        cv::Rodrigues(R, rvec);
        std::vector<cv::Point2d> img;
        cv::projectPoints(obj, rvec, cv::Vec3d(t.t[0], t.t[1], t.t[2]), K, cv::noArray(), img);
        for (int c = 0; c < 4; c++) {
          CHECK(img[c].x == doctest::Approx(t.corners[c][0]).epsilon(1e-9));
          CHECK(img[c].y == doctest::Approx(t.corners[c][1]).epsilon(1e-9));
        }
      }
    }
  }
}

TEST_CASE("test pattern: same options and index give identical pixels, while seeds, frames and times differ") {
  TestPatternOptions o = sized(640, 480, 3);
  TestPattern a(o), b(o);
  std::vector<TagTruth> ta, tb;
  cv::Mat a1 = a.render(42, kT, &ta);
  a.render(43, kT);
  cv::Mat a2 = a.render(42, kT);  // after other frames (texture cache warm)
  cv::Mat b1 = b.render(42, kT, &tb);
  CHECK(cv::norm(a1, a2, cv::NORM_INF) == 0);
  CHECK(cv::norm(a1, b1, cv::NORM_INF) == 0);
  REQUIRE(ta.size() == tb.size());
  for (size_t i = 0; i < ta.size(); i++) {
    CHECK(ta[i].id == tb[i].id);
    CHECK(ta[i].R == tb[i].R);
    CHECK(ta[i].t == tb[i].t);
    CHECK(ta[i].corners == tb[i].corners);
  }

  // Rendering into a reused image gives the same pixels.
  cv::Mat reused(480, 640, CV_8UC3, cv::Scalar(1, 2, 3));
  uchar* data = reused.data;
  a.render(42, kT, reused);
  CHECK(reused.data == data);
  CHECK(cv::norm(a1, reused, cv::NORM_INF) == 0);

  // The next frame differs (motion and noise), a different seed gives a different scene.
  cv::Mat next = a.render(43, kT);
  CHECK(cv::norm(a1, next, cv::NORM_L1) > 0);
  TestPatternOptions o2 = o;
  o2.seed = 4;
  TestPattern c(o2);
  std::vector<TagTruth> tc;
  cv::Mat c1 = c.render(42, kT, &tc);
  CHECK(cv::norm(a1, c1, cv::NORM_L1) / a1.total() > 5.0);  // not just noise: mean |diff| per pixel
  std::set<int> ids_a, ids_c;
  for (const auto& t : ta) ids_a.insert(t.id);
  for (const auto& t : tc) ids_c.insert(t.id);
  CHECK(ids_a != ids_c);

  // Without noise, only the time text changes with t_us, and it does change.
  o.noise = 0;
  TestPattern q(o);
  cv::Mat t1 = q.render(7, kT), t2 = q.render(7, kT + 1000), t3 = q.render(7, kT + 500);
  cv::Mat diff, diff_grey;
  cv::absdiff(t1, t2, diff);
  cv::cvtColor(diff, diff_grey, cv::COLOR_BGR2GRAY);
  cv::Rect changed = cv::boundingRect(diff_grey != 0);  // bounding box of the changed pixels
  CHECK(changed.area() > 0);
  CHECK(changed.y + changed.height <= 480 / 8);  // the text sits in the top band
  CHECK(changed.width < 640 / 2);
  CHECK(cv::norm(t1, t3, cv::NORM_INF) == 0);  // same millisecond, same text
}

TEST_CASE("test pattern: 320x240, 640x480 and 1280x720 frames, text scaled with the frame") {
  int prev_text_height = 0;
  for (auto [w, h] : {std::pair{320, 240}, std::pair{640, 480}, std::pair{1280, 720}}) {
    TestPatternOptions o = sized(w, h, 5);
    o.noise = 0;
    TestPattern tp(o);
    cv::Mat img = tp.render(12345, kT);
    REQUIRE(img.type() == CV_8UC3);
    CHECK(img.cols == w);
    CHECK(img.rows == h);
    // The caption: white glyphs on a dark box in the top-left corner, taller in taller frames.
    cv::Mat grey, bright;
    cv::cvtColor(img(cv::Rect(0, 0, w / 2, h / 6)), grey, cv::COLOR_BGR2GRAY);
    bright = grey > 200;
    cv::Rect glyphs = cv::boundingRect(bright);
    CAPTURE(w);
    CHECK(glyphs.height >= 8);
    CHECK(glyphs.height > prev_text_height);
    CHECK(glyphs.x < w / 20);
    prev_text_height = glyphs.height;
  }
}

TEST_CASE("test pattern: the scene stays in view, cards never overlap, tags move smoothly") {
  for (auto [w, h] : {std::pair{320, 240}, std::pair{640, 480}, std::pair{1280, 720}, std::pair{480, 640}})
    for (int tags : {1, 4, 12, 32}) {
      TestPatternOptions o = sized(w, h, uint64_t(tags * 100 + w));
      o.tags = tags;
      TestPattern tp(o);
      const cv::Matx33d K = tp.camera_matrix();
      CAPTURE(w);
      CAPTURE(h);
      CAPTURE(tags);
      // Violations are collected and reported once (thousands of frames x tags would otherwise
      // make hundreds of thousands of assertions).
      std::vector<std::string> bad;
      auto expect = [&](bool ok, uint64_t index, const std::string& what) {
        if (!ok && bad.size() < 5) bad.push_back("frame " + std::to_string(index) + ": " + what);
      };
      std::vector<TagTruth> prev;
      double max_step = 0, min_dist = 1e9, max_dist = 0;
      std::vector<double> travelled(size_t(tags), 0.0);
      for (uint64_t index = 0; index < 600; index++) {
        auto truth = tp.tags(index);
        REQUIRE(int(truth.size()) == tags);
        std::vector<cv::Rect2d> cards;
        std::set<int> ids;
        BlobTruth b = tp.blob(index);
        for (const auto& t : truth) {
          ids.insert(t.id);
          cv::Matx33d R = to_matx(t.R);
          cv::Vec3d tv(t.t[0], t.t[1], t.t[2]);
          min_dist = std::min(min_dist, cv::norm(tv));
          max_dist = std::max(max_dist, cv::norm(tv));
          // The whole card (black square + 2 white modules each side) is in view, below the caption
          // and above the blob, and overlaps no other card.
          double c = 0.75 * t.size, x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
          for (auto [sx, sy] : {std::pair{-1, -1}, std::pair{1, -1}, std::pair{1, 1}, std::pair{-1, 1}}) {
            cv::Vec3d p = R * cv::Vec3d(sx * c, sy * c, 0) + tv;
            expect(p[2] > 0.1, index, "card corner behind the camera");
            double u = K(0, 0) * p[0] / p[2] + K(0, 2), v = K(1, 1) * p[1] / p[2] + K(1, 2);
            x0 = std::min(x0, u), x1 = std::max(x1, u), y0 = std::min(y0, v), y1 = std::max(y1, v);
          }
          expect(x0 >= 1 && y0 >= h / 24.0 + 1 && x1 <= w - 1 && y1 <= h - 1, index, "card out of view");
          cv::Rect2d card(x0, y0, x1 - x0, y1 - y0);
          for (const auto& other : cards) expect((card & other).area() == 0, index, "cards overlap");
          expect(y1 < b.center[1] - b.axes[1], index, "card reaches the blob");
          cards.push_back(card);
          // The tag faces the camera: its z axis points away from the camera, < 60 degrees off the ray.
          expect(R(0, 2) * tv[0] + R(1, 2) * tv[1] + R(2, 2) * tv[2] > 0.5 * cv::norm(tv), index, "tag turned away");
        }
        expect(int(ids.size()) == tags, index, "ids not distinct");
        expect(b.center[0] - b.axes[0] >= 0 && b.center[0] + b.axes[0] <= w && b.center[1] + b.axes[1] <= h, index,
               "blob out of view");
        if (!prev.empty())
          for (int i = 0; i < tags; i++)
            for (int c = 0; c < 4; c++) {
              double step = std::hypot(truth[i].corners[c][0] - prev[i].corners[c][0],
                                       truth[i].corners[c][1] - prev[i].corners[c][1]);
              max_step = std::max(max_step, step);
              if (c == 0) travelled[size_t(i)] += step;
            }
        prev = truth;
      }
      CHECK_MESSAGE(bad.empty(), (bad.empty() ? std::string() : bad.front()));
      CHECK(max_step < 0.01 * w);  // smooth: under 1 % of the width per frame
      for (double d : travelled) CHECK(d > 0.02 * w);  // but they do move
      CHECK(min_dist >= 1.0);
      if (tags <= 4) CHECK(max_dist <= 4.0);  // many tags in a small frame may have to be further away
    }
}

TEST_CASE("test pattern: the blob is saturated orange where the truth says, and moves across") {
  TestPatternOptions o = sized(640, 480, 2);
  TestPattern tp(o);
  double x_min = 1e9, x_max = -1e9;
  for (uint64_t index = 0; index < 400; index += 40) {
    cv::Mat img = tp.render(index, kT);
    BlobTruth b = tp.blob(index);
    CHECK(b.bgr == std::array<uint8_t, 3>{0, 120, 255});
    cv::Vec3b px = img.at<cv::Vec3b>(int(b.center[1]), int(b.center[0]));
    CHECK(px[0] <= 10);
    CHECK(std::abs(int(px[1]) - 120) <= 10);
    CHECK(px[2] >= 245);
    // Just outside the ellipse it is background, not orange.
    cv::Vec3b out = img.at<cv::Vec3b>(int(b.center[1]), std::min(639, int(b.center[0] + b.axes[0] + 3)));
    CHECK(int(out[2]) - int(out[0]) < 60);
    x_min = std::min(x_min, b.center[0]);
    x_max = std::max(x_max, b.center[0]);
  }
  CHECK(x_max - x_min > 640 / 3);
}

TEST_CASE("test pattern: out-of-range options are refused with a clear error") {
  auto message = [](TestPatternOptions o) {
    try {
      TestPattern tp(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  TestPatternOptions o;
  o.width = 0;
  CHECK(message(o).find("size 0x480") != std::string::npos);
  o = {};
  o.height = 100000;
  CHECK(message(o).find("out of range") != std::string::npos);
  o = {};
  o.tags = 33;
  CHECK(message(o).find("tag count 33") != std::string::npos);
  o = {};
  o.tags = -1;
  CHECK(message(o).find("tag count -1") != std::string::npos);
  o = {};
  o.tag_size = 0;
  CHECK(message(o).find("tag size") != std::string::npos);
  o = {};
  o.hfov_deg = std::nan("");
  CHECK(message(o).find("field of view") != std::string::npos);
  o = {};
  o.noise = -1;
  CHECK(message(o).find("noise") != std::string::npos);
  o = {};
  o.ids = {1, 2};
  CHECK(message(o).find("4 tags but 2 ids") != std::string::npos);
  o = {};
  o.ids = {1, 2, 3, 587};
  CHECK(message(o).find("587") != std::string::npos);
  o = {};
  o.ids = {5, 6, 5, 7};
  CHECK(message(o).find("id 5 is given twice") != std::string::npos);
}
