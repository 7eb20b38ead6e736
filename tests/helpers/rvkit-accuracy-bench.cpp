// rvkit-accuracy-bench: corner bias by tag size and pose accuracy on camera-like renders with exact
// truth (rvkit/capture/test_pattern_camera.hpp). Run by scripts/bench-accuracy; results in
// docs/benchmarks.md. Not a tool: a benchmark program built with the tests.
//
//   rvkit-accuracy-bench FIELD_LAYOUT [SCENES]
//   RVKIT_BENCH_DEBUG=1: each miss, false detection and pose error on stderr; RVKIT_BENCH_DUMP=DIR:
//   the field scenes' renders written there as WxH-sceneN.png
//
// Corner table: SCENES random scenes of 12 tags (black squares 12..160 px) at 1280x720 per method,
// at decimate 1 so only the corner method differs. Pose table: SCENES field scenes per frame size,
// a camera at a random place on the field (0.3..1 m high, pitched 0..15 degrees up, turned towards a
// random tag within 25 degrees) seeing the layout's tags; methods as named in the table.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/capture/test_pattern_camera.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/corner_accuracy.hpp"
#include "rvkit/vision/cv_geometry.hpp"
#include "rvkit/vision/pose.hpp"

using namespace rvkit;
using namespace rvkit::vision;
using geometry::Pose3;

