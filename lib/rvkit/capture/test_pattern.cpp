// The synthetic test-pattern scene: layout, motion, ground truth and a fast renderer.
//
// Rendering per frame: copy a precomputed background, draw the blob, then for each tag warp a
// cached texture of its card (libapriltag's own tag image plus a white quiet border) into just
// its bounding box and alpha-blend it, add precomputed noise at a per-frame offset, draw the text.
// Tag edges are anti-aliased by choosing, per tag and frame, a texture resolution (texels per
// module) close to the on-screen module size and sampling it bilinearly: each edge becomes a
// ~1 px linear ramp centred exactly on the true edge, so detected corners land on the truth.
#include "rvkit/capture/test_pattern.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>

#include <apriltag/apriltag.h>
#include <apriltag/common/image_u8.h>
#include <apriltag/tag36h11.h>
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/capture/test_pattern_camera.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;
constexpr int kCodeModules = 10;  // apriltag_to_image() of 36h11: 8 black-square modules + 1 white
constexpr int kCardModules = 12;  // our card: one more white module on every side
constexpr int kMaxTexelsPerModule = 64;
constexpr int kNoiseRows = 127;   // the noise tile's height; rows are reused with a per-frame offset
constexpr int kNoisePad = 64;     // extra noise bytes per tile row for the per-frame column offset

// SplitMix64: small, fast, and the same on every platform (unlike std:: distributions).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

uint64_t hash2(uint64_t a, uint64_t b) {
  Rng r{a * 0xD1B54A32D192ED03ULL ^ b};
  r.next();
  return r.next();
}

// A smooth periodic motion: amp * sin(2 pi i / period + phase), exact for any index.
struct Osc {
  double amp = 0;
  uint32_t period = 1;
  double phase = 0;
  double at(uint64_t i) const { return amp * std::sin(2 * kPi * double(i % period) / period + phase); }
  static Osc random(Rng& r, double amp, uint32_t pmin, uint32_t pmax) {
    Osc o;
    o.amp = amp;
    o.period = pmin + r.below(pmax - pmin + 1);
    o.phase = r.range(0, 2 * kPi);
    return o;
  }
};

cv::Matx33d rot_x(double a) {
  double c = std::cos(a), s = std::sin(a);
  return {1, 0, 0, 0, c, -s, 0, s, c};
}
cv::Matx33d rot_y(double a) {
  double c = std::cos(a), s = std::sin(a);
  return {c, 0, s, 0, 1, 0, -s, 0, c};
}
cv::Matx33d rot_z(double a) {
  double c = std::cos(a), s = std::sin(a);
  return {c, -s, 0, s, c, 0, 0, 0, 1};
}

// One tag's place in the scene and how it moves.
struct TagPlan {
  int id = 0;
  cv::Vec3d centre;            // base position of the tag centre, camera frame
  cv::Vec3d dir, across, down; // unit ray to the base centre and two directions perpendicular to it
  Osc mx, my, mz;              // translation wobble (metres) across, down and along the ray
  cv::Matx33d face;            // turns the tag's z axis onto the ray through its base centre
  double yaw = 0, pitch = 0, roll = 0;  // base attitude relative to facing the camera
  Osc myaw, mpitch, mroll;     // attitude wobble (radians)
  uint8_t black = 30, white = 225;
};

struct BlobPlan {
  double x_lo = 0, x_hi = 0, y = 0, rx = 0, ry = 0, bob = 0;
  uint32_t period = 1, bob_period = 1;
  double phase = 0, bob_phase = 0;
};

struct Pose {
  cv::Matx33d R;
  cv::Vec3d t;
};

// Frees libapriltag objects on every path.
struct FamilyDeleter {
  void operator()(apriltag_family_t* f) const { tag36h11_destroy(f); }
};
struct ImageDeleter {
  void operator()(image_u8_t* im) const { image_u8_destroy(im); }
};

std::string clock_text(uint64_t index, int64_t t_us) {
  constexpr int64_t kDay = 86400LL * 1000000;
  int64_t us = ((t_us % kDay) + kDay) % kDay;
  int64_t ms = us / 1000;
  return fmt::format("#{} {:02d}:{:02d}:{:02d}.{:03d}Z", index, ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                     ms % 1000);
}

}  // namespace

