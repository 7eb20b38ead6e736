// Camera-like rendering (see the header): area-coverage compositing on a supersampled canvas per tag,
// then blur, noise, 8 bits and JPEG.
#include "rvkit/capture/test_pattern_camera.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>

#include <apriltag/apriltag.h>
#include <apriltag/common/image_u8.h>
#include <apriltag/tag36h11.h>
#include <fmt/format.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"

namespace rvkit {

namespace {

constexpr int kSceneCodeModules = 10;  // apriltag_to_image() of 36h11: the 8-module black square + 1 white
constexpr int kSceneCardModules = 12;  // one more white module on every side
constexpr double kMaxCanvasPixels = 4e6;  // per tag: bounds memory for tags that fill the frame

struct SceneFamilyDeleter {
  void operator()(apriltag_family_t* f) const { tag36h11_destroy(f); }
};

// The 12x12 card of a tag (float grey levels), libapriltag's own image of it inside.
cv::Mat card(apriltag_family_t* fam, const SceneTag& tag) {
  if (tag.pose.id < 0 || uint32_t(tag.pose.id) >= fam->ncodes)
    throw Error(fmt::format("camera scene: tag id {} is not a tag36h11 id (0..{})", tag.pose.id, fam->ncodes - 1));
  image_u8_t* im = apriltag_to_image(fam, tag.pose.id);
  cv::Mat out(kSceneCardModules, kSceneCardModules, CV_32FC1, cv::Scalar(tag.white));
  for (int y = 0; y < kSceneCodeModules; y++)
    for (int x = 0; x < kSceneCodeModules; x++)
      out.at<float>(y + 1, x + 1) = im->buf[y * im->stride + x] ? tag.white : tag.black;
  image_u8_destroy(im);
  return out;
}

cv::Matx33d rotation(const TagTruth& t) {
  return {t.R[0], t.R[1], t.R[2], t.R[3], t.R[4], t.R[5], t.R[6], t.R[7], t.R[8]};
}

}  // namespace

void validate(const CameraOptics& o) {
  if (o.supersample < 1 || o.supersample > 16)
    throw Error(fmt::format("camera optics: supersample {} is out of range (1..16)", o.supersample));
  if (!(o.blur >= 0 && o.blur <= 5)) throw Error(fmt::format("camera optics: blur {} px is out of range (0..5)", o.blur));
  if (!(o.noise >= 0 && o.noise <= 20)) throw Error(fmt::format("camera optics: noise {} is out of range (0..20)", o.noise));
  if (o.jpeg_quality < 0 || o.jpeg_quality > 100)
    throw Error(fmt::format("camera optics: JPEG quality {} is out of range (0 for none, 1..100)", o.jpeg_quality));
}

std::vector<TagTruth> composite_tags(cv::Mat& canvas, const cv::Matx33d& K, const std::vector<SceneTag>& tags,
                                     int supersample) {
  CV_Assert(canvas.depth() == CV_32F && (canvas.channels() == 1 || canvas.channels() == 3));
  std::unique_ptr<apriltag_family_t, SceneFamilyDeleter> fam(tag36h11_create());
  if (!fam) throw Error("cannot create the tag36h11 family");
  auto project = [&](const cv::Vec3d& p) {
    cv::Vec3d q = K * p;
    return cv::Point2d(q[0] / q[2], q[1] / q[2]);
  };
  // Far to near, so nearer cards cover farther ones.
  std::vector<size_t> order(tags.size());
  std::iota(order.begin(), order.end(), size_t(0));
  auto dist = [&](size_t i) { return std::hypot(tags[i].pose.t[0], tags[i].pose.t[1], tags[i].pose.t[2]); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dist(a) > dist(b); });

