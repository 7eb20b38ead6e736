// detect's fine pass (rvkit/vision/small_tag_regions.hpp): small tags that a decimate-2 search misses,
// found by a decimate-1 search of the sharpened regions the decimated image points at. On camera-like
// renders (area-sampled, blurred, noisy, JPEG, over clutter) it must find more than plain decimate 1
// finds (measured: 80 of 96 small tags, where decimate 1 finds 52, decimate 2 alone 32, the regions
// searched unsharpened 50), never a tag that is not there, and look at a bounded part of the image; a
// uniform dark square is no region.
#include "test_util.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "rvkit/capture/test_pattern_camera.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/small_tag_regions.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

struct Recall {
  int found = 0, wrong = 0;
};

// Tags found among those drawn, and detections that are none of them (an id not drawn, or a drawn
// id whose centre is a quarter of a side or more from the drawn tag's).
Recall recall(const std::vector<TagDetection>& dets, const std::vector<TagTruth>& truth) {
  Recall r;
  std::set<int> seen;
  for (const auto& d : dets) {
    const auto t = std::find_if(truth.begin(), truth.end(), [&](const TagTruth& t) { return t.id == d.id; });
    cv::Point2d centre(0, 0);
    if (t != truth.end())
      for (const auto& c : t->corners) centre += cv::Point2d(c[0] - 0.5, c[1] - 0.5) / 4;  // OpenCV's pixel centres
    if (t == truth.end() || cv::norm(centre - d.center) > mean_side(d.corners) / 4) ++r.wrong;
    else if (seen.insert(d.id).second) ++r.found;
  }
  return r;
}

bool contains(const std::vector<cv::Rect>& regions, cv::Point2d p) {
  return std::any_of(regions.begin(), regions.end(), [&](const cv::Rect& r) { return r.contains(cv::Point(p)); });
}

}  // namespace

TEST_CASE("fine pass: small tags on camera-like renders are found at decimate 2 as at decimate 1") {
  AprilTagOptions d2;
  d2.threads = 1;
  AprilTagOptions coarse = d2;
  coarse.fine_pass = false;
  AprilTagOptions d1 = d2;
  d1.decimate = 1;
  AprilTagOptions unsharpened = d2;
  unsharpened.fine_sharpen = 0;
  AprilTagDetector fine_det(d2), coarse_det(coarse), d1_det(d1), unsharpened_det(unsharpened);
  Recall fine, before, full, plain_regions;
  int drawn = 0;
  for (int s = 0; s < 8; s++) {
    // 12 tags whose black squares are 14 to 24 px: too small for most decimate-2 searches.
    CameraScene sc = random_tag_scene(1280, 720, 70, 12, 14, 24, uint64_t(700 + s));
    std::vector<TagTruth> truth;
    cv::Mat img = render_camera_scene(sc, CameraOptics{}, &truth);
    drawn += int(truth.size());
    auto add = [&](Recall& sum, const std::vector<TagDetection>& dets) {
      Recall r = recall(dets, truth);
      sum.found += r.found, sum.wrong += r.wrong;
    };
    add(fine, fine_det.detect(img));
    add(before, coarse_det.detect(img));
    add(full, d1_det.detect(img));
    add(plain_regions, unsharpened_det.detect(img));
  }
  MESSAGE("small tags found of " << drawn << ": decimate 2 " << before.found << ", with the fine pass " << fine.found
                                 << ", decimate 1 " << full.found << ", the regions unsharpened " << plain_regions.found
                                 << "; regions searched " << fine_det.fine_pass_counts().regions);
  CHECK(fine.wrong == 0);
  CHECK(plain_regions.wrong == 0);
  CHECK(full.found > before.found + drawn / 10);  // the scenes do show what decimate 2 loses
  CHECK(plain_regions.found >= full.found - drawn / 16);  // the regions hold nearly all of it (50 of 52)
  CHECK(fine.found > full.found + drawn / 10);  // and sharpened they give more than decimate 1 (80 of 96)
  CHECK(fine_det.fine_pass_counts().found == uint64_t(fine.found - before.found));
  CHECK(coarse_det.fine_pass_counts().regions == 0);
}