struct TestPattern::Impl {
  TestPatternOptions opt;
  double f = 0, cx = 0, cy = 0;
  std::vector<TagPlan> plans;
  std::vector<cv::Mat> codes;           // per tag: 12x12 grey card (black/white levels), CV_8UC1
  std::map<std::pair<int, int>, cv::Mat> textures;  // (tag slot, texels per module) -> CV_8UC2 card
  size_t texture_bytes = 0;
  BlobPlan blob;
  cv::Mat background;                   // CV_8UC3
  std::vector<int8_t> noise;            // kNoiseRows rows of width*3 + kNoisePad values
  double font_scale = 0.5;
  int font_thickness = 1, text_height = 10, text_pad = 4, text_band = 0;
  cv::Mat patch;                        // scratch for one warped tag
  std::optional<LensMap> lens;          // with opt.lens: the camera's lens

  explicit Impl(const TestPatternOptions& o);
  void validate() const;
  void plan_tags(Rng& rng, int region_top, int region_bottom);
  bool fits(const cv::Vec3d& dir, double distance, double across, const cv::Rect2d& cell) const;
  void make_background(Rng& rng, int floor_y);
  Pose pose(size_t slot, uint64_t index) const;
  cv::Point2d project(const cv::Vec3d& p) const { return {f * p[0] / p[2] + cx, f * p[1] / p[2] + cy}; }
  TagTruth truth(size_t slot, uint64_t index) const;
  BlobTruth blob_at(uint64_t index) const;
  const cv::Mat& texture(size_t slot, int k);
  void draw_tag(cv::Mat& img, size_t slot, const Pose& p);
  void draw_blob(cv::Mat& img, uint64_t index) const;
  void add_noise(cv::Mat& img, uint64_t index) const;
  void draw_text(cv::Mat& img, uint64_t index, int64_t t_us) const;
};

void TestPattern::Impl::validate() const {
  if (opt.width < 32 || opt.width > 8192 || opt.height < 32 || opt.height > 8192)
    throw Error(fmt::format("test pattern size {}x{} is out of range (32..8192 each)", opt.width, opt.height));
  if (opt.tags < 0 || opt.tags > kMaxTestPatternTags)
    throw Error(fmt::format("test pattern tag count {} is out of range (0..{})", opt.tags, kMaxTestPatternTags));
  if (!(opt.tag_size >= 0.01 && opt.tag_size <= 2.0))
    throw Error(fmt::format("test pattern tag size {} m is out of range (0.01..2)", opt.tag_size));
  if (!(opt.hfov_deg >= 10 && opt.hfov_deg <= 160))
    throw Error(fmt::format("test pattern field of view {} degrees is out of range (10..160)", opt.hfov_deg));
  if (!(opt.noise >= 0 && opt.noise <= 20))
    throw Error(fmt::format("test pattern noise {} is out of range (0..20)", opt.noise));
  if (opt.camera) rvkit::validate(opt.optics);
  if (!opt.lens.empty() && !opt.camera) throw Error("test pattern lens distortion needs the camera optics");
  if (!opt.ids.empty()) {
    if (int(opt.ids.size()) != opt.tags)
      throw Error(fmt::format("test pattern has {} tags but {} ids were given", opt.tags, opt.ids.size()));
    for (size_t i = 0; i < opt.ids.size(); i++) {
      if (opt.ids[i] < 0 || opt.ids[i] > 586)
        throw Error(fmt::format("test pattern tag id {} is not a tag36h11 id (0..586)", opt.ids[i]));
      for (size_t j = 0; j < i; j++)
        if (opt.ids[j] == opt.ids[i]) throw Error(fmt::format("test pattern tag id {} is given twice", opt.ids[i]));
    }
  }
}

