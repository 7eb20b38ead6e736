// Test helper: images of a flat texture (a calibration board, a tag) through a camera with known
// intrinsics and OpenCV distortion, at known poses, with exact ground truth.
//
// Each pixel of a 2x supersampled canvas looks up its exact ray (cv::undistortPoints of the pixel
// centre, pixel centres at integer coordinates, as OpenCV and mrcal put them), the ray meets the
// texture's plane at the pose, the texture is sampled there (bilinear, the texture pre-blurred so it
// is minified without aliasing), the canvas is averaged down 2x, blurred (optics) and given
// Gaussian noise. Used by the calibration unit tests and by rvkit-calib-render (tests/helpers).
#pragma once
#include <cmath>
#include <random>
#include <vector>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/calibration/board.hpp"
#include "rvkit/vision/calibration.hpp"

namespace calib_render {

struct Camera {
  cv::Size size{640, 480};
  cv::Matx33d K{600, 0, 322.5, 0, 605, 236, 0, 0, 1};
  std::vector<double> dist{-0.12, 0.08, 0.001, -0.0005, -0.01};  // k1 k2 p1 p2 k3 (or OpenCV's 8)

  rvkit::vision::CameraCalibration calibration() const {
    rvkit::vision::CameraCalibration c;
    c.K = K;
    c.dist = dist;
    c.width = size.width;
    c.height = size.height;
    c.source = "synthetic";
    return c;
  }
};

struct Renderer {
  Camera cam;
  double px_per_m = 2500;
  double noise_sigma = 2.0;  // grey levels
  double blur_sigma = 0.6;   // px, optics
  cv::Mat texture;  // CV_8UC1, texel (u, v) is the plane's square [u, u + 1) x [v, v + 1) / px_per_m
  cv::Mat rays;     // CV_64FC2, 2x supersampled: the normalised ray of each subpixel

  // A board drawn at px_per_m.
  Renderer(const rvkit::calibration::Board& b, const Camera& c = Camera{}, double texels_per_m = 2500)
      : Renderer(b.draw(texels_per_m, 0), texels_per_m, c) {}

  // Any texture: `tex` at `texels_per_m`.
  Renderer(const cv::Mat& tex, double texels_per_m, const Camera& c) : cam(c), px_per_m(texels_per_m) {
    set_texture(tex);
    std::vector<cv::Point2d> px;
    for (int v = 0; v < 2 * cam.size.height; ++v)
      for (int u = 0; u < 2 * cam.size.width; ++u) px.emplace_back((u + 0.5) / 2 - 0.5, (v + 0.5) / 2 - 0.5);
    std::vector<cv::Point2d> out;
    cv::undistortPoints(px, out, cam.K, cam.dist, cv::noArray(), cv::noArray(),
                        cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 40, 1e-10));
    rays = cv::Mat(out, true).reshape(2, 2 * cam.size.height);
  }

  // Another texture at the same px_per_m (the rays are kept: they are the costly part).
  void set_texture(const cv::Mat& tex) {
    cv::GaussianBlur(tex, texture, cv::Size(0, 0), 1.0);  // the texture is minified: no aliasing
  }

  // The image of the texture at pose (R, t): camera from plane, metres. The noise is OpenCV's
  // (cv::theRNG), seeded by `seed`.
  cv::Mat render(const cv::Matx33d& R, const cv::Vec3d& t, uint64_t seed = 1) const {
    cv::Matx33d H(R(0, 0), R(0, 1), t[0], R(1, 0), R(1, 1), t[1], R(2, 0), R(2, 1), t[2]);
    // Texel i covers the plane's [i, i + 1) / px_per_m: its centre, at integer coordinate i for
    // remap, is the plane's point (i + 0.5) / px_per_m, so that the texture's edges and the board's
    // corners (which OpenCV draws on texel edges) fall where their object points say.
    cv::Matx33d S(px_per_m, 0, -0.5, 0, px_per_m, -0.5, 0, 0, 1);
    cv::Matx33d M = S * H.inv();  // normalised ray -> texel
    cv::Mat map;
    cv::perspectiveTransform(rays, map, cv::Mat(M));
    cv::Mat map32;
    map.convertTo(map32, CV_32FC2);
    cv::Mat big, img;
    cv::remap(texture, big, map32, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(128));
    cv::resize(big, img, cam.size, 0, 0, cv::INTER_AREA);
    if (blur_sigma > 0) cv::GaussianBlur(img, img, cv::Size(0, 0), blur_sigma);
    cv::Mat noise(cam.size, CV_16S);
    cv::RNG rng(seed);
    rng.fill(noise, cv::RNG::NORMAL, 0, noise_sigma);
    cv::Mat out;
    img.convertTo(out, CV_16S);
    out += noise;
    out.convertTo(out, CV_8U);
    return out;
  }
};

// A random pose with the board's centre on a random pixel, 0.45..1.3 m away (scaled by `scale` for
// a bigger board or image), turned up to 50 deg about x and y and 20 deg about z.
inline void random_pose(const Camera& cam, const rvkit::calibration::BoardSpec& s, std::mt19937& rng, cv::Matx33d& R,
                        cv::Vec3d& t, double scale = 1.0) {
  std::uniform_real_distribution<double> U(0, 1);
  double u = cam.size.width * (0.1 + 0.8 * U(rng)), v = cam.size.height * (0.1 + 0.8 * U(rng));
  double d = (0.45 + 0.85 * U(rng)) * scale;
  cv::Vec3d ray((u - cam.K(0, 2)) / cam.K(0, 0), (v - cam.K(1, 2)) / cam.K(1, 1), 1);
  cv::Vec3d centre = ray * (d / cv::norm(ray));
  const double deg = M_PI / 180;
  cv::Vec3d rv((U(rng) * 100 - 50) * deg, (U(rng) * 100 - 50) * deg, (U(rng) * 40 - 20) * deg);
  cv::Mat Rm;
  cv::Rodrigues(rv, Rm);
  R = cv::Matx33d(Rm);
  cv::Vec3d board_centre(s.cols * s.square_m / 2, s.rows * s.square_m / 2, 0);
  t = centre - R * board_centre;
}

}  // namespace calib_render
