// rvkit: camera-like rendering of AprilTags with exact ground truth (`cap --test-pattern --optics camera`).
//
// The sharp test pattern (test_pattern.hpp) draws each tag as a bitmap warped by its homography with a
// ~1 px bilinear edge: exactly the model a template-matching corner refinement assumes, so it cannot
// show that refinement's bias on real cameras. This renderer models how a camera forms an image
// instead, in this order:
//   1. area integration: each tag card is drawn (nearest texel, so edges are exact) on a canvas
//      `supersample` times finer in each direction and box-averaged down, so every pixel holds the
//      fraction of its area each surface covers (exact to 1/supersample px along an edge);
//   2. optics: a Gaussian blur of `blur` px (sigma), in linear grey levels;
//   3. sensor noise: Gaussian, `noise` grey levels (sigma), then rounding to 8 bits;
//   4. compression: a JPEG round trip at `jpeg_quality` (0: none);
// over a cluttered background (random shapes of every contrast), so edges and quads appear that are
// not tags. With CameraScene::dist, lens distortion (OpenCV's model: k1, k2, p1, p2[, k3]) comes
// between 1 and 2, as in a camera: the pinhole image is resampled (bilinear) where the lens bends each
// pixel's ray, and the truth corners are the pinhole corners moved by the same distortion. Straight tag
// edges then curve, as they do through a real lens. Without dist the pinhole camera is exact.
//
// Coordinates are libapriltag's, as in TestPattern: pixel (i, j) covers [i, i+1) x [j, j+1) (its
// centre is (i + 0.5, j + 0.5)); subtract 0.5 for OpenCV's and rvkit's detections (pixel centres at
// integers). Tag poses use TagTruth's frames (camera: OpenCV x right, y down, z forward; tag: x right,
// y down as printed, z into the tag).
//
// Deterministic: the same scene, optics and seed give the same pixels (on one machine and build).
// Thread-safe: the functions keep no state.
#pragma once
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/capture/test_pattern.hpp"

namespace rvkit {

// CameraOptics (the options of steps 1-4) and validate() are declared in test_pattern.hpp.

// One tag to draw: pose and size as in TagTruth (corners are filled in by the renderer), with its ink
// and paper grey levels. The card is 12 modules wide: the 8-module black square, libapriltag's white
// module around it and one more white module.
struct SceneTag {
  TagTruth pose;
  uint8_t black = 30, white = 220;
};

// The camera and what it sees. K in libapriltag's pixel convention (see above).
struct CameraScene {
  int width = 640, height = 480;  // 16..8192 each
  cv::Matx33d K;
  std::vector<SceneTag> tags;
  uint64_t seed = 1;              // background clutter and noise
  std::vector<double> dist;       // lens distortion, OpenCV's k1, k2, p1, p2[, k3] (empty: none)
};

// A pinhole pixel (libapriltag's convention) moved as `dist` bends it through the lens of K.
cv::Point2d distort_pixel(const cv::Point2d& p, const cv::Matx33d& K, const std::vector<double>& dist);

// The lens of a camera (K in libapriltag's pixel convention, OpenCV's k1, k2, p1, p2[, k3]) as a map
// from the pinhole canvas to the distorted image of `size`: computed once (the inverse of the lens at
// every pixel, iterated to convergence: ~0.1 s at 1280x720), then bend() is one bilinear remap. Throws
// rvkit::Error for a coefficient count other than 4 or 5. Thread-safe once built.
class LensMap {
 public:
  LensMap(const cv::Matx33d& K, std::vector<double> dist, cv::Size size);
  cv::Mat bend(const cv::Mat& canvas) const;           // any type remap takes (CV_32FC1, CV_32FC3, ...)
  cv::Point2d distort(const cv::Point2d& p) const { return distort_pixel(p, K_, dist_); }
  void distort(TagTruth& t) const;                     // its corners

 private:
  cv::Matx33d K_;
  std::vector<double> dist_;
  cv::Mat mapx_, mapy_;
};

// A scene of `tags` tag36h11 tags (distinct ids from the seed) of `tag_size` m, one per cell of a grid,
// each facing the camera within 40 degrees at any roll, at the distance that makes its black square's
// edge a size drawn uniformly between `min_side` and `max_side` px (log-uniform). A pinhole camera of
// `hfov_deg` with its principal point at the image centre. For accuracy tests by tag size.
CameraScene random_tag_scene(int width, int height, double hfov_deg, int tags, double min_side, double max_side,
                             uint64_t seed, double tag_size = geometry::kDefaultTagSize);

// Composites the tags (far to near) by area coverage onto `canvas` (CV_32FC1 or CV_32FC3, grey
// levels 0..255, modified in place), skipping tags whose card is not wholly in front of the camera or is seen from behind.
// Returns the truth of every tag drawn (corners projected), in the order given.
std::vector<TagTruth> composite_tags(cv::Mat& canvas, const cv::Matx33d& K, const std::vector<SceneTag>& tags,
                                     int supersample);

// Steps 2-4 above on a float canvas (CV_32FC1 or CV_32FC3); returns the 8-bit image (CV_8UC1 or CV_8UC3).
cv::Mat apply_optics(const cv::Mat& canvas, const CameraOptics& o, uint64_t seed);

// A random cluttered background, grey levels 0..255 (CV_32FC1): smooth shading, rectangles, discs,
// lines and a fine texture, all from `seed`.
cv::Mat clutter_background(int width, int height, uint64_t seed);

// The whole scene as a camera would see it: clutter, tags, optics. Grey (CV_8UC1). Fills `truth` with
// the tags drawn (in the order given; tags not wholly in front of the camera or seen from behind are left out).
cv::Mat render_camera_scene(const CameraScene& scene, const CameraOptics& optics, std::vector<TagTruth>* truth = nullptr);

}  // namespace rvkit