TestPattern::Impl::Impl(const TestPatternOptions& o) : opt(o) {
  validate();
  const int w = opt.width, h = opt.height;
  f = (w / 2.0) / std::tan(opt.hfov_deg * kDeg / 2);
  cx = w / 2.0;
  cy = h / 2.0;
  if (!opt.lens.empty()) lens.emplace(cv::Matx33d(f, 0, cx, 0, f, cy, 0, 0, 1), opt.lens, cv::Size(w, h));
  Rng rng{hash2(opt.seed, 0x7e57)};

  // Text: glyph height ~ h/24 (10 px at 240 lines, 30 px at 720), in a dark box in the top-left corner.
  int base = 0;
  cv::Size one = cv::getTextSize("0", cv::FONT_HERSHEY_SIMPLEX, 1.0, 1, &base);
  text_height = std::max(9, int(std::lround(h / 24.0)));
  font_scale = double(text_height) / one.height;
  font_thickness = std::max(1, int(std::lround(text_height / 12.0)));
  text_pad = std::max(3, text_height / 2);
  text_band = text_height + 2 * text_pad + text_pad;  // box plus a gap below it

  // Regions: text band on top, tags in the middle, the blob rolls along the bottom band.
  int blob_band = int(std::lround(h * 0.24));
  int floor_y = h - blob_band;
  plan_tags(rng, text_band, floor_y - std::max(2, h / 100));

  double band = blob_band;
  blob.ry = band * 0.36;
  blob.rx = blob.ry * 1.4;
  double margin = std::max(2.0, w * 0.02);
  blob.x_lo = margin + blob.rx;
  blob.x_hi = std::max(blob.x_lo, w - margin - blob.rx);
  blob.y = floor_y + band * 0.5;
  blob.bob = band * 0.06;
  blob.period = 180 + rng.below(181);
  blob.phase = rng.range(0, 2 * kPi);
  blob.bob_period = 40 + rng.below(41);
  blob.bob_phase = rng.range(0, 2 * kPi);

  make_background(rng, floor_y);
  if (opt.camera) {
    // A camera sees clutter behind the tags: the wall gets the random shapes of clutter_background
    // (where it differs much from mid-grey), the floor stays.
    cv::Mat clutter = clutter_background(w, h, hash2(opt.seed, 0xc1077));
    for (int y = 0; y < floor_y; y++) {
      const float* c = clutter.ptr<float>(y);
      auto* px = background.ptr<cv::Vec3b>(y);
      for (int x = 0; x < w; x++)
        for (int k = 0; k < 3; k++) px[x][k] = cv::saturate_cast<uint8_t>(0.35 * px[x][k] + 0.65 * c[x]);
    }
  }

  noise.resize(size_t(kNoiseRows) * (size_t(w) * 3 + kNoisePad));
  Rng nr{hash2(opt.seed, 0x0015e)};
  for (auto& v : noise) {
    // Irwin-Hall approximation of a Gaussian: the sum of 4 uniforms has variance 1/3.
    double g = (nr.uniform() + nr.uniform() + nr.uniform() + nr.uniform() - 2.0) * std::sqrt(3.0);
    v = int8_t(std::clamp(std::lround(g * opt.noise), -100L, 100L));
  }
}

// How far a tag's centre wobbles along the ray, as a fraction of its base distance.
constexpr double kWobbleAlong = 0.05;

// Can a tag at `distance` along the unit ray `dir`, wobbling up to `across` x distance across the ray
// in each of two directions, stay inside `cell` (pixels) whatever its attitude? Every point of its
// card lies in a cone around the ray: the card's half-diagonal plus the sideways wobble, seen from
// the nearest the centre gets along the ray. The cone's outline is sampled.
bool TestPattern::Impl::fits(const cv::Vec3d& dir, double distance, double across, const cv::Rect2d& cell) const {
  double r = (kCardModules / 2.0) * (opt.tag_size / 8) * std::sqrt(2.0);
  double radius = r + std::sqrt(2.0) * across * distance, nearest = distance * (1 - kWobbleAlong);
  if (radius >= 0.95 * nearest) return false;
  double a = std::asin(radius / nearest);
  cv::Vec3d e1 = cv::normalize(cv::Vec3d(0, 1, 0).cross(dir)), e2 = dir.cross(e1);
  constexpr int kSamples = 72;
  for (int i = 0; i < kSamples; i++) {
    double phi = 2 * kPi * i / kSamples;
    cv::Vec3d v = std::cos(a) * dir + std::sin(a) * (std::cos(phi) * e1 + std::sin(phi) * e2);
    if (v[2] < 0.05) return false;
    cv::Point2d p = project(v);
    // One pixel of slack covers the chords between samples (72 samples: < 0.1 % of the radius).
    if (p.x < cell.x + 1 || p.x > cell.x + cell.width - 1 || p.y < cell.y + 1 || p.y > cell.y + cell.height - 1)
      return false;
  }
  return true;
}