  std::vector<bool> drawn(tags.size(), false);
  std::vector<TagTruth> truth(tags.size());
  cv::Mat hi, hi_alpha, lo, lo_alpha, ones(kSceneCardModules, kSceneCardModules, CV_32FC1, cv::Scalar(1));
  for (size_t i : order) {
    const SceneTag& tag = tags[i];
    const cv::Matx33d R = rotation(tag.pose);
    const cv::Vec3d t(tag.pose.t[0], tag.pose.t[1], tag.pose.t[2]);
    const double m = tag.pose.size / 8, c = kSceneCardModules / 2.0 * m, s = tag.pose.size / 2;
    const double sq[4][2] = {{-1, 1}, {1, 1}, {1, -1}, {-1, -1}};
    bool in_front = true;
    double x_min = 1e18, x_max = -1e18, y_min = 1e18, y_max = -1e18;
    for (const auto& q : sq) {
      cv::Vec3d p = R * cv::Vec3d(q[0] * c, q[1] * c, 0) + t;
      if (!(p[2] > 1e-3)) in_front = false;
      if (!in_front) break;
      cv::Point2d v = project(p);
      x_min = std::min(x_min, v.x), x_max = std::max(x_max, v.x);
      y_min = std::min(y_min, v.y), y_max = std::max(y_max, v.y);
    }
    // A card seen from behind shows no tag: its z axis (into the tag) must point away from the camera.
    if (!in_front || !(R(0, 2) * t[0] + R(1, 2) * t[1] + R(2, 2) * t[2] > 0)) continue;
    TagTruth tt = tag.pose;
    for (int k = 0; k < 4; k++) {
      cv::Point2d v = project(R * cv::Vec3d(sq[k][0] * s, sq[k][1] * s, 0) + t);
      tt.corners[size_t(k)] = {v.x, v.y};
    }
    truth[i] = tt;
    drawn[i] = true;
    const int x0 = int(std::max(0.0, std::floor(std::max(-1e9, x_min)) - 1));
    const int y0 = int(std::max(0.0, std::floor(std::max(-1e9, y_min)) - 1));
    const int x1 = int(std::min(double(canvas.cols), std::floor(std::min(1e9, x_max)) + 2));
    const int y1 = int(std::min(double(canvas.rows), std::floor(std::min(1e9, y_max)) + 2));
    if (x1 <= x0 || y1 <= y0) continue;  // in front but out of view
    const int w = x1 - x0, h = y1 - y0;
    int S = supersample;
    while (S > 1 && double(w) * h * S * S > kMaxCanvasPixels) --S;

    // texel (u, v), centres at integers, card from -0.5 to 11.5 -> tag plane (metres) -> camera ->
    // continuous pixels -> canvas pixels (centres at integers): X = S (x - x0) - 0.5.
    const cv::Matx33d A(m, 0, 0.5 * m - c, 0, m, 0.5 * m - c, 0, 0, 1);
    const cv::Matx33d Rt(R(0, 0), R(0, 1), t[0], R(1, 0), R(1, 1), t[1], R(2, 0), R(2, 1), t[2]);
    const cv::Matx33d T(S, 0, -S * double(x0) - 0.5, 0, S, -S * double(y0) - 0.5, 0, 0, 1);
    const cv::Matx33d H = T * K * Rt * A;
    const cv::Mat tex = card(fam.get(), tag);
    cv::warpPerspective(tex, hi, cv::Mat(H), cv::Size(w * S, h * S), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::warpPerspective(ones, hi_alpha, cv::Mat(H), cv::Size(w * S, h * S), cv::INTER_NEAREST, cv::BORDER_CONSTANT,
                        cv::Scalar(0));
    // An integer factor: INTER_AREA is the exact box average.
    cv::resize(hi, lo, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    cv::resize(hi_alpha, lo_alpha, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    const int ch = canvas.channels();
    for (int y = 0; y < h; y++) {
      const float* g = lo.ptr<float>(y);
      const float* a = lo_alpha.ptr<float>(y);
      float* dst = canvas.ptr<float>(y0 + y) + size_t(x0) * ch;
      for (int x = 0; x < w; x++)
        for (int k = 0; k < ch; k++, dst++) *dst = *dst * (1 - a[x]) + g[x];
    }
  }
  std::vector<TagTruth> out;
  for (size_t i = 0; i < tags.size(); i++)
    if (drawn[i]) out.push_back(truth[i]);
  return out;
}

cv::Mat apply_optics(const cv::Mat& canvas, const CameraOptics& o, uint64_t seed) {
  validate(o);
  CV_Assert(canvas.depth() == CV_32F);
  cv::Mat f;
  if (o.blur > 0)
    cv::GaussianBlur(canvas, f, cv::Size(0, 0), o.blur, o.blur, cv::BORDER_REFLECT);
  else
    f = canvas.clone();
  if (o.noise > 0) {
    cv::Mat n(f.size(), f.type());
    cv::RNG rng(seed * 0x9E3779B97F4A7C15ULL + 0x5eed);
    rng.fill(n, cv::RNG::NORMAL, 0, o.noise);
    f += n;
  }
  cv::Mat out;
  f.convertTo(out, CV_8U);  // rounds and saturates
  if (o.jpeg_quality > 0) {
    std::vector<uint8_t> buf;
    cv::imencode(".jpg", out, buf, {cv::IMWRITE_JPEG_QUALITY, o.jpeg_quality});
    out = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    if (out.empty()) throw Error("camera optics: the JPEG round trip failed");
  }
  return out;
}

cv::Mat clutter_background(int width, int height, uint64_t seed) {
  if (width < 16 || height < 16 || width > 8192 || height > 8192)
    throw Error(fmt::format("camera scene size {}x{} is out of range (16..8192 each)", width, height));
  cv::RNG rng(seed * 0xD1B54A32D192ED03ULL + 0xc1u);
  cv::Mat small(std::max(2, height / 60), std::max(2, width / 60), CV_8UC1);
  rng.fill(small, cv::RNG::UNIFORM, 70, 190);
  cv::Mat img;
  cv::resize(small, img, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
  // Shapes of every contrast and size: edges, corners and dark quads that are not tags.
  const int shapes = std::max(20, width * height / 5000);
  const int big = std::max(width, height) / 6;
  for (int i = 0; i < shapes; i++) {
    cv::Scalar grey(rng.uniform(0, 256));
    cv::Point c(rng.uniform(0, width), rng.uniform(0, height));
    int r = rng.uniform(2, big + 3);
    switch (rng.uniform(0, 4)) {
      case 0: {  // a rotated rectangle
        cv::RotatedRect rr(c, cv::Size2f(float(r), float(rng.uniform(2, big + 3))), float(rng.uniform(0, 180)));
        cv::Point2f v[4];
        rr.points(v);
        std::vector<cv::Point> p(v, v + 4);
        cv::fillConvexPoly(img, p, grey, cv::LINE_AA);
        break;
      }
      case 1:
        cv::circle(img, c, r / 2 + 1, grey, cv::FILLED, cv::LINE_AA);
        break;
      case 2:
        cv::line(img, c, c + cv::Point(rng.uniform(-big, big), rng.uniform(-big, big)), grey, rng.uniform(1, 6), cv::LINE_AA);
        break;
      default:
        cv::rectangle(img, cv::Rect(c.x, c.y, r, rng.uniform(2, big + 3)), grey, rng.uniform(1, 4), cv::LINE_AA);
    }
  }
  cv::Mat out;
  img.convertTo(out, CV_32F);
  cv::Mat texture(height, width, CV_32FC1);
  rng.fill(texture, cv::RNG::NORMAL, 0, 6);
  cv::GaussianBlur(texture, texture, cv::Size(0, 0), 1.2);
  out += texture;
  return out;
}

CameraScene random_tag_scene(int width, int height, double hfov_deg, int tags, double min_side, double max_side,
                             uint64_t seed, double tag_size) {
  if (tags < 0 || tags > 64) throw Error(fmt::format("camera scene: {} tags is out of range (0..64)", tags));
  if (!(min_side >= 4 && max_side >= min_side))
    throw Error(fmt::format("camera scene: tag sides {}..{} px are not a range of at least 4 px", min_side, max_side));
  CameraScene sc;
  sc.width = width;
  sc.height = height;
  sc.seed = seed;
  const double f = (width / 2.0) / std::tan(hfov_deg * CV_PI / 360);
  sc.K = cv::Matx33d(f, 0, width / 2.0, 0, f, height / 2.0, 0, 0, 1);
  cv::RNG rng(seed * 0x2545F4914F6CDD1DULL + 7);
  int cols = 1, rows = 1;
  while (cols * rows < tags) (double(width) / (cols + 1) >= double(height) / (rows + 1) ? cols : rows)++;
  const double cw = double(width) / cols, ch = double(height) / rows;
  std::vector<int> ids;
  while (int(ids.size()) < tags) {
    int id = rng.uniform(0, 587);
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  for (int i = 0; i < tags; i++) {
    // The card's diagonal (12 modules) must fit the cell: that bounds the side.
    const double fit = 0.8 * std::min(cw, ch) / (1.5 * std::sqrt(2.0));
    const double hi = std::min(max_side, fit), lo = std::min(min_side, hi);
    const double side = lo * std::pow(hi / lo, rng.uniform(0.0, 1.0));
    const double u = (i % cols + 0.5 + rng.uniform(-0.05, 0.05)) * cw, v = (i / cols + 0.5 + rng.uniform(-0.05, 0.05)) * ch;
    const double z = f * tag_size / side;
    cv::Vec3d centre((u - width / 2.0) / f * z, (v - height / 2.0) / f * z, z);
    // Yaw and pitch within 40 degrees of facing the camera, any roll.
    const double a = rng.uniform(-0.7, 0.7), b = rng.uniform(-0.7, 0.7), r = rng.uniform(-CV_PI, CV_PI);
    const cv::Matx33d Ry(std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a));
    const cv::Matx33d Rx(1, 0, 0, 0, std::cos(b), -std::sin(b), 0, std::sin(b), std::cos(b));
    const cv::Matx33d Rz(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
    const cv::Matx33d R = Ry * Rx * Rz;
    SceneTag st;
    st.pose.id = ids[size_t(i)];
    st.pose.size = tag_size;
    for (int k = 0; k < 9; k++) st.pose.R[size_t(k)] = R.val[k];
    for (int k = 0; k < 3; k++) st.pose.t[size_t(k)] = centre[k];
    st.black = uint8_t(rng.uniform(15, 50));
    st.white = uint8_t(rng.uniform(180, 240));
    sc.tags.push_back(st);
  }
  return sc;
}

cv::Point2d distort_pixel(const cv::Point2d& p, const cv::Matx33d& K, const std::vector<double>& dist) {
  if (dist.empty()) return p;
  const double x = (p.x - K(0, 2)) / K(0, 0), y = (p.y - K(1, 2)) / K(1, 1);
  const double k1 = dist[0], k2 = dist.size() > 1 ? dist[1] : 0, p1 = dist.size() > 2 ? dist[2] : 0,
               p2 = dist.size() > 3 ? dist[3] : 0, k3 = dist.size() > 4 ? dist[4] : 0;
  const double r2 = x * x + y * y, radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
  const double xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
  const double yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
  return {K(0, 0) * xd + K(0, 2), K(1, 1) * yd + K(1, 2)};
}

LensMap::LensMap(const cv::Matx33d& K, std::vector<double> dist, cv::Size size) : K_(K), dist_(std::move(dist)) {
  if (dist_.size() != 4 && dist_.size() != 5)
    throw Error(fmt::format("lens: {} coefficients (4 or 5: k1, k2, p1, p2[, k3])", dist_.size()));
  for (double d : dist_)
    if (!std::isfinite(d) || std::abs(d) > 10) throw Error(fmt::format("lens: coefficient {} out of range (|k| <= 10)", d));
  // Each pixel of the distorted image looks where the lens bends its ray: the pinhole image there.
  // OpenCV works with pixel centres at integers, K with them at +0.5.
  cv::Matx33d Kcv = K_;
  Kcv(0, 2) -= 0.5;
  Kcv(1, 2) -= 0.5;
  std::vector<cv::Point2f> px, ideal;
  px.reserve(size_t(size.area()));
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) px.emplace_back(float(x), float(y));
  cv::undistortPoints(px, ideal, Kcv, dist_, cv::noArray(), Kcv,
                      cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 50, 1e-7));
  mapx_.create(size, CV_32FC1);
  mapy_.create(size, CV_32FC1);
  for (int y = 0, i = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x, ++i) {
      mapx_.at<float>(y, x) = ideal[size_t(i)].x;
      mapy_.at<float>(y, x) = ideal[size_t(i)].y;
    }
}

cv::Mat LensMap::bend(const cv::Mat& canvas) const {
  cv::Mat bent;
  cv::remap(canvas, bent, mapx_, mapy_, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return bent;
}

void LensMap::distort(TagTruth& t) const {
  for (auto& c : t.corners) {
    cv::Point2d d = distort({c[0], c[1]});
    c = {d.x, d.y};
  }
}

cv::Mat render_camera_scene(const CameraScene& scene, const CameraOptics& optics, std::vector<TagTruth>* truth) {
  validate(optics);
  std::optional<LensMap> lens;
  if (!scene.dist.empty()) lens.emplace(scene.K, scene.dist, cv::Size(scene.width, scene.height));
  cv::Mat canvas = clutter_background(scene.width, scene.height, scene.seed);
  std::vector<TagTruth> drawn = composite_tags(canvas, scene.K, scene.tags, optics.supersample);
  if (lens) {
    canvas = lens->bend(canvas);
    for (TagTruth& t : drawn) lens->distort(t);
  }
  if (truth) *truth = std::move(drawn);
  return apply_optics(canvas, optics, scene.seed);
}

}  // namespace rvkit
