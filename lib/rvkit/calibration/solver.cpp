// The solve (OpenCV), outlier views and corners, uncertainty, and the files calib writes (OpenCV YAML,
// PhotonVision JSON, mrcal's corners file).
#include "rvkit/calibration/solver.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/core/option_error.hpp"

namespace rvkit::calibration {

Model parse_model(const std::string& name) {
  if (name == "pinhole5") return Model::pinhole5;
  if (name == "rational8") return Model::rational8;
  if (name == "fisheye4") return Model::fisheye4;
  throw OptionError("--model", name, "expected pinhole5, rational8 or fisheye4");
}

const char* model_name(Model m) {
  switch (m) {
    case Model::pinhole5: return "pinhole5";
    case Model::rational8: return "rational8";
    case Model::fisheye4: return "fisheye4";
  }
  return "?";
}

int Solution::views_used() const {
  return static_cast<int>(std::count_if(views.begin(), views.end(), [](const ViewError& v) { return v.used; }));
}

namespace {

struct Raw {
  cv::Matx33d K;
  cv::Mat dist;
  std::vector<cv::Mat> rvecs, tvecs;
  std::vector<double> std_dev;
  std::vector<double> per_view;
  double rms = 0;  // over all corners
};

double view_rms(const std::vector<cv::Point3f>& obj, const std::vector<cv::Point2f>& img, const cv::Mat& rvec,
                const cv::Mat& tvec, const cv::Matx33d& K, const cv::Mat& dist, bool fisheye) {
  std::vector<cv::Point2f> proj;
  if (fisheye) {
    std::vector<cv::Point3d> o(obj.begin(), obj.end());
    std::vector<cv::Point2d> p;
    cv::fisheye::projectPoints(o, p, rvec, tvec, K, dist);
    for (auto& q : p) proj.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
  } else {
    cv::projectPoints(obj, rvec, tvec, K, dist, proj);
  }
  double sum = 0;
  for (size_t i = 0; i < img.size(); ++i) {
    cv::Point2f d = img[i] - proj[i];
    sum += d.dot(d);
  }
  return std::sqrt(sum / std::max<size_t>(1, img.size()));
}

Raw solve_once(const std::vector<const BoardView*>& views, cv::Size size, Model model) {
  std::vector<std::vector<cv::Point3f>> obj;
  std::vector<std::vector<cv::Point2f>> img;
  for (auto* v : views) {
    obj.push_back(v->object_points);
    img.push_back(v->image_points);
  }
  Raw r;
  cv::Mat K;
  try {
    if (model == Model::fisheye4) {
      cv::Mat D;
      int flags = cv::fisheye::CALIB_RECOMPUTE_EXTRINSIC | cv::fisheye::CALIB_FIX_SKEW;
      r.rms = cv::fisheye::calibrate(obj, img, size, K, D, r.rvecs, r.tvecs, flags,
                             cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 100, 1e-9));
      r.dist = D.reshape(1, 1);
    } else {
      int flags = model == Model::rational8 ? cv::CALIB_RATIONAL_MODEL : 0;
      cv::Mat std_intr, std_extr, per_view;
      r.rms = cv::calibrateCamera(obj, img, size, K, r.dist, r.rvecs, r.tvecs, std_intr, std_extr, per_view, flags);
      // calibrateCamera returns 14 deviations (all of its coefficients); keep the model's.
      size_t n = 4 + (model == Model::rational8 ? 8 : 5);
      for (size_t i = 0; i < n && i < std_intr.total(); ++i) r.std_dev.push_back(std_intr.at<double>(static_cast<int>(i)));
      r.dist = r.dist.reshape(1, 1).colRange(0, static_cast<int>(n - 4)).clone();
    }
  } catch (const cv::Exception& e) {
    throw Error(fmt::format("calibration failed ({} views, model {}): {}", views.size(), model_name(model), e.err));
  }
  r.K = cv::Matx33d(K);
  for (size_t i = 0; i < views.size(); ++i)
    r.per_view.push_back(view_rms(obj[i], img[i], r.rvecs[i], r.tvecs[i], r.K, r.dist, model == Model::fisheye4));
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Each corner's reprojection error (px) under a solve of `views`.
std::vector<std::vector<double>> corner_errors(const std::vector<const BoardView*>& views, const Raw& r, bool fisheye) {
  std::vector<std::vector<double>> out;
  for (size_t k = 0; k < views.size(); ++k) {
    const BoardView& v = *views[k];
    std::vector<cv::Point2f> proj;
    if (fisheye) {
      std::vector<cv::Point3d> o(v.object_points.begin(), v.object_points.end());
      std::vector<cv::Point2d> p;
      cv::fisheye::projectPoints(o, p, r.rvecs[k], r.tvecs[k], r.K, r.dist);
      for (auto& q : p) proj.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
    } else {
      cv::projectPoints(v.object_points, r.rvecs[k], r.tvecs[k], r.K, r.dist, proj);
    }
    std::vector<double> e;
    for (size_t i = 0; i < v.image_points.size(); ++i) e.push_back(cv::norm(v.image_points[i] - proj[i]));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Solution solve(const std::vector<BoardView>& views_in, cv::Size size, const SolveOptions& opt) {
  std::vector<int> used;
  for (size_t i = 0; i < views_in.size(); ++i)
    if (!views_in[i].empty()) used.push_back(static_cast<int>(i));
  if (static_cast<int>(used.size()) < opt.min_views)
    throw Error(fmt::format("too few views to calibrate: {} with the board found, at least {} needed", used.size(),
                            opt.min_views));
  Solution s;
  s.model = opt.model;
  s.views.resize(views_in.size());
  for (size_t i = 0; i < views_in.size(); ++i) s.views[i] = ViewError{static_cast<int>(i), 0, !views_in[i].empty()};
  std::vector<BoardView> views = views_in;  // corners found to be outliers are taken out of these copies
  const size_t max_rejected = used.size() / 4;
  size_t rejected = 0;
  const bool fisheye = opt.model == Model::fisheye4;
  Raw r;
  auto used_views = [&] {
    std::vector<const BoardView*> vs;
    for (int i : used) vs.push_back(&views[static_cast<size_t>(i)]);
    return vs;
  };
  for (;;) {
    r = solve_once(used_views(), size, opt.model);
    for (size_t k = 0; k < used.size(); ++k) s.views[static_cast<size_t>(used[k])].rms_px = r.per_view[k];
    // The worst view goes if it is far worse than the typical one; then solve again without it.
    double limit = std::max(opt.outlier_factor * median(r.per_view), opt.outlier_floor_px);
    size_t worst = static_cast<size_t>(std::max_element(r.per_view.begin(), r.per_view.end()) - r.per_view.begin());
    if (r.per_view[worst] <= limit || rejected >= max_rejected || static_cast<int>(used.size()) <= opt.min_views) break;
    s.views[static_cast<size_t>(used[worst])].used = false;
    used.erase(used.begin() + static_cast<long>(worst));
    ++rejected;
  }
  // Then single corners: those off by more than corner_outlier_sigma x the residuals' standard
  // deviation (per coordinate, as mrcal measures it) leave, and the solve is repeated, until none is
  // left (at most 10 rounds, at most a tenth of the corners, and a view keeps at least 6).
  int total_corners = 0;
  for (int i : used) total_corners += static_cast<int>(views[static_cast<size_t>(i)].image_points.size());
  double corner_sigma = opt.corner_outlier_sigma;
  if (corner_sigma < 0)
    corner_sigma = std::any_of(used.begin(), used.end(), [&](int i) { return views[static_cast<size_t>(i)].markers > 0; })
                       ? 3.0
                       : 0.0;
  for (int round = 0; corner_sigma > 0 && round < 10; ++round) {
    auto errs = corner_errors(used_views(), r, fisheye);
    double sum = 0;
    int n = 0;
    for (auto& e : errs)
      for (double x : e) {
        sum += x * x;
        ++n;
      }
    const double sigma = std::sqrt(sum / std::max(1, 2 * n));  // per coordinate
    // A corner's error is the norm of two coordinates: compare it with the 2-D radius.
    const double limit = corner_sigma * sigma * std::sqrt(2.0);
    int dropped = 0;
    std::vector<BoardView> before = views;
    for (size_t k = 0; k < used.size(); ++k) {
      BoardView& v = views[static_cast<size_t>(used[k])];
      BoardView kept;
      kept.markers = v.markers;
      int left = static_cast<int>(v.image_points.size());
      for (size_t i = 0; i < v.image_points.size(); ++i) {
        if (errs[k][i] > limit && s.corners_rejected + dropped < total_corners / 10 && left > 6) {
          ++dropped;
          --left;
          continue;
        }
        kept.image_points.push_back(v.image_points[i]);
        kept.object_points.push_back(v.object_points[i]);
        kept.ids.push_back(v.ids.empty() ? static_cast<int>(i) : v.ids[i]);
      }
      v = std::move(kept);
    }
    if (dropped == 0) break;
    // Leaving out outliers lowers the RMS. A round that raises it has fallen into a wrong minimum:
    // on one of 8 render sets, the 6th of 8 rounds (a view whittled to a few corners whose pose then
    // flipped) jumped to fx -34% with an RMS of 5 px from 0.02 px. Such a round is undone and the
    // rejection ends with the round before.
    Raw next = solve_once(used_views(), size, opt.model);
    if (next.rms > r.rms * 1.01 + 1e-6) {
      views = std::move(before);
      break;
    }
    r = std::move(next);
    s.corners_rejected += dropped;
    for (size_t k = 0; k < used.size(); ++k) s.views[static_cast<size_t>(used[k])].rms_px = r.per_view[k];
  }
  s.calib.K = r.K;
  s.calib.dist.assign(r.dist.begin<double>(), r.dist.end<double>());
  s.calib.width = size.width;
  s.calib.height = size.height;
  s.std_intrinsics = r.std_dev;
  double sum = 0;
  int n = 0;
  for (size_t k = 0; k < used.size(); ++k) {
    int c = static_cast<int>(views[static_cast<size_t>(used[k])].image_points.size());
    sum += r.per_view[k] * r.per_view[k] * c;
    n += c;
    s.rvecs.emplace_back(r.rvecs[k]);
    s.tvecs.emplace_back(r.tvecs[k]);
  }
  s.corners = n;
  s.rms_px = std::sqrt(sum / std::max(1, n));
  if (opt.model != Model::fisheye4) {
    // Gauss-Newton covariance: J over all used views (intrinsics shared, a pose per view).
    const int ni = 4 + static_cast<int>(s.calib.dist.size());
    const int np = ni + 6 * static_cast<int>(used.size());
    cv::Mat JtJ = cv::Mat::zeros(np, np, CV_64F);
    for (size_t k = 0; k < used.size(); ++k) {
      const BoardView& v = views[static_cast<size_t>(used[k])];
      std::vector<cv::Point2d> proj;
      cv::Mat jac;
      std::vector<cv::Point3d> obj(v.object_points.begin(), v.object_points.end());
      cv::projectPoints(obj, r.rvecs[k], r.tvecs[k], cv::Mat(r.K), r.dist, proj, jac);
      // jac columns: rvec(3) tvec(3) f(2) c(2) dist(n)
      cv::Mat J = cv::Mat::zeros(jac.rows, np, CV_64F);
      jac.colRange(6, 6 + ni).copyTo(J.colRange(0, ni));
      jac.colRange(0, 6).copyTo(J.colRange(ni + 6 * static_cast<int>(k), ni + 6 * static_cast<int>(k) + 6));
      JtJ += J.t() * J;
    }
    int dof = 2 * n - np;
    if (dof > 0) {
      double var = sum / dof;  // sum: the squared residuals, x and y, of all used corners
      cv::Mat cov = JtJ.inv(cv::DECOMP_SVD) * var;
      s.cov_intrinsics = cov(cv::Rect(0, 0, ni, ni)).clone();
      // The 1-sigma reported: this covariance's, which is mrcal's on the same problem (calib_mrcal);
      // OpenCV's stdDeviationsIntrinsics are about 1.5x larger there.
      s.std_intrinsics.clear();
      for (int i = 0; i < ni; ++i) s.std_intrinsics.push_back(std::sqrt(s.cov_intrinsics.at<double>(i, i)));
    }
  }
  return s;
}

namespace {

// Pixels on a grid over the image (a margin of 2% kept clear of the edge).
std::vector<cv::Point2d> image_grid(int w, int h, int steps = 12) {
  std::vector<cv::Point2d> g;
  for (int j = 0; j <= steps; ++j)
    for (int i = 0; i <= steps; ++i) g.emplace_back(w * (0.02 + 0.96 * i / steps), h * (0.02 + 0.96 * j / steps));
  return g;
}

// Normalised rays (x/z, y/z) of pixels.
std::vector<cv::Point2d> undistort(const std::vector<cv::Point2d>& px, const vision::CameraCalibration& c, bool fisheye) {
  std::vector<cv::Point2d> out;
  cv::Mat K(c.K), D(c.dist);
  if (fisheye) cv::fisheye::undistortPoints(px, out, K, D);
  else cv::undistortPoints(px, out, K, D, cv::noArray(), cv::noArray(),
                           cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 50, 1e-12));
  return out;
}

std::vector<cv::Point2d> project(const std::vector<cv::Point2d>& rays, const vision::CameraCalibration& c, bool fisheye) {
  std::vector<cv::Point3d> pts;
  for (auto& r : rays) pts.emplace_back(r.x, r.y, 1.0);
  std::vector<cv::Point2d> out;
  cv::Mat K(c.K), D(c.dist);
  cv::Vec3d zero(0, 0, 0);
  if (fisheye) cv::fisheye::projectPoints(pts, out, zero, zero, K, D);
  else cv::projectPoints(pts, zero, zero, K, D, out);
  return out;
}

}  // namespace

double max_reprojection_difference_px(const vision::CameraCalibration& a, const vision::CameraCalibration& b, bool fisheye) {
  auto px = image_grid(a.width, a.height);
  auto back = project(undistort(px, a, fisheye), b, fisheye);
  double worst = 0;
  for (size_t i = 0; i < px.size(); ++i) worst = std::max(worst, cv::norm(px[i] - back[i]));
  return worst;
}

double max_distortion_difference_px(const vision::CameraCalibration& a, const vision::CameraCalibration& b) {
  vision::CameraCalibration mixed = a;  // a's K, b's distortion
  mixed.dist = b.dist;
  return max_reprojection_difference_px(a, mixed);
}

ProjectionUncertainty projection_uncertainty(const Solution& s, double distance_m, int samples) {
  ProjectionUncertainty u;
  u.distance_m = distance_m;
  if (s.cov_intrinsics.empty()) return u;
  const int ni = s.cov_intrinsics.rows;
  // Samples from N(0, cov) through the Cholesky factor (SVD: tolerant of a near-singular matrix).
  cv::Mat w, U, Vt;
  cv::SVD::compute(s.cov_intrinsics, w, U, Vt);
  cv::Mat L = U.clone();
  for (int i = 0; i < ni; ++i) L.col(i) = U.col(i) * std::sqrt(std::max(0.0, w.at<double>(i)));
  auto px = image_grid(s.calib.width, s.calib.height);
  auto rays = undistort(px, s.calib, false);
  std::mt19937 rng(12345);  // fixed: the same solution always reports the same figure
  std::normal_distribution<double> n01;
  double sum = 0;
  long count = 0;
  for (int k = 0; k < samples; ++k) {
    vision::CameraCalibration c = s.calib;
    cv::Mat z(ni, 1, CV_64F);
    for (int i = 0; i < ni; ++i) z.at<double>(i) = n01(rng);
    cv::Mat d = L * z;
    c.K(0, 0) += d.at<double>(0);
    c.K(1, 1) += d.at<double>(1);
    c.K(0, 2) += d.at<double>(2);
    c.K(1, 2) += d.at<double>(3);
    for (size_t i = 0; i < c.dist.size(); ++i) c.dist[i] += d.at<double>(4 + static_cast<int>(i));
    auto p = project(rays, c, false);
    for (size_t i = 0; i < px.size(); ++i) {
      double d = cv::norm(p[i] - px[i]);
      sum += d * d;
      ++count;
      u.max_px = std::max(u.max_px, d);
    }
  }
  u.rms_px = std::sqrt(sum / std::max(1L, count));
  double f = 0.5 * (s.calib.fx() + s.calib.fy());
  u.rms_m = u.rms_px * distance_m / f;
  u.max_m = u.max_px * distance_m / f;
  return u;
}

namespace {

void check_written(std::ofstream& f, const std::string& path) {
  if (!f) throw Error(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
}

}  // namespace

void write_opencv_yaml(const std::string& path, const Solution& s, const BoardSpec& board) {
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE | cv::FileStorage::FORMAT_YAML);
    if (!fs.isOpened()) throw Error(fmt::format("cannot write '{}'", path));
    fs.writeComment("Camera calibration by rvkit calib; read by detect --calib (OpenCV FileStorage).");
    fs << "image_width" << s.calib.width << "image_height" << s.calib.height;
    fs << "camera_matrix" << cv::Mat(s.calib.K);
    fs << "distortion_model" << (s.model == Model::fisheye4 ? "fisheye" : s.model == Model::rational8 ? "rational_polynomial" : "plumb_bob");
    fs << "distortion_coefficients" << cv::Mat(s.calib.dist, true).reshape(1, 1);
    fs << "model" << model_name(s.model);
    fs << "board" << board.to_string();
    fs << "rms_px" << s.rms_px;
    fs << "views_used" << s.views_used() << "views" << static_cast<int>(s.views.size());
    std::vector<double> errs;
    for (auto& v : s.views) errs.push_back(v.used ? v.rms_px : -v.rms_px);
    fs.writeComment("per view RMS reprojection error, px; negative: the view was rejected as an outlier");
    fs << "per_view_errors" << errs;
    if (!s.std_intrinsics.empty()) {
      fs.writeComment("1-sigma of fx fy cx cy and the distortion coefficients (calibrateCamera)");
      fs << "std_intrinsics" << s.std_intrinsics;
    }
    fs.release();
  } catch (const cv::Exception& e) {
    throw Error(fmt::format("cannot write '{}': {}", path, e.err));
  }
}

void write_photonvision_json(const std::string& path, const Solution& s, const BoardSpec& board) {
  if (s.model == Model::fisheye4)
    throw OptionError("--photonvision needs --model pinhole5 or rational8 (PhotonVision's OpenCV model; fisheye4 has no equivalent)");
  auto matrix = [](int rows, int cols, const std::vector<double>& data) {
    return Json{{"rows", rows}, {"cols", cols}, {"type", 6 /* CV_64F */}, {"data", data}};
  };
  std::vector<double> k(s.calib.K.val, s.calib.K.val + 9);
  Json per_view = Json::array();
  for (auto& v : s.views)
    if (v.used) per_view.push_back(v.rms_px);
  double sd = 0;  // PhotonVision's "standardDeviation": of the per-view errors
  if (!per_view.empty()) {
    double mean = 0;
    for (auto& e : per_view) mean += e.get<double>();
    mean /= per_view.size();
    for (auto& e : per_view) sd += (e.get<double>() - mean) * (e.get<double>() - mean);
    sd = std::sqrt(sd / per_view.size());
  }
  Json j = {
      {"resolution", {{"width", s.calib.width}, {"height", s.calib.height}}},
      {"cameraIntrinsics", matrix(3, 3, k)},
      {"distCoeffs", matrix(1, static_cast<int>(s.calib.dist.size()), s.calib.dist)},
      {"perViewErrors", per_view},
      {"standardDeviation", sd},
      {"calobjectSize", {{"width", board.inner_cols()}, {"height", board.inner_rows()}}},
      {"calobjectSpacing", board.square_m},
  };
  std::ofstream f(path, std::ios::trunc);
  check_written(f, path);
  f << j.dump(1) << "\n";
  f.close();
  check_written(f, path);
}

void write_mrcal_corners(const std::string& path, const std::vector<BoardView>& views,
                         const std::vector<std::string>& names, const Solution& s, const Board& board) {
  const auto& spec = board.spec();
  const int W = spec.inner_cols(), H = spec.inner_rows();
  // mrcal's grid point (i, j) is at (i, j) x spacing: index each corner by its board position.
  float x0 = 1e9f, y0 = 1e9f;
  for (const auto& p : board.corners()) {
    x0 = std::min(x0, p.x);
    y0 = std::min(y0, p.y);
  }
  auto grid_index = [&](const cv::Point3f& p) {
    int i = static_cast<int>(std::lround((p.x - x0) / spec.square_m));
    int j = static_cast<int>(std::lround((p.y - y0) / spec.square_m));
    if (i < 0 || i >= W || j < 0 || j >= H)
      throw Error(fmt::format("corner at ({}, {}) m is not on the {}x{} grid of {}", p.x, p.y, W, H, spec.to_string()));
    return j * W + i;
  };
  std::ofstream f(path, std::ios::trunc);
  check_written(f, path);
  f << "# filename x y level\n";
  for (const auto& ve : s.views) {
    if (!ve.used) continue;
    if (ve.index < 0 || ve.index >= static_cast<int>(views.size()) || ve.index >= static_cast<int>(names.size()))
      throw Error(fmt::format("view {} of the solution is not among the {} views given", ve.index, views.size()));
    const BoardView& v = views[ve.index];
    std::vector<const cv::Point2f*> grid(static_cast<size_t>(W * H), nullptr);
    for (size_t k = 0; k < v.image_points.size(); ++k) grid[grid_index(v.object_points[k])] = &v.image_points[k];
    const std::string& name = names[ve.index];
    for (const auto* p : grid) {
      if (p) f << fmt::format("{} {:.4f} {:.4f} 0\n", name, p->x, p->y);
      else f << name << " nan nan -\n";  // not found: see solver.hpp
    }
  }
  f.close();
  check_written(f, path);
}

}  // namespace rvkit::calibration