void TestPattern::Impl::plan_tags(Rng& rng, int top, int bottom) {
  const int n = opt.tags;
  if (n == 0) return;
  // Ids: as given, or n distinct ones drawn from all 587.
  std::vector<int> ids = opt.ids;
  if (ids.empty()) {
    std::vector<int> all(587);
    for (int i = 0; i < 587; i++) all[i] = i;
    for (int i = 0; i < n; i++) std::swap(all[i], all[i + rng.below(uint32_t(587 - i))]);
    ids.assign(all.begin(), all.begin() + n);
  }
  // A grid of cells over the tag region, as square as possible; one tag per cell, so they never
  // overlap. With more cells than tags, the seed picks which cells stay empty.
  double margin = std::max(2.0, opt.width * 0.02);
  cv::Rect2d region(margin, top, opt.width - 2 * margin, std::max(8, bottom - top));
  int cols = 1, rows = n;
  double best = -1;
  for (int c = 1; c <= n; c++) {
    int r = (n + c - 1) / c;
    double score = std::min(region.width / c, region.height / r);
    if (score > best + 1e-9) best = score, cols = c, rows = r;
  }
  std::vector<int> cells(size_t(cols) * rows);
  for (size_t i = 0; i < cells.size(); i++) cells[i] = int(i);
  for (size_t i = 0; i < cells.size(); i++) std::swap(cells[i], cells[i + rng.below(uint32_t(cells.size() - i))]);
  double cw = region.width / cols, ch = region.height / rows;

  for (int i = 0; i < n; i++) {
    TagPlan p;
    p.id = ids[i];
    int cell_index = cells[i];
    cv::Rect2d cell(region.x + (cell_index % cols) * cw, region.y + (cell_index / cols) * ch, cw, ch);
    cv::Rect2d inner(cell.x + 2, cell.y + 2, cell.width - 4, cell.height - 4);  // room for anti-aliasing
    double u = cell.x + cw * (0.5 + rng.range(-0.05, 0.05));
    double v = cell.y + ch * (0.5 + rng.range(-0.05, 0.05));
    // Sideways wobble (radians as seen from the camera): 3 %, less in small cells.
    const double across = std::min(0.03, 0.08 * std::min(cw, ch) / f);
    const cv::Vec3d dir = cv::normalize(cv::Vec3d((u - cx) / f, (v - cy) / f, 1.0));
    // Nearest distance from 1 m at which the tag always stays in its cell, then anywhere from there
    // to 4 m (both including the wobble), or nearer when a tag at 4 m would be too small to detect
    // (black square under 16 px), or further when the cell is too small (many tags, small frame).
    const double d_near = 1.0 / (1 - kWobbleAlong), d_far = 4.0 / (1 + kWobbleAlong) / 1.001;
    double dfit = d_near;
    while (!fits(dir, dfit, across, inner) && dfit < 1000) dfit *= 1.01;
    double dfar = std::max(dfit, std::min(d_far, f * opt.tag_size / 16 / dir[2]));
    double dist = dfit + rng.uniform() * (dfar - dfit);
    while (!fits(dir, dist, across, inner) && dist < 1000) dist *= 1.01;
    p.dir = dir;
    p.centre = dir * dist;
    p.across = cv::normalize(cv::Vec3d(0, 1, 0).cross(dir));
    p.down = dir.cross(p.across);
    p.mx = Osc::random(rng, across * dist * rng.range(0.4, 1.0), 150, 400);
    p.my = Osc::random(rng, across * dist * rng.range(0.4, 1.0), 150, 400);
    p.mz = Osc::random(rng, kWobbleAlong * dist * rng.range(0.4, 1.0), 200, 500);
    p.face = rot_y(std::atan2(dir[0], dir[2])) * rot_x(-std::asin(dir[1]));
    p.yaw = rng.range(-30, 30) * kDeg;
    p.pitch = rng.range(-20, 20) * kDeg;
    p.roll = rng.range(-180, 180) * kDeg;
    p.myaw = Osc::random(rng, 6 * kDeg, 120, 360);
    p.mpitch = Osc::random(rng, 4 * kDeg, 120, 360);
    p.mroll = Osc::random(rng, 8 * kDeg, 150, 450);
    p.white = uint8_t(200 + rng.below(41));
    p.black = uint8_t(15 + rng.below(31));
    plans.push_back(p);
  }

  // libapriltag's own images of the tags, each made into a 12x12 card of grey levels.
  std::unique_ptr<apriltag_family_t, FamilyDeleter> family(tag36h11_create());
  if (!family) throw Error("cannot create the tag36h11 family");
  for (const TagPlan& p : plans) {
    std::unique_ptr<image_u8_t, ImageDeleter> im(apriltag_to_image(family.get(), p.id));
    if (!im || im->width != kCodeModules || im->height != kCodeModules)
      throw Error(fmt::format("libapriltag gave no {}x{} image for tag36h11 id {}", kCodeModules, kCodeModules, p.id));
    cv::Mat card(kCardModules, kCardModules, CV_8UC1, cv::Scalar(p.white));
    for (int y = 0; y < kCodeModules; y++)
      for (int x = 0; x < kCodeModules; x++)
        card.at<uint8_t>(y + 1, x + 1) = im->buf[y * im->stride + x] ? p.white : p.black;
    codes.push_back(card);
  }
}