namespace {

struct Method {
  std::string name;
  AprilTagOptions opt;
  bool plain_pnp = false;  // OpenCV SQPnP on the raw corners instead of rvkit's pose code
};

std::map<int, std::array<cv::Point2d, 4>> truth_map(const std::vector<TagTruth>& truth) {
  std::map<int, std::array<cv::Point2d, 4>> out;
  for (const TagTruth& t : truth)
    for (size_t k = 0; k < 4; k++) out[t.id][k] = {t.corners[k][0] - 0.5, t.corners[k][1] - 0.5};
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  double i = q * double(v.size() - 1);
  size_t lo = size_t(std::floor(i)), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (i - double(lo));
}

void corner_table(const std::vector<Method>& methods, int scenes) {
  const double bins[] = {0, 25, 50, 100, 1e9};
  std::printf("\n### Corner bias by tag size (1280x720, %d scenes of 12 or 4 tags, decimate 1; scale: mean of detected / true quad perimeter - 1, error: mean corner error, (tags))\n\n", scenes);
  std::printf("| method | < 25 px: scale, error | 25-50 px | 50-100 px | > 100 px | all: tags, scale, error | refinement per tag (1 thread) |\n|---|---|---|---|---|---|---|\n");
  for (const Method& m : methods) {
    AprilTagOptions o = m.opt;
    o.decimate = 1;
    AprilTagDetector det(o);
    AprilTagOptions u = o;
    u.refine_corners = false;
    AprilTagDetector unrefined(u);
    std::vector<CornerMatch> all;
    double seconds = 0, tags = 0;
    for (int s = 0; s < scenes; s++) {
      // Alternately 12 small-to-medium tags and 4 large ones (a cell must hold a tag's card).
      CameraScene sc = s % 2 ? random_tag_scene(1280, 720, 70, 4, 60, 250, uint64_t(1000 + s))
                             : random_tag_scene(1280, 720, 70, 12, 12, 90, uint64_t(1000 + s));
      std::vector<TagTruth> truth;
      cv::Mat img = render_camera_scene(sc, CameraOptics{}, &truth);
      auto found = det.detect(img);
      if (o.refine_corners) {  // the refinement's own time: again on libapriltag's corners
        auto raw = unrefined.detect(img);
        const auto t0 = std::chrono::steady_clock::now();
        for (auto& d : raw) det.refine_corners(img, d);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        tags += double(raw.size());
      }
      auto mm = match_corners(found, truth_map(truth));
      all.insert(all.end(), mm.begin(), mm.end());
    }
    std::printf("| %s", m.name.c_str());
    for (int b = 0; b < 4; b++) {
      CornerStats st = corner_stats(all, bins[b], bins[b + 1]);
      std::printf(" | %+.2f %%, %.3f px (%d)", (st.mean_scale - 1) * 100, st.mean_error, st.n);
    }
    CornerStats st = corner_stats(all);
    std::printf(" | %d, %+.2f %%, %.3f px | %s |\n", st.n, (st.mean_scale - 1) * 100, st.mean_error,
                tags ? fmt::format("{:.2f} ms", 1000 * seconds / tags).c_str() : "-");
  }
}

// WPILib frames <-> the renderer's (OpenCV camera frame; tag x right, y down, z into the tag).
const cv::Matx33d kModelFromTag(0, 1, 0, 0, 0, -1, -1, 0, 0);

TagTruth to_truth(int id, double size, const Pose3& camera_to_tag) {
  cv::Matx33d R = cv_from_camera() * to_cv(camera_to_tag.R) * kModelFromTag.t();
  cv::Vec3d t = cv_from_camera() * to_cv(camera_to_tag.t);
  TagTruth tt{};
  tt.id = id;
  tt.size = size;
  for (int k = 0; k < 9; k++) tt.R[size_t(k)] = R.val[k];
  for (int k = 0; k < 3; k++) tt.t[size_t(k)] = t[k];
  return tt;
}

struct FieldScene {
  CameraScene scene;
  Pose3 field_to_camera;
};

// A random camera on the field that sees at least one tag (black square >= 14 px, wholly in view).
FieldScene field_scene(const geometry::FieldLayout& field, int w, int h, cv::RNG& rng, uint64_t seed) {
  const double f = (w / 2.0) / std::tan(70 * CV_PI / 360);
  const double size = kDefaultTagSize;
  std::vector<int> ids;
  for (const auto& [id, p] : field.tags) ids.push_back(id);
  for (;;) {
    const Pose3& target = field.tags.at(ids[size_t(rng.uniform(0, int(ids.size())))]);
    // In front of the target tag (its X axis), 1..7 m away, inside the field.
    double d = rng.uniform(1.0, 7.0), a = rng.uniform(-1.0, 1.0);
    cv::Vec3d n(target.R(0, 0), target.R(1, 0), 0), side(-target.R(1, 0), target.R(0, 0), 0);
    if (cv::norm(n) < 0.5) continue;
    n /= cv::norm(n), side /= cv::norm(side);
    cv::Vec3d p = to_cv(target.t) + d * (std::cos(a) * n + std::sin(a) * side);
    if (p[0] < 0.3 || p[1] < 0.3 || p[0] > field.length - 0.3 || p[1] > field.width - 0.3) continue;
    double z = rng.uniform(0.3, 1.0);
    cv::Vec3d to = to_cv(target.t) - cv::Vec3d(p[0], p[1], z);
    double yaw = std::atan2(to[1], to[0]) + rng.uniform(-25.0, 25.0) * CV_PI / 180;
    double pitch = -rng.uniform(0.0, 15.0) * CV_PI / 180;  // nose up is negative pitch
    FieldScene fs;
    fs.field_to_camera = Pose3::from_xyz_rpy(p[0], p[1], z, 0, pitch, yaw);
    fs.scene.width = w;
    fs.scene.height = h;
    fs.scene.K = cv::Matx33d(f, 0, w / 2.0, 0, f, h / 2.0, 0, 0, 1);
    fs.scene.seed = seed;
    Pose3 inv = fs.field_to_camera.inverse();
    for (int id : ids) {
      SceneTag st;
      st.pose = to_truth(id, size, inv * field.tags.at(id));
      st.black = 25;
      st.white = 215;
      fs.scene.tags.push_back(st);
    }
    return fs;
  }
}

// Tags a detector should find: wholly in view (2 px margin), black square's mean edge >= min_side px,
// seen within 70 degrees of face-on.
bool findable(const TagTruth& t, int w, int h, double min_side = 14) {
  double side = 0;
  for (size_t k = 0; k < 4; k++) {
    const auto& c = t.corners[k];
    if (c[0] < 2 || c[1] < 2 || c[0] > w - 2 || c[1] > h - 2) return false;
    side += std::hypot(c[0] - t.corners[(k + 1) % 4][0], c[1] - t.corners[(k + 1) % 4][1]) / 4;
  }
  double dist = std::hypot(t.t[0], t.t[1], t.t[2]);
  double facing = (t.R[2] * t.t[0] + t.R[5] * t.t[1] + t.R[8] * t.t[2]) / dist;
  return side >= min_side && facing > std::cos(70 * CV_PI / 180);
}

struct PoseResult {
  std::vector<double> multi_cm, single_pct;
  std::map<size_t, double> multi_by_scene;  // scene -> multi-tag error, cm
  int expected = 0, found = 0, expected20 = 0, found20 = 0, wrong = 0;
  double detect_ms = 0;  // detection time of all scenes (refinement included)
};

void pose_table(const std::vector<Method>& methods, const geometry::FieldLayout& field, int scenes,
                const std::vector<double>& lens = {}) {
  std::printf("\n### Pose accuracy on field scenes (%s, %d scenes per size, hfov 70 degrees)\n\n", field.source.c_str(),
              scenes);
  std::printf("| frame | method | multi-tag position error median / p95 (scenes) | the same on the plain pipeline's multi-tag scenes | single-tag error, median / p95 %% of distance (tags) | recall, tags >= 14 px | recall, tags >= 20 px | false detections | detect ms/frame |\n|---|---|---|---|---|---|---|---|---|\n");
  for (auto [w, h] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    std::vector<FieldScene> fss;
    cv::RNG rng(uint64_t(w) * 7919 + 1);
    std::vector<cv::Mat> images;
    std::vector<std::vector<TagTruth>> truths;
    for (int s = 0; s < scenes;) {
      FieldScene fs = field_scene(field, w, h, rng, uint64_t(s + 1));
      fs.scene.dist = lens;
      std::vector<TagTruth> truth;
      cv::Mat img = render_camera_scene(fs.scene, CameraOptics{}, &truth);
      if (std::none_of(truth.begin(), truth.end(), [&](const TagTruth& t) { return findable(t, w, h); })) continue;
      if (const char* dir = std::getenv("RVKIT_BENCH_DUMP"))  // the renders, to look at misses
        cv::imwrite(fmt::format("{}/{}x{}-scene{}.png", dir, w, h, s), img);
      fss.push_back(fs);
      images.push_back(img);
      truths.push_back(truth);
      ++s;
    }
    CameraCalibration cal;
    cal.K = fss[0].scene.K;
    cal.K(0, 2) -= 0.5;
    cal.K(1, 2) -= 0.5;
    cal.width = w;
    cal.height = h;
    cal.dist = lens;  // the calibration knows the lens, as a calibrated camera's does
    const cv::Mat dist_coeffs = lens.empty() ? cv::Mat() : cv::Mat(lens);
    std::set<size_t> plain_scenes;
    for (const Method& m : methods) {
      AprilTagDetector det(m.opt);
      PoseResult r;
      for (size_t s = 0; s < fss.size(); s++) {
        const auto t0 = std::chrono::steady_clock::now();
        auto dets = det.detect(images[s]);
        r.detect_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::map<int, const TagTruth*> by_id;
        for (const TagTruth& t : truths[s]) by_id[t.id] = &t;
        std::map<int, TagDetection> truth_tags;  // the truth as detections, in OpenCV's pixel centres
        for (const auto& [id, corners] : truth_map(truths[s])) {
          TagDetection& t = truth_tags[id];
          t.id = id;
          t.corners = corners;
          for (const auto& c : corners) t.center += c / 4;
        }
        std::vector<TagDetection> known;
        for (const TagTruth& t : truths[s])
          if (findable(t, w, h)) {
            ++r.expected;
            bool hit = std::any_of(dets.begin(), dets.end(), [&](const TagDetection& d) { return d.id == t.id; });
            r.found += hit;
            if (findable(t, w, h, 20)) ++r.expected20, r.found20 += hit;
            if (!hit && std::getenv("RVKIT_BENCH_DEBUG")) {
              double side = std::hypot(t.corners[0][0] - t.corners[1][0], t.corners[0][1] - t.corners[1][1]);
              double dist = std::hypot(t.t[0], t.t[1], t.t[2]);
              std::fprintf(stderr, "missed: %s %dx%d scene %zu tag %d side %.1f px, %.2f m, facing %.0f deg, centre (%.0f, %.0f)\n",
                           m.name.c_str(), w, h, s, t.id, side, dist,
                           std::acos((t.R[2] * t.t[0] + t.R[5] * t.t[1] + t.R[8] * t.t[2]) / dist) * 180 / CV_PI,
                           (t.corners[0][0] + t.corners[1][0] + t.corners[2][0] + t.corners[3][0]) / 4,
                           (t.corners[0][1] + t.corners[1][1] + t.corners[2][1] + t.corners[3][1]) / 4);
            }
          }
        for (const auto& d : dets) {
          // A false detection: an id not in view, or not the same tag as the one of that id (same_tag).
          if (!truth_tags.count(d.id) || !same_tag(truth_tags.at(d.id), d)) {
            ++r.wrong;
            if (std::getenv("RVKIT_BENCH_DEBUG"))
              std::fprintf(stderr, "false: %s %dx%d scene %zu id %d side %.1f at (%.0f, %.0f) margin %.0f\n", m.name.c_str(), w, h, s,
                           d.id, mean_side(d.corners), d.center.x, d.center.y, d.margin);
          }
          if (field.find(d.id) && by_id.count(d.id)) known.push_back(d);
        }
        // Single tags: the camera-to-tag translation against the truth.
        for (const auto& d : known) {
          const TagTruth& t = *by_id[d.id];
          cv::Vec3d truth_t(t.t[0], t.t[1], t.t[2]), est;
          if (m.plain_pnp) {
            std::vector<cv::Point3d> obj;
            const double hs = t.size / 2;
            for (auto c : {cv::Point3d(-hs, hs, 0), cv::Point3d(hs, hs, 0), cv::Point3d(hs, -hs, 0), cv::Point3d(-hs, -hs, 0)})
              obj.push_back(c);
            std::vector<cv::Point2d> img(d.corners.begin(), d.corners.end());
            cv::Mat rvec, tvec;
            if (!cv::solvePnP(obj, img, cal.K, dist_coeffs, rvec, tvec, false, cv::SOLVEPNP_SQPNP)) continue;
            est = cv::Vec3d(tvec.at<double>(0), tvec.at<double>(1), tvec.at<double>(2));
          } else {
            TagPose p = solve_tag_pose(d, cal, t.size);
            if (p.solutions.empty()) continue;
            est = cv_from_camera() * to_cv(p.solutions[0].camera_to_tag.t);
          }
          r.single_pct.push_back(100 * cv::norm(est - truth_t) / cv::norm(truth_t));
          if (std::getenv("RVKIT_BENCH_DEBUG")) {
            double ce = 0;
            for (size_t k = 0; k < 4; k++) ce += std::hypot(d.corners[k].x - (t.corners[k][0] - 0.5), d.corners[k].y - (t.corners[k][1] - 0.5)) / 4;
            std::fprintf(stderr, "single %s %dx%d scene %zu tag %d side %.1f dist %.1f m err %.2f %% corner err %.3f px\n", m.name.c_str(), w, h, s, d.id, mean_side(d.corners), cv::norm(truth_t), r.single_pct.back(), ce);
          }
        }
        if (known.size() < 2) continue;
        cv::Vec3d cam;
        if (m.plain_pnp) {
          std::vector<cv::Point3d> obj;
          std::vector<cv::Point2d> img;
          for (const auto& d : known) {
            const Pose3& tp = *field.find(d.id);
            auto corners = tag_corners(kDefaultTagSize);
            for (size_t k = 0; k < 4; k++) {
              geometry::Vec3 q = tp.apply(from_cv(corners[k]));
              obj.emplace_back(q.x, q.y, q.z);
              img.push_back(d.corners[k]);
            }
          }
          cv::Mat rvec, tvec;
          if (!cv::solvePnP(obj, img, cal.K, dist_coeffs, rvec, tvec, false, cv::SOLVEPNP_SQPNP)) continue;
          cv::Matx33d R;
          cv::Rodrigues(rvec, R);
          cam = -(R.t() * cv::Vec3d(tvec.at<double>(0), tvec.at<double>(1), tvec.at<double>(2)));
        } else {
          std::vector<TagPose> poses;
          for (const auto& d : known) poses.push_back(solve_tag_pose(d, cal, kDefaultTagSize));
          auto fp = solve_field_pose(known, poses, field, cal, kDefaultTagSize, std::nullopt);
          if (!fp || !fp->multi_tag) continue;
          cam = to_cv(fp->camera.t);
        }
        r.multi_cm.push_back(100 * cv::norm(cam - to_cv(fss[s].field_to_camera.t)));
        r.multi_by_scene[s] = r.multi_cm.back();
        if (std::getenv("RVKIT_BENCH_DEBUG")) std::fprintf(stderr, "multi %s %dx%d scene %zu tags %zu err %.2f cm\n", m.name.c_str(), w, h, s, known.size(), r.multi_cm.back());
      }
      // The first method (the plain pipeline) names the scenes compared in the second column.
      if (&m == &methods.front()) plain_scenes.clear();
      std::vector<double> common;
      for (const auto& [scene, cm] : r.multi_by_scene) {
        if (&m == &methods.front()) plain_scenes.insert(scene);
        if (plain_scenes.count(scene)) common.push_back(cm);
      }
      std::printf("| %dx%d | %s | %.2f cm / %.1f cm (%zu) | %.2f cm / %.1f cm (%zu) | %.2f %% / %.2f %% (%zu) | %.1f %% (%d of %d) | %.1f %% (%d of %d) | %d | %.1f |\n", w, h,
                  m.name.c_str(), quantile(r.multi_cm, 0.5), quantile(r.multi_cm, 0.95), r.multi_cm.size(),
                  quantile(common, 0.5), quantile(common, 0.95), common.size(),
                  quantile(r.single_pct, 0.5), quantile(r.single_pct, 0.95), r.single_pct.size(),
                  100.0 * r.found / std::max(1, r.expected), r.found, r.expected,
                  100.0 * r.found20 / std::max(1, r.expected20), r.found20, r.expected20, r.wrong, r.detect_ms / double(fss.size()));
      std::fflush(stdout);
      if (std::getenv("RVKIT_BENCH_DEBUG"))
        std::fprintf(stderr, "%s %dx%d: fine pass %.1f regions/frame, %llu tags\n", m.name.c_str(), w, h,
                     double(det.fine_pass_counts().regions) / double(fss.size()),
                     (unsigned long long)det.fine_pass_counts().found);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: rvkit-accuracy-bench FIELD_LAYOUT [SCENES [K1,K2,P1,P2,K3]]\n");
    return 2;
  }
  std::vector<double> lens;  // lens distortion of the field scenes (and their calibration)
  if (argc > 3) {
    std::stringstream ss(argv[3]);
    for (std::string item; std::getline(ss, item, ',');) lens.push_back(std::atof(item.c_str()));
    if (lens.size() != 5) {
      std::fprintf(stderr, "rvkit-accuracy-bench: the lens is 5 numbers K1,K2,P1,P2,K3, got '%s'\n", argv[3]);
      return 2;
    }
  }
  try {
    geometry::FieldLayout field = geometry::load_field_layout(argv[1]);
    const int scenes = argc > 2 ? std::atoi(argv[2]) : 40;
    if (scenes < 1 || scenes > 10000) {
      std::fprintf(stderr, "rvkit-accuracy-bench: SCENES must be 1..10000, got '%s'\n", argv[2]);
      return 2;
    }
    AprilTagOptions plain;  // libapriltag as a plain pipeline uses it: decimate 1, no margin filter
    plain.decimate = 1;
    plain.min_margin = 0;
    AprilTagOptions sharp = plain;  // the refinement before the blur-matched template
    sharp.refine_corners = true;
    sharp.refine_sharp_template = true;
    AprilTagOptions matched;
    matched.decimate = 1;
    matched.refine_corners = true;
    if (lens.empty())  // the corner table is of pinhole renders; with a lens only the pose table
    corner_table({{"libapriltag (refine_edges)", plain},
                  {"rvkit ECC, sharp template (before)", sharp},
                  {"rvkit ECC, blur-matched template (now)", matched}},
                 std::max(4, scenes / 4));

    AprilTagOptions detect_default;  // detect's: decimate 2; --calib turns corner refinement on
    detect_default.refine_corners = true;
    AprilTagOptions detect_before = detect_default;
    detect_before.refine_sharp_template = true;
    AprilTagOptions no_refine;
    AprilTagOptions no_fine = detect_default;  // before the full-resolution pass for small tags
    no_fine.fine_pass = false;
    AprilTagOptions fine1 = detect_default;  // the fine pass without sharpening its regions
    fine1.fine_sharpen = 0;
    pose_table({{"libapriltag d1 + OpenCV SQPnP", plain, true},
                {"detect defaults (--calib)", detect_default},
                {"detect, fine pass unsharpened (before)", fine1},
                {"detect --no-fine-pass", no_fine},
                {"detect defaults before (sharp-template ECC)", detect_before},
                {"detect --no-refine-corners", no_refine},
                {"detect --decimate 1", matched}},
               field, scenes, lens);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rvkit-accuracy-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
