// rvkit: a deterministic synthetic camera scene with exact AprilTag ground truth.
//
// With `camera` set (`cap --test-pattern --optics camera`) the same scene and truth are rendered as a
// camera forms an image instead (test_pattern_camera.hpp: clutter, area coverage, blur, noise, JPEG).
//
// This is what `cap --test-pattern` emits and what detect tests measure against: a virtual pinhole
// camera (no distortion) looking at a lightly textured wall with a few tag36h11 tags on white cards
// at known 3-D poses 1-4 m away, an orange game-piece-like blob rolling along the bottom, and the
// frame counter plus the capture time (UTC) in the top-left corner. Everything moves smoothly and
// deterministically with the frame index; the same options and index always give the same pixels
// (on the same machine and build: libm and OpenCV's SIMD paths may differ elsewhere).
//
// Layout: the tags share a grid of cells between the caption and the floor, one tag per cell, so they
// never overlap or leave the view whatever their motion. Each is 1-4 m away; nearer than 4 m when a
// tag that far would be under 16 px in a small frame; further when many tags share a small frame.
// Tags face the camera within ~45 degrees, at any in-plane rotation. libapriltag (decimate 1,
// refine_edges on) finds every tag of the default scene at 320x240 and up, within ~0.3 px of the
// truth corners.
//
// Pixel coordinates (TagTruth::corners, BlobTruth::center, camera_matrix()) use libapriltag's
// convention: pixel (i, j) covers [i, i+1) x [j, j+1), so its centre is at (i + 0.5, j + 0.5) and the
// image centre is (width/2, height/2). libapriltag's detections and its pose estimate
// (estimate_tag_pose with camera_matrix()) therefore line up with the truth exactly. OpenCV's
// drawing and remapping functions put pixel centres at integers: subtract 0.5 before drawing.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/geometry/tag_size.hpp"

namespace rvkit {

// How `--optics camera` forms the image (test_pattern_camera.hpp): area integration on a canvas
// `supersample` times finer, Gaussian blur, sensor noise, JPEG.
struct CameraOptics {
  int supersample = 8;     // canvas pixels per image pixel along each axis, 1..16 (a tag needing over 4 Mpx
                           // of canvas uses fewer)
  double blur = 0.8;       // optics: Gaussian sigma in pixels, 0..5 (0: none)
  double noise = 2.0;      // sensor noise sigma in grey levels, 0..20
  int jpeg_quality = 85;   // 0 (no JPEG) or 1..100
};

// Throws rvkit::Error naming the field when an option is out of range.
void validate(const CameraOptics& o);

struct TestPatternOptions {
  int width = 640, height = 480;  // 32..8192 each
  uint64_t seed = 1;              // different seeds give different (but each deterministic) scenes
  int tags = 4;                   // how many 36h11 tags are in the scene, 0..kMaxTestPatternTags
  double tag_size = geometry::kDefaultTagSize;  // metres, black-square edge
  double hfov_deg = 70;           // horizontal field of view of the virtual pinhole camera, 10..160
  std::vector<int> ids;           // the tag ids to use (distinct, 0..586, exactly `tags` of them);
                                  // empty: `tags` distinct ids chosen by the seed
  double noise = 1.5;             // standard deviation of the sensor noise in grey levels, 0..20 (0: none)
  bool camera = false;            // true: render like a camera (`--optics camera`): cluttered background,
                                  // tags by area coverage, then `optics` (its noise replaces `noise`)
  CameraOptics optics;
  std::vector<double> lens;       // with `camera`: lens distortion, OpenCV's k1, k2, p1, p2[, k3] (empty:
                                  // a pinhole); the truth's corners are bent alike (test_pattern_camera.hpp)
};

constexpr int kMaxTestPatternTags = 32;

// Exact ground truth of one rendered tag.
struct TagTruth {
  int id;
  double size;              // metres (black-square edge)
  std::array<double, 9> R;  // rotation camera<-tag, row-major. Camera frame as OpenCV (x right,
                            // y down, z forward); tag frame as libapriltag's pose estimate: origin at
                            // the tag centre, x right and y down as the tag image is printed, z into
                            // the tag (away from a camera that sees its face). R = identity is a tag
                            // facing the camera, upright.
  std::array<double, 3> t;  // tag centre in the camera frame, metres
  std::array<std::array<double, 2>, 4> corners;  // pixel corners in libapriltag's detection order
                                                 // (apriltag_detection_t.p): tag-frame points
                                                 // (-s,+s), (+s,+s), (+s,-s), (-s,-s), s = size/2,
                                                 // i.e. bottom-left, bottom-right, top-right, top-left
                                                 // of an upright tag
};

// The coloured blob (a filled ellipse with a lighter highlight inside it; axis-aligned).
struct BlobTruth {
  std::array<double, 2> center;  // pixels
  std::array<double, 2> axes;    // semi-axes (x, y) in pixels
  std::array<uint8_t, 3> bgr;    // its main colour
};

// The renderer. Not thread-safe (it caches warped tag textures); use one per thread.
class TestPattern {
 public:
  // Throws rvkit::Error naming the problem when an option is out of range.
  explicit TestPattern(const TestPatternOptions&);
  ~TestPattern();
  TestPattern(TestPattern&&) noexcept;
  TestPattern& operator=(TestPattern&&) noexcept;
  TestPattern(const TestPattern&) = delete;
  TestPattern& operator=(const TestPattern&) = delete;

  // Renders frame `index` into a BGR image (CV_8UC3, width x height). Same options + index (+ same
  // t_us) => the same pixels. `t_us` (µs since epoch) is drawn as HH:MM:SS.mmm UTC with the frame
  // counter. Fills `truth` (one entry per tag, in a fixed order) if non-null.
  cv::Mat render(uint64_t index, int64_t t_us, std::vector<TagTruth>* truth = nullptr);
  // The same, drawing into `out` (reallocated only when it is not already CV_8UC3 of the right size).
  void render(uint64_t index, int64_t t_us, cv::Mat& out, std::vector<TagTruth>* truth = nullptr);

  // Ground truth of frame `index` without rendering it.
  std::vector<TagTruth> tags(uint64_t index) const;
  BlobTruth blob(uint64_t index) const;

  // fx = fy from hfov, principal point at the image centre (width/2, height/2), no distortion.
  cv::Matx33d camera_matrix() const;
  const TestPatternOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rvkit