void TestPattern::Impl::make_background(Rng& rng, int floor_y) {
  const int w = opt.width, h = opt.height;
  background.create(h, w, CV_8UC3);
  // A wall with a seed-tinted vertical gradient and a soft diagonal ripple, then a darker floor.
  cv::Vec3d wall_top(rng.range(150, 185), rng.range(150, 180), rng.range(140, 170));
  cv::Vec3d wall_bottom = wall_top * 0.78;
  cv::Vec3d floor_near(rng.range(70, 95), rng.range(80, 100), rng.range(80, 105));
  cv::Vec3d floor_far = floor_near * 1.25;
  double fx1 = rng.range(0.8, 1.6) * 2 * kPi / w, fy1 = rng.range(0.6, 1.4) * 2 * kPi / h;
  for (int y = 0; y < h; y++) {
    cv::Vec3d row;
    if (y < floor_y) {
      double a = double(y) / std::max(1, floor_y);
      row = wall_top * (1 - a) + wall_bottom * a;
    } else {
      double a = double(y - floor_y) / std::max(1, h - floor_y);
      row = floor_far * (1 - a) + floor_near * a;
    }
    auto* px = background.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; x++) {
      double ripple = 5 * std::sin(x * fx1 + y * fy1) + 3 * std::sin(x * fy1 * 2.3 - y * fx1 * 1.7);
      for (int c = 0; c < 3; c++) px[x][c] = cv::saturate_cast<uint8_t>(row[c] + ripple);
    }
  }
  // Wall panels: a faint grid of seams; floor: a few lines converging to the horizon.
  int step = std::max(8, int(std::lround(w / rng.range(8, 14))));
  int offset = int(rng.below(uint32_t(step)));
  cv::Mat seams(h, w, CV_8UC3, cv::Scalar::all(0));
  for (int x = offset; x < w; x += step) cv::line(seams, {x, 0}, {x, floor_y - 1}, cv::Scalar::all(14), 1, cv::LINE_AA);
  for (int y = floor_y - 1 - step / 2; y > 0; y -= step)
    cv::line(seams, {0, y}, {w - 1, y}, cv::Scalar::all(14), 1, cv::LINE_AA);
  for (int i = -6; i <= 6; i++)
    cv::line(seams, {w / 2 + i * w / 12, floor_y}, {w / 2 + i * w / 2, h - 1}, cv::Scalar::all(10), 1, cv::LINE_AA);
  cv::line(seams, {0, floor_y}, {w - 1, floor_y}, cv::Scalar::all(30), std::max(1, h / 240), cv::LINE_AA);
  cv::subtract(background, seams, background);
}

