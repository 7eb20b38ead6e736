#include "rvkit/vision/small_tag_regions.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace rvkit::vision {

namespace {

struct Candidate {
  cv::Rect region;  // what is searched
  cv::Rect tag;     // the square and its white border: what a region must hold to stand for this one
  double score;
};

// True if `p` lies in the box of a found tag's corners grown by a quarter of its side.
bool inside_found(cv::Point2d p, const std::vector<TagDetection>& found) {
  for (const auto& t : found) {
    const cv::Rect2d b = corner_box(t.corners);
    const double grow = mean_side(t.corners) / 4;
    if (p.x >= b.x - grow && p.x <= b.x + b.width + grow && p.y >= b.y - grow && p.y <= b.y + b.height + grow)
      return true;
  }
  return false;
}

}  // namespace

std::vector<cv::Rect> small_tag_regions(const cv::Mat& gray, double decimate, const std::vector<TagDetection>& found,
                                        const SmallTagRegionOptions& opt) {
  CV_Assert(gray.type() == CV_8UC1);
  std::vector<cv::Rect> out;
  if (decimate < 1.5 || gray.cols < 16 || gray.rows < 16) return out;
  const double d = decimate;
  cv::Mat small;
  cv::resize(gray, small, cv::Size(), 1 / d, 1 / d, cv::INTER_AREA);
  // Dark against the local mean over about twice the largest square looked for.
  const int block = std::max(7, int(std::lround(opt.max_side / d * 1.5)) | 1);
  // Three ways a tag's square shows: as a dark blob (the square darker than its surround); as a hole
  // in a light ring (its white border, brighter than its surround); and as the light ring's outline
  // (the square is 8 of its 10 cells). The second finds tags the first cannot on a mid-grey wall,
  // where the blurred border breaks and the square's dark blob joins the wall's; the third on a dark
  // wall, where the square is no darker than the mean around it and its white bits split the hole.
  cv::Mat local_mean;  // one local mean for both (OpenCV's adaptiveThreshold would compute it twice)
  cv::boxFilter(small, local_mean, CV_8U, cv::Size(block, block), cv::Point(-1, -1), true,
                cv::BORDER_REPLICATE | cv::BORDER_ISOLATED);
  cv::Mat dark = small <= local_mean - 10, light = small > local_mean + 10;
  std::vector<std::vector<cv::Point>> dark_blobs, light_blobs;
  std::vector<cv::Vec4i> light_tree;
  cv::findContours(dark, dark_blobs, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  cv::findContours(light, light_blobs, light_tree, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
  struct Square {
    cv::Rect2d box;  // full-resolution px
    double fill;     // the contour's share of its bounding box
  };
  std::vector<Square> squares;
  auto add = [&](const std::vector<cv::Point>& c, const cv::Rect& b, double scale) {
    const double fill = std::abs(cv::contourArea(c)) / std::max(1.0, double(b.width) * b.height);
    if (b.width >= 4 && b.height >= 4 && fill < 0.1) return;  // a thin curve or an outline, not a square
    const double w = b.width * d * scale, h = b.height * d * scale;
    const cv::Point2d centre((b.x + b.width / 2.0) * d, (b.y + b.height / 2.0) * d);
    squares.push_back({cv::Rect2d(centre.x - w / 2, centre.y - h / 2, w, h), fill});
  };
  for (const auto& c : dark_blobs) add(c, cv::boundingRect(c), 1.0);
  // Only light rings as thin as a tag's border: a hole in a wide light area is a dark blob (above),
  // and a light blob with no hole is no ring.
  // (Each box once: a wide light area's outline can be long and hold many holes.)
  std::vector<cv::Rect> light_boxes(light_blobs.size());
  for (size_t i = 0; i < light_blobs.size(); i++) light_boxes[i] = cv::boundingRect(light_blobs[i]);
  for (size_t i = 0; i < light_blobs.size(); i++) {
    const int parent = light_tree[i][3];
    if (parent >= 0) {
      const cv::Rect &hole = light_boxes[i], &ring = light_boxes[size_t(parent)];
      if (ring.width <= 1.6 * hole.width + 2 && ring.height <= 1.6 * hole.height + 2) add(light_blobs[i], hole, 1.0);
    } else if (light_tree[i][2] >= 0) {
      add(light_blobs[i], light_boxes[i], 0.8);
    }
  }

  const cv::Rect image(0, 0, gray.cols, gray.rows);
  std::vector<Candidate> cands;
  for (const Square& sq : squares) {
    const double w = sq.box.width, h = sq.box.height, side = std::max(w, h), fill = sq.fill;
    if (side < opt.min_side * 0.7 || side > opt.max_side * 1.2) continue;
    if (side > 4 * std::min(w, h)) continue;  // a tag seen 75 degrees off its axis is still 1:4
    const cv::Point2d centre(sq.box.x + w / 2, sq.box.y + h / 2);
    if (inside_found(centre, found)) continue;
    // The square, its white border and the context libapriltag's thresholding needs (it compares each
    // 4-px tile with its neighbours: with less than about 16 px around the tag, small tags were lost).
    const double half = side / 2 + std::max(16.0, side * 0.5);
    cv::Rect r(int(std::floor(centre.x - half)), int(std::floor(centre.y - half)), int(std::ceil(2 * half)),
               int(std::ceil(2 * half)));
    // On libapriltag's 4-px threshold tiles of the whole image, so that the search in the region
    // thresholds the tag as a whole-image search would.
    const int x1 = r.x + r.width, y1 = r.y + r.height;
    r.x = r.x / 4 * 4, r.y = r.y / 4 * 4;
    r.width = (x1 - r.x + 3) / 4 * 4, r.height = (y1 - r.y + 3) / 4 * 4;
    r &= image;
    if (r.width < 16 || r.height < 16) continue;
    // A tag's square holds its bits: not uniform inside, unlike a dark blob of paint or shadow. Half
    // of them are white, so their spread is about as large as the square's contrast with its
    // surround (a third of it or more after blur, with the surround's clutter); a uniform blob's is the
    // noise's.
    const cv::Rect inner = cv::Rect(int(centre.x - w / 4), int(centre.y - h / 4), std::max(3, int(w / 2)),
                                    std::max(3, int(h / 2))) & image;
    if (inner.area() < 9) continue;
    cv::Scalar mean, sd;
    cv::meanStdDev(gray(inner), mean, sd);
    const double contrast = cv::mean(gray(r))[0] - mean[0];
    if (sd[0] < 6 || sd[0] < 0.3 * contrast) continue;
    const double border = std::max(3.0, side / 4);
    const cv::Rect tag(int(std::floor(centre.x - w / 2 - border)), int(std::floor(centre.y - h / 2 - border)),
                       int(std::ceil(w + 2 * border)), int(std::ceil(h + 2 * border)));
    cands.push_back({r, tag & image, fill});
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });

  // The best first, within the count and area bounds. A candidate whose tag lies inside a region
  // kept already is searched with it; others stay separate even when they overlap (the union of two
  // boxes can be much larger than both, and a tag found twice is reported once). The same tag often
  // shows twice, as a dark blob and as a hole in its border.
  const double budget = opt.max_area_share * image.area();
  double area = 0;
  for (const auto& c : cands) {
    if (int(out.size()) >= opt.max_regions) break;
    const double own = c.region.area();
    if (std::any_of(out.begin(), out.end(), [&](const cv::Rect& o) { return (o & c.tag) == c.tag; }))
      continue;
    if (area + own > budget) continue;
    area += own;
    out.push_back(c.region);
  }
  return out;
}

}  // namespace rvkit::vision