TEST_CASE("small_tag_regions: a small tag is a region, a uniform dark square of its size is not") {
  CameraScene sc = random_tag_scene(640, 480, 70, 1, 18, 18, 11);
  std::vector<TagTruth> truth;
  cv::Mat img = render_camera_scene(sc, CameraOptics{}, &truth);
  REQUIRE(truth.size() == 1);
  cv::Point2d tag(0, 0);
  for (const auto& c : truth[0].corners) tag += cv::Point2d(c[0], c[1]) / 4;
  // The square in the quadrant opposite the tag, on a light patch as a tag's white border would be
  // (with the camera's noise), the patch large enough that no clutter's region reaches the square.
  const cv::Point2d square(tag.x < 320 ? 480 : 160, tag.y < 240 ? 360 : 120);
  cv::Mat patch(img.size(), CV_8UC1, cv::Scalar(200));
  cv::rectangle(patch, cv::Rect(int(square.x) - 9, int(square.y) - 9, 18, 18), cv::Scalar(30), cv::FILLED);
  cv::Mat noise(img.size(), CV_8UC1);
  cv::randu(noise, 0, 5);
  patch += noise;
  patch(cv::Rect(int(square.x) - 60, int(square.y) - 60, 120, 120)).copyTo(img(cv::Rect(int(square.x) - 60, int(square.y) - 60, 120, 120)));
  const auto regions = small_tag_regions(img, 2, {});
  CHECK(contains(regions, tag));
  CHECK_FALSE(contains(regions, square));
  // Found already: no region for it.
  TagDetection known;
  for (size_t k = 0; k < 4; k++) known.corners[k] = {truth[0].corners[k][0], truth[0].corners[k][1]};
  known.center = tag;
  CHECK_FALSE(contains(small_tag_regions(img, 2, {known}), tag));
  // Decimate 1 (or nearly) is a full-resolution search already.
  CHECK(small_tag_regions(img, 1, {}).empty());
  CHECK(small_tag_regions(img, 1.4, {}).empty());
}

TEST_CASE("small_tag_regions: a small tag on a dark or a mid-grey wall is a region (its white border's ring)") {
  // On a dark wall a tag's square is no darker than the mean around it; on a mid-grey one its dark
  // blob joins the wall's where the blurred border is thin. Both show as a light ring, the border.
  for (const int wall : {25, 95}) {
    for (const uint64_t seed : {3, 4, 5}) {
      CAPTURE(wall);
      CAPTURE(seed);
      CameraScene sc = random_tag_scene(640, 480, 70, 1, 16, 16, seed);
      std::vector<TagTruth> truth;
      cv::Mat img = render_camera_scene(sc, CameraOptics{}, &truth);
      REQUIRE(truth.size() == 1);
      cv::Point2d tag(0, 0);
      for (const auto& c : truth[0].corners) tag += cv::Point2d(c[0] - 0.5, c[1] - 0.5) / 4;
      // Everything but the tag's card (its square and two white modules around it: 12 of 8) is wall.
      std::vector<cv::Point> card;
      for (const auto& c : truth[0].corners)
        card.emplace_back(tag + (cv::Point2d(c[0] - 0.5, c[1] - 0.5) - tag) * 1.5 * 0.98);
      cv::Mat keep(img.size(), CV_8UC1, cv::Scalar(0)), wall_img(img.size(), CV_8UC1);
      cv::fillConvexPoly(keep, card, cv::Scalar(255));
      cv::randn(wall_img, wall, 2);
      wall_img.copyTo(img, ~keep);
      const auto regions = small_tag_regions(img, 2, {});
      CHECK(contains(regions, tag));
      AprilTagOptions o;
      o.threads = 1;
      const Recall r = recall(AprilTagDetector(o).detect(img), truth);
      CHECK(r.found == 1);
      CHECK(r.wrong == 0);
    }
  }
}

TEST_CASE("small_tag_regions: on clutter the regions are bounded in number and area, and inside the image") {
  cv::Mat blocks(90, 160, CV_8UC1), img;
  cv::randu(blocks, 0, 256);
  cv::resize(blocks, img, cv::Size(1280, 720), 0, 0, cv::INTER_NEAREST);  // 8 px squares everywhere
  cv::Mat noise(img.size(), CV_8UC1);
  cv::randu(noise, 0, 40);
  img += noise;  // texture inside each square
  SmallTagRegionOptions o;
  o.max_regions = 10;
  o.max_area_share = 0.1;
  const auto regions = small_tag_regions(img, 2, {}, o);
  CHECK(regions.size() <= 10);
  double area = 0;
  for (const auto& r : regions) {
    area += r.area();
    CHECK((r & cv::Rect(0, 0, img.cols, img.rows)) == r);
  }
  CHECK(area <= 0.1 * img.cols * img.rows);
  // A tiny image: nothing, and no crash.
  CHECK(small_tag_regions(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), 2, {}).empty());
}

TEST_CASE("corner refinement aligns tags from 12 px (1.5 px a cell), and the fine pass's sharpening is bounded") {
  AprilTagOptions o;  // the fine pass finds such tags (decimate 1 alone finds few of them)
  o.threads = 1;
  AprilTagDetector det(o);
  int refined = 0, tried = 0;
  for (int s = 0; s < 6; s++) {
    CameraScene sc = random_tag_scene(640, 480, 70, 6, 13, 16, uint64_t(900 + s));
    cv::Mat img = render_camera_scene(sc, CameraOptics{});
    for (TagDetection d : det.detect(img)) {
      if (mean_side(d.corners) >= 16) continue;  // below 16 px was never refined before
      ++tried;
      refined += det.refine_corners(img, d);
    }
  }
  MESSAGE(refined << " of " << tried << " tags of 12-16 px refined");
  REQUIRE(tried >= 3);
  CHECK(refined >= tried - 1);
  for (double bad : {-0.5, 4.5}) {
    AprilTagOptions b;
    b.fine_sharpen = bad;
    CHECK_THROWS_AS(AprilTagDetector{b}, OptionError);
  }
}