Pose TestPattern::Impl::pose(size_t slot, uint64_t index) const {
  const TagPlan& p = plans[slot];
  Pose out;
  out.t = p.centre + p.mx.at(index) * p.across + p.my.at(index) * p.down + p.mz.at(index) * p.dir;
  out.R = p.face * rot_y(p.yaw + p.myaw.at(index)) * rot_x(p.pitch + p.mpitch.at(index)) *
          rot_z(p.roll + p.mroll.at(index));
  return out;
}

TagTruth TestPattern::Impl::truth(size_t slot, uint64_t index) const {
  Pose p = pose(slot, index);
  TagTruth t;
  t.id = plans[slot].id;
  t.size = opt.tag_size;
  for (int i = 0; i < 9; i++) t.R[i] = p.R.val[i];
  for (int i = 0; i < 3; i++) t.t[i] = p.t[i];
  const double s = opt.tag_size / 2;
  const double corner[4][2] = {{-s, s}, {s, s}, {s, -s}, {-s, -s}};
  for (int i = 0; i < 4; i++) {
    cv::Point2d q = project(p.R * cv::Vec3d(corner[i][0], corner[i][1], 0) + p.t);
    t.corners[i] = {q.x, q.y};
  }
  return t;
}

BlobTruth TestPattern::Impl::blob_at(uint64_t index) const {
  double a = 0.5 - 0.5 * std::cos(2 * kPi * double(index % blob.period) / blob.period + blob.phase);
  BlobTruth b;
  b.center = {blob.x_lo + a * (blob.x_hi - blob.x_lo),
              blob.y - blob.bob * std::fabs(std::sin(2 * kPi * double(index % blob.bob_period) / blob.bob_period +
                                                      blob.bob_phase))};
  b.axes = {blob.rx, blob.ry};
  b.bgr = {0, 120, 255};
  return b;
}

// The card of tag `slot` with k texels per module: 2 channels, grey (premultiplied) and alpha.
const cv::Mat& TestPattern::Impl::texture(size_t slot, int k) {
  auto key = std::make_pair(int(slot), k);
  auto it = textures.find(key);
  if (it != textures.end()) return it->second;
  if (texture_bytes > (size_t(64) << 20)) {  // bounded; a tag only ever needs a few sizes
    textures.clear();
    texture_bytes = 0;
  }
  cv::Mat grey;
  cv::resize(codes[slot], grey, cv::Size(), k, k, cv::INTER_NEAREST);
  cv::Mat alpha(grey.size(), CV_8UC1, cv::Scalar(255));
  cv::Mat tex;
  cv::merge(std::vector<cv::Mat>{grey, alpha}, tex);
  texture_bytes += tex.total() * tex.elemSize();
  return textures.emplace(key, tex).first->second;
}

void TestPattern::Impl::draw_tag(cv::Mat& img, size_t slot, const Pose& p) {
  const double m = opt.tag_size / 8;  // one module, metres
  // Texels per module ~ on-screen pixels per module along the longest black-square edge.
  const double s = opt.tag_size / 2;
  const double sq[4][2] = {{-s, s}, {s, s}, {s, -s}, {-s, -s}};
  cv::Point2d q[4];
  for (int i = 0; i < 4; i++) q[i] = project(p.R * cv::Vec3d(sq[i][0], sq[i][1], 0) + p.t);
  double edge = 0;
  for (int i = 0; i < 4; i++) edge = std::max(edge, cv::norm(q[i] - q[(i + 1) % 4]));
  int k = std::clamp(int(std::lround(edge / 8)), 1, kMaxTexelsPerModule);

  // Bounding box of the card (continuous coordinates -> pixel indices), one pixel of fringe.
  const double c = kCardModules / 2.0 * m;
  double x_min = 1e18, x_max = -1e18, y_min = 1e18, y_max = -1e18;
  for (int i = 0; i < 4; i++) {
    cv::Point2d v = project(p.R * cv::Vec3d(sq[i][0] / s * c, sq[i][1] / s * c, 0) + p.t);
    x_min = std::min(x_min, v.x), x_max = std::max(x_max, v.x);
    y_min = std::min(y_min, v.y), y_max = std::max(y_max, v.y);
  }
  int x0 = std::max(0, int(std::floor(x_min)) - 1), y0 = std::max(0, int(std::floor(y_min)) - 1);
  int x1 = std::min(img.cols, int(std::floor(x_max)) + 2), y1 = std::min(img.rows, int(std::floor(y_max)) + 2);
  if (x1 <= x0 || y1 <= y0) return;

  // texel (u, v) -> tag plane: texel centres at integers, card edge at -0.5, module j spans [jk-0.5, (j+1)k-0.5].
  const double mk = m / k, o = 0.5 * mk - kCardModules / 2.0 * m;
  cv::Matx33d A(mk, 0, o, 0, mk, o, 0, 0, 1);
  cv::Matx33d Rt(p.R(0, 0), p.R(0, 1), p.t[0], p.R(1, 0), p.R(1, 1), p.t[1], p.R(2, 0), p.R(2, 1), p.t[2]);
  cv::Matx33d K(f, 0, cx, 0, f, cy, 0, 0, 1);
  // Continuous pixel coordinates -> OpenCV's (pixel centres at integers) within the box.
  cv::Matx33d T(1, 0, -0.5 - x0, 0, 1, -0.5 - y0, 0, 0, 1);
  cv::Matx33d H = T * K * Rt * A;

  const cv::Mat& tex = texture(slot, k);
  cv::warpPerspective(tex, patch, cv::Mat(H), cv::Size(x1 - x0, y1 - y0), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                      cv::Scalar(0, 0));
  for (int y = 0; y < patch.rows; y++) {
    const uint8_t* src = patch.ptr<uint8_t>(y);
    uint8_t* dst = img.ptr<uint8_t>(y0 + y) + 3 * x0;
    for (int x = 0; x < patch.cols; x++, src += 2, dst += 3) {
      unsigned a = src[1], g = src[0];
      if (a == 0) continue;
      if (a == 255) {
        dst[0] = dst[1] = dst[2] = uint8_t(g);
      } else {
        for (int ch = 0; ch < 3; ch++) dst[ch] = uint8_t(std::min(255u, (dst[ch] * (255 - a) + 127) / 255 + g));
      }
    }
  }
}

void TestPattern::Impl::draw_blob(cv::Mat& img, uint64_t index) const {
  BlobTruth b = blob_at(index);
  constexpr int kShift = 4;  // sub-pixel drawing, 1/16 px
  auto fixed = [](double v) { return int(std::lround(v * (1 << kShift))); };
  cv::Point c(fixed(b.center[0] - 0.5), fixed(b.center[1] - 0.5));
  cv::ellipse(img, c, cv::Size(fixed(b.axes[0]), fixed(b.axes[1])), 0, 0, 360, cv::Scalar(b.bgr[0], b.bgr[1], b.bgr[2]),
              cv::FILLED, cv::LINE_AA, kShift);
  // A lighter highlight up and to the left, and a darker lower rim, so it looks round.
  cv::Point hl(fixed(b.center[0] - 0.5 - b.axes[0] * 0.25), fixed(b.center[1] - 0.5 - b.axes[1] * 0.3));
  cv::ellipse(img, hl, cv::Size(fixed(b.axes[0] * 0.35), fixed(b.axes[1] * 0.25)), 0, 0, 360,
              cv::Scalar(70, 175, 255), cv::FILLED, cv::LINE_AA, kShift);
  cv::ellipse(img, c, cv::Size(fixed(b.axes[0] * 0.92), fixed(b.axes[1] * 0.88)), 0, 30, 150, cv::Scalar(0, 90, 215),
              std::max(1, int(b.axes[1] / 10)), cv::LINE_AA, kShift);
}

void TestPattern::Impl::add_noise(cv::Mat& img, uint64_t index) const {
  if (opt.noise <= 0) return;
  uint64_t hsh = hash2(opt.seed ^ 0x5eed, index);
  const size_t row_len = size_t(img.cols) * 3, tile_len = row_len + kNoisePad;
  size_t row0 = hsh % kNoiseRows, col0 = (hsh >> 20) % kNoisePad;
  for (int y = 0; y < img.rows; y++) {
    uint8_t* p = img.ptr<uint8_t>(y);
    const int8_t* n = noise.data() + ((row0 + size_t(y)) % kNoiseRows) * tile_len + col0;
    for (size_t i = 0; i < row_len; i++) {
      int v = int(p[i]) + n[i];
      p[i] = uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
}

void TestPattern::Impl::draw_text(cv::Mat& img, uint64_t index, int64_t t_us) const {
  std::string text = clock_text(index, t_us);
  int base = 0;
  cv::Size sz = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, font_thickness, &base);
  cv::Rect box(0, 0, std::min(img.cols, sz.width + 2 * text_pad), std::min(img.rows, text_height + 2 * text_pad));
  img(box).setTo(cv::Scalar(20, 20, 20));
  cv::putText(img, text, {text_pad, text_pad + text_height}, cv::FONT_HERSHEY_SIMPLEX, font_scale,
              cv::Scalar(255, 255, 255), font_thickness, cv::LINE_AA);
}

TestPattern::TestPattern(const TestPatternOptions& o) : impl_(std::make_unique<Impl>(o)) {}
TestPattern::~TestPattern() = default;
TestPattern::TestPattern(TestPattern&&) noexcept = default;
TestPattern& TestPattern::operator=(TestPattern&&) noexcept = default;

void TestPattern::render(uint64_t index, int64_t t_us, cv::Mat& out, std::vector<TagTruth>* truth) {
  Impl& s = *impl_;
  if (s.opt.camera) {
    // Camera-like: area coverage on a float canvas, then blur, noise, 8 bits, JPEG; text on top.
    s.background.copyTo(out);
    s.draw_blob(out, index);
    cv::Mat canvas;
    out.convertTo(canvas, CV_32F);
    std::vector<SceneTag> scene;
    for (size_t i = 0; i < s.plans.size(); i++) {
      SceneTag st;
      st.pose = s.truth(i, index);
      st.black = s.plans[i].black;
      st.white = s.plans[i].white;
      scene.push_back(st);
    }
    composite_tags(canvas, camera_matrix(), scene, s.opt.optics.supersample);
    if (s.lens) canvas = s.lens->bend(canvas);
    out = apply_optics(canvas, s.opt.optics, hash2(s.opt.seed ^ 0x5eed, index));
    s.draw_text(out, index, t_us);
    if (truth) *truth = tags(index);
    return;
  }
  s.background.copyTo(out);
  s.draw_blob(out, index);
  for (size_t i = 0; i < s.plans.size(); i++) s.draw_tag(out, i, s.pose(i, index));
  s.add_noise(out, index);
  s.draw_text(out, index, t_us);
  if (truth) *truth = tags(index);
}

cv::Mat TestPattern::render(uint64_t index, int64_t t_us, std::vector<TagTruth>* truth) {
  cv::Mat out;
  render(index, t_us, out, truth);
  return out;
}

std::vector<TagTruth> TestPattern::tags(uint64_t index) const {
  std::vector<TagTruth> out;
  out.reserve(impl_->plans.size());
  for (size_t i = 0; i < impl_->plans.size(); i++) out.push_back(impl_->truth(i, index));
  if (impl_->lens)
    for (TagTruth& t : out) impl_->lens->distort(t);
  return out;
}

BlobTruth TestPattern::blob(uint64_t index) const { return impl_->blob_at(index); }

cv::Matx33d TestPattern::camera_matrix() const {
  return {impl_->f, 0, impl_->cx, 0, impl_->f, impl_->cy, 0, 0, 1};
}

const TestPatternOptions& TestPattern::options() const { return impl_->opt; }

}  // namespace rvkit
