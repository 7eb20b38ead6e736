#include "rvkit/vision/pose.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/calib3d.hpp>

#include "rvkit/vision/cv_geometry.hpp"

namespace rvkit::vision {

using geometry::Pose3;

namespace {

// IPPE-square wants the corners as (-s/2, s/2, 0), (s/2, s/2, 0), (s/2, -s/2, 0), (-s/2, -s/2, 0):
// with libapriltag's order that is a frame with x to the viewer's right, y down, z into the tag.
// This rotation takes tag-frame coordinates (X out, Y right, Z up) into that frame.
const cv::Matx33d kSquareFromTag(0, 1, 0,
                                 0, 0, -1,
                                 -1, 0, 0);

cv::Mat dist_mat(const CameraCalibration& cal) { return cal.dist.empty() ? cv::Mat() : cv::Mat(cal.dist); }

double rms_error(const std::vector<cv::Point3d>& obj, const std::vector<cv::Point2d>& img, const cv::Vec3d& rvec,
                 const cv::Vec3d& tvec, const CameraCalibration& cal) {
  std::vector<cv::Point2d> proj;
  cv::projectPoints(obj, rvec, tvec, cv::Mat(cal.K), dist_mat(cal), proj);
  double s = 0;
  for (size_t i = 0; i < img.size(); ++i) {
    cv::Point2d d = proj[i] - img[i];
    s += d.dot(d);
  }
  return std::sqrt(s / double(img.size()));
}

}  // namespace

std::vector<TagDetection> project_layout(const geometry::FieldLayout& layout, const geometry::Pose3& field_to_camera,
                                         const CameraCalibration& cal, const geometry::TagSizes& sizes) {
  std::vector<TagDetection> out;
  const geometry::Pose3 camera_from_field = field_to_camera.inverse();
  const cv::Matx33d& optical = cv_from_camera();
  for (const auto& [id, field_to_tag] : layout.tags) {
    const geometry::Pose3 cam_tag = camera_from_field * field_to_tag;
    // The face (tag X) towards the camera: the tag-to-camera direction against the tag's normal.
    const geometry::Vec3 normal = cam_tag.R * geometry::Vec3{1, 0, 0};
    const geometry::Vec3 to_camera = -cam_tag.t;
    const double dist = to_camera.norm();
    if (dist < 1e-6 || (normal.x * to_camera.x + normal.y * to_camera.y + normal.z * to_camera.z) / dist <
                           std::cos(75 * M_PI / 180))
      continue;
    std::vector<cv::Point3d> pts;
    bool in_front = true;
    for (const cv::Vec3d& c : tag_corners(sizes.of(id))) {
      cv::Vec3d p = optical * to_cv(cam_tag.apply(from_cv(c)));
      in_front = in_front && p[2] > 0.3;
      pts.emplace_back(p[0], p[1], p[2]);
    }
    if (!in_front) continue;
    std::vector<cv::Point2d> px;
    cv::projectPoints(pts, cv::Vec3d(0, 0, 0), cv::Vec3d(0, 0, 0), cv::Mat(cal.K), dist_mat(cal), px);
    TagDetection d;
    d.id = id;
    bool inside = true;
    for (size_t k = 0; k < 4; ++k) {
      d.corners[k] = px[k];
      inside = inside && px[k].x >= 0 && px[k].y >= 0 && px[k].x <= cal.width - 1 && px[k].y <= cal.height - 1;
      d.center += px[k] / 4;
    }
    if (inside) out.push_back(d);
  }
  return out;
}

std::array<cv::Vec3d, 4> tag_corners(double size) {
  double h = size / 2;
  return {cv::Vec3d(0, -h, -h), cv::Vec3d(0, h, -h), cv::Vec3d(0, h, h), cv::Vec3d(0, -h, h)};
}

TagPose solve_tag_pose(const TagDetection& d, const CameraCalibration& cal, double tag_size) {
  TagPose out;
  std::vector<cv::Point3d> obj;
  for (const auto& c : tag_corners(tag_size)) {
    cv::Vec3d p = kSquareFromTag * c;
    obj.emplace_back(p[0], p[1], 0.0);
  }
  std::vector<cv::Point2d> img(d.corners.begin(), d.corners.end());
  std::vector<cv::Mat> rvecs, tvecs;
  try {
    cv::solvePnPGeneric(obj, img, cv::Mat(cal.K), dist_mat(cal), rvecs, tvecs, false, cv::SOLVEPNP_IPPE_SQUARE);
  } catch (const cv::Exception&) {
    return out;  // degenerate corners
  }
  for (size_t i = 0; i < rvecs.size(); ++i) {
    cv::Vec3d r(rvecs[i]), t(tvecs[i]);
    if (!std::isfinite(r[0] + r[1] + r[2] + t[0] + t[1] + t[2])) continue;
    TagPoseSolution s;
    s.camera_to_tag = camera_pose_from_cv(r, t, kSquareFromTag);
    s.error = rms_error(obj, img, r, t, cal);
    out.solutions.push_back(s);
  }
  std::sort(out.solutions.begin(), out.solutions.end(),
            [](const TagPoseSolution& a, const TagPoseSolution& b) { return a.error < b.error; });
  if (out.solutions.empty()) return out;
  if (out.solutions.size() >= 2) {
    double best = out.solutions[0].error, alt = out.solutions[1].error;
    out.ambiguity = alt > 0 ? best / alt : 1.0;
  }
  out.distance = out.solutions[0].camera_to_tag.t.norm();
  return out;
}

std::array<double, 3> vision_std_devs(double reproj_error, double distance, double focal_px, double span_m,
                                      bool single_tag, double ambiguity, double lever_arm_m) {
  double e = std::max(reproj_error, 1.0);
  double d = std::max(distance, 0.1);
  double s = std::max(span_m, 1e-3);
  double xy = std::max(0.02, 2 * e * d * d / (focal_px * s));
  double th = std::max(0.02, 4 * e * d / (focal_px * s));
  if (single_tag) {
    double k = 3 * (1 + 20 * std::clamp(ambiguity, 0.0, 1.0));
    xy *= k;
    th *= k;
  }
  xy = std::hypot(xy, th * lever_arm_m);
  return {xy, xy, th};
}

namespace {

// The corners of the layout's tags in view, grouped by tag (4 per tag, in order).
struct Correspondences {
  std::vector<size_t> det;           // index into dets, per tag
  std::vector<cv::Point3d> obj;      // field coordinates
  std::vector<cv::Point2d> img;      // pixels
  std::vector<cv::Point3d> centres;  // each tag's centre, field coordinates
};

Correspondences known_tags(const std::vector<TagDetection>& dets, const geometry::FieldLayout& layout,
                           const geometry::TagSizes& sizes) {
  Correspondences c;
  for (size_t i = 0; i < dets.size(); ++i) {
    const Pose3* field_to_tag = layout.find(dets[i].id);
    if (!field_to_tag) continue;
    const auto corners = tag_corners(sizes.of(dets[i].id));
    c.det.push_back(i);
    for (size_t k = 0; k < 4; ++k) {
      geometry::Vec3 p = field_to_tag->apply(from_cv(corners[k]));
      c.obj.emplace_back(p.x, p.y, p.z);
      c.img.push_back(dets[i].corners[k]);
    }
    c.centres.emplace_back(field_to_tag->t.x, field_to_tag->t.y, field_to_tag->t.z);
  }
  return c;
}

// Only the tags `keep` (indices into c.det) of c.
Correspondences subset(const Correspondences& c, const std::vector<size_t>& keep) {
  Correspondences s;
  for (size_t k : keep) {
    s.det.push_back(c.det[k]);
    s.centres.push_back(c.centres[k]);
    for (size_t j = 0; j < 4; ++j) {
      s.obj.push_back(c.obj[4 * k + j]);
      s.img.push_back(c.img[4 * k + j]);
    }
  }
  return s;
}

double span_of(const std::vector<cv::Point3d>& obj, double tag_size) {
  double span = tag_size;
  for (size_t a = 0; a < obj.size(); ++a)
    for (size_t b = a + 1; b < obj.size(); ++b) span = std::max(span, cv::norm(obj[a] - obj[b]));
  return span;
}

// Each tag's RMS reprojection error (4 corners per tag) under rvec/tvec.
std::vector<double> per_tag_errors(const std::vector<cv::Point3d>& obj, const std::vector<cv::Point2d>& img,
                                   const cv::Vec3d& rvec, const cv::Vec3d& tvec, const CameraCalibration& cal) {
  std::vector<cv::Point2d> proj;
  cv::projectPoints(obj, rvec, tvec, cv::Mat(cal.K), dist_mat(cal), proj);
  std::vector<double> out;
  for (size_t t = 0; t + 3 < img.size(); t += 4) {
    double s = 0;
    for (size_t k = t; k < t + 4; ++k) {
      cv::Point2d d = proj[k] - img[k];
      s += d.dot(d);
    }
    out.push_back(std::sqrt(s / 4));
  }
  return out;
}

double rms_of(const std::vector<double>& tag_errors) {
  double s = 0;
  for (double e : tag_errors) s += e * e;
  return tag_errors.empty() ? 0 : std::sqrt(s / double(tag_errors.size()));
}

// The tag to leave out under `o`, or -1: the worst, when far above the median of the others.
int outlier(const std::vector<double>& errors, const FieldPoseOptions& o) {
  if (errors.size() < 2 || !(o.outlier_factor > 0)) return -1;
  size_t worst = size_t(std::max_element(errors.begin(), errors.end()) - errors.begin());
  std::vector<double> others;
  for (size_t i = 0; i < errors.size(); ++i)
    if (i != worst) others.push_back(errors[i]);
  std::nth_element(others.begin(), others.begin() + long(others.size() / 2), others.end());
  double median = others[others.size() / 2];
  if (others.size() % 2 == 0) {
    double below = *std::max_element(others.begin(), others.begin() + long(others.size() / 2));
    median = (median + below) / 2;
  }
  double e = errors[worst];
  return e > o.outlier_floor_px && e > o.outlier_factor * median ? int(worst) : -1;
}

// The tag of `keep` (an index into it) to leave out, or -1. Two tags: the joint fit's errors decide
// (outlier() above; two tags rarely can say which is wrong). Three or more: a joint fit spreads one
// bad tag's error over all, so the subsets without one tag are compared instead: the tag whose
// absence leaves the most consistent fit (lowest RMS error of the others) is left out when the joint
// RMS error is above the floor and more than `outlier_factor` times that subset's.
// `errors_without(k)`: every kept tag's error under the pose solved without keep[k] (empty when that
// solve fails).
template <class ErrorsWithout>
int find_outlier(size_t n, const std::vector<double>& joint_errors, const FieldPoseOptions& o, ErrorsWithout errors_without) {
  if (n < 2 || !(o.outlier_factor > 0)) return -1;
  if (n == 2) return outlier(joint_errors, o);
  double joint = rms_of(joint_errors);
  if (!(joint > o.outlier_floor_px)) return -1;
  int best = -1;
  double best_rms = 0;
  for (size_t k = 0; k < n; ++k) {
    std::vector<double> e = errors_without(k);
    if (e.size() != n) continue;
    e.erase(e.begin() + long(k));
    double r = rms_of(e);
    if (best < 0 || r < best_rms) {
      best = int(k);
      best_rms = r;
    }
  }
  return best >= 0 && joint > o.outlier_factor * best_rms ? best : -1;
}

// SQPnP over every corner, then Levenberg-Marquardt. False when the solver fails.
bool solve_multi(const Correspondences& c, const CameraCalibration& cal, bool refine, cv::Vec3d& r, cv::Vec3d& t) {
  cv::Mat rvec, tvec;
  try {
    if (!cv::solvePnP(c.obj, c.img, cv::Mat(cal.K), dist_mat(cal), rvec, tvec, false, cv::SOLVEPNP_SQPNP)) return false;
    if (refine) cv::solvePnPRefineLM(c.obj, c.img, cv::Mat(cal.K), dist_mat(cal), rvec, tvec);
  } catch (const cv::Exception&) {
    return false;
  }
  r = cv::Vec3d(rvec);
  t = cv::Vec3d(tvec);
  return std::isfinite(r[0] + r[1] + r[2] + t[0] + t[1] + t[2]);
}

}  // namespace

std::optional<FieldPose> solve_field_pose(const std::vector<TagDetection>& dets, const std::vector<TagPose>& tag_poses,
                                          const geometry::FieldLayout& layout, const CameraCalibration& cal,
                                          const geometry::TagSizes& tag_size, const std::optional<Pose3>& robot_to_camera,
                                          const FieldPoseOptions& options) {
  const Correspondences all = known_tags(dets, layout, tag_size);
  if (all.det.empty()) return std::nullopt;

  FieldPose fp;
  std::vector<size_t> keep(all.det.size());
  for (size_t k = 0; k < keep.size(); ++k) keep[k] = k;
  cv::Vec3d r, t;
  bool multi = false;
  while (keep.size() >= 2) {
    Correspondences c = subset(all, keep);
    if (!solve_multi(c, cal, options.refine, r, t)) return std::nullopt;
    multi = true;
    int w = find_outlier(keep.size(), per_tag_errors(c.obj, c.img, r, t, cal), options, [&](size_t k) {
      std::vector<size_t> others = keep;
      others.erase(others.begin() + long(k));
      cv::Vec3d rk, tk;
      if (!solve_multi(subset(all, others), cal, options.refine, rk, tk)) return std::vector<double>();
      return per_tag_errors(c.obj, c.img, rk, tk, cal);
    });
    if (w < 0) break;
    keep.erase(keep.begin() + w);
    multi = false;
  }
  const Correspondences used = subset(all, keep);
  for (size_t i : used.det) fp.tag_ids.push_back(dets[i].id);
  double span = 0;
  for (size_t i : used.det) span = std::max(span, tag_size.of(dets[i].id));
  span = span_of(used.obj, span);

  if (multi) {
    fp.multi_tag = true;
    fp.camera = camera_pose_from_cv(r, t).inverse();
    fp.tag_errors = per_tag_errors(used.obj, used.img, r, t, cal);
    fp.error = rms_of(fp.tag_errors);
    double dsum = 0;
    for (size_t i : used.det) dsum += fp.camera.inverse().apply(layout.find(dets[i].id)->t).norm();
    fp.distance = dsum / double(used.det.size());
  } else {
    size_t i = used.det[0];
    if (i >= tag_poses.size() || tag_poses[i].solutions.empty()) return std::nullopt;
    const TagPose& tp = tag_poses[i];
    const Pose3& field_to_tag = *layout.find(dets[i].id);
    fp.camera = field_to_tag * tp.solutions[0].camera_to_tag.inverse();
    fp.error = tp.solutions[0].error;
    fp.tag_errors = {fp.error};
    fp.ambiguity = tp.ambiguity;
    fp.distance = tp.distance;
  }
  if (keep.size() < all.det.size()) {
    // The outliers' errors under the pose kept, so a reader sees how far off they are.
    Pose3 cam_from_field = fp.camera.inverse();
    cv::Matx33d R = cv_from_camera() * to_cv(cam_from_field.R);
    cv::Vec3d rv, tv = cv_from_camera() * to_cv(cam_from_field.t);
    cv::Rodrigues(R, rv);
    std::vector<double> errs = per_tag_errors(all.obj, all.img, rv, tv, cal);
    for (size_t k = 0; k < all.det.size(); ++k)
      if (std::find(keep.begin(), keep.end(), k) == keep.end()) fp.rejected.push_back({dets[all.det[k]].id, errs[k]});
  }
  double lever = 0;
  if (robot_to_camera) {
    fp.robot = fp.camera * robot_to_camera->inverse();
    lever = std::hypot(robot_to_camera->t[0], robot_to_camera->t[1]);
  }
  fp.std_devs = vision_std_devs(fp.error, fp.distance, (cal.fx() + cal.fy()) / 2, span, !fp.multi_tag, fp.ambiguity,
                                lever);
  return fp;
}

namespace {

// The camera position solve with the rotation known: optical <- field rotation R, unknown t
// (p_optical = R p + t). Linear least squares on normalised points, then Gauss-Newton in pixels.
// Returns false when degenerate. `JtJ` is the last normal matrix (pixels per metre, squared).
bool solve_translation(const Correspondences& c, const CameraCalibration& cal, const cv::Matx33d& R, cv::Vec3d& t,
                       cv::Matx33d& JtJ) {
  const size_t n = c.obj.size();
  std::vector<cv::Point2d> norm;
  try {
    cv::undistortPoints(c.img, norm, cv::Mat(cal.K), dist_mat(cal));
  } catch (const cv::Exception&) {
    return false;
  }
  cv::Mat A(int(2 * n), 3, CV_64F), b(int(2 * n), 1, CV_64F);
  for (size_t i = 0; i < n; ++i) {
    cv::Vec3d a = R * cv::Vec3d(c.obj[i].x, c.obj[i].y, c.obj[i].z);
    int r0 = int(2 * i);
    // x (a_z + t_z) = a_x + t_x   and   y (a_z + t_z) = a_y + t_y
    A.at<double>(r0, 0) = 1;
    A.at<double>(r0, 1) = 0;
    A.at<double>(r0, 2) = -norm[i].x;
    b.at<double>(r0) = norm[i].x * a[2] - a[0];
    A.at<double>(r0 + 1, 0) = 0;
    A.at<double>(r0 + 1, 1) = 1;
    A.at<double>(r0 + 1, 2) = -norm[i].y;
    b.at<double>(r0 + 1) = norm[i].y * a[2] - a[1];
  }
  cv::Mat x;
  if (!cv::solve(A, b, x, cv::DECOMP_SVD)) return false;
  t = cv::Vec3d(x);
  cv::Vec3d rvec;
  cv::Rodrigues(R, rvec);
  for (int iter = 0; iter < 10; ++iter) {
    std::vector<cv::Point2d> proj;
    cv::Mat jac;
    try {
      cv::projectPoints(c.obj, rvec, t, cv::Mat(cal.K), dist_mat(cal), proj, jac);
    } catch (const cv::Exception&) {
      return false;
    }
    cv::Matx33d H = cv::Matx33d::zeros();
    cv::Vec3d g(0, 0, 0);
    for (size_t i = 0; i < n; ++i) {
      cv::Point2d res = proj[i] - c.img[i];
      for (int k = 0; k < 2; ++k) {
        const double* row = jac.ptr<double>(int(2 * i) + k) + 3;  // columns 3..5: d/dt
        double rk = k == 0 ? res.x : res.y;
        for (int u = 0; u < 3; ++u) {
          g[u] += row[u] * rk;
          for (int v = 0; v < 3; ++v) H(u, v) += row[u] * row[v];
        }
      }
    }
    JtJ = H;
    cv::Vec3d dt;
    if (!cv::solve(H, -g, dt, cv::DECOMP_CHOLESKY)) return false;
    t += dt;
    if (cv::norm(dt) < 1e-9) break;
  }
  return std::isfinite(t[0] + t[1] + t[2]);
}

}  // namespace

std::optional<FieldPose> solve_constrained_pose(const std::vector<TagDetection>& dets, const geometry::FieldLayout& layout,
                                                const CameraCalibration& cal, const geometry::TagSizes& tag_size,
                                                const Pose3& robot_to_camera,
                                                const HeadingConstraint& heading, const FieldPoseOptions& options,
                                                std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<FieldPose> {
    if (why) *why = reason;
    return std::nullopt;
  };
  const Correspondences all = known_tags(dets, layout, tag_size);
  if (all.det.empty()) return fail("no tag of the layout in view");
  const Pose3 field_to_robot_rot = Pose3::from_xyz_rpy(0, 0, 0, 0, 0, heading.yaw);
  const geometry::Mat3 field_R_camera = field_to_robot_rot.R * robot_to_camera.R;
  const cv::Matx33d R = cv_from_camera() * to_cv(field_R_camera.transposed());  // optical <- field

  std::vector<size_t> keep(all.det.size());
  for (size_t k = 0; k < keep.size(); ++k) keep[k] = k;
  cv::Vec3d t;
  cv::Matx33d JtJ;
  std::vector<double> errs;
  cv::Vec3d rvec;
  cv::Rodrigues(R, rvec);
  for (;;) {
    Correspondences c = subset(all, keep);
    if (!solve_translation(c, cal, R, t, JtJ)) return fail("the constrained solve failed (degenerate corners)");
    errs = per_tag_errors(c.obj, c.img, rvec, t, cal);
    int w = find_outlier(keep.size(), errs, options, [&](size_t k) {
      std::vector<size_t> others = keep;
      others.erase(others.begin() + long(k));
      cv::Vec3d tk;
      cv::Matx33d unused;
      if (!solve_translation(subset(all, others), cal, R, tk, unused)) return std::vector<double>();
      return per_tag_errors(c.obj, c.img, rvec, tk, cal);
    });
    if (w < 0) break;
    keep.erase(keep.begin() + w);
  }
  const Correspondences used = subset(all, keep);
  FieldPose fp;
  fp.heading_constrained = true;
  fp.multi_tag = used.det.size() >= 2;
  for (size_t i : used.det) fp.tag_ids.push_back(dets[i].id);
  fp.tag_errors = errs;
  fp.error = rms_of(errs);
  // camera centre in the field: p_optical = R (p - c)  =>  c = -R^T t
  cv::Vec3d centre = -(R.t() * t);
  fp.camera = Pose3{field_R_camera, from_cv(centre)};
  fp.robot = fp.camera * robot_to_camera.inverse();
  double dsum = 0;
  for (const auto& p : used.centres) dsum += cv::norm(cv::Vec3d(p.x, p.y, p.z) - centre);
  fp.distance = dsum / double(used.centres.size());
  if (keep.size() < all.det.size()) {
    std::vector<double> all_errs = per_tag_errors(all.obj, all.img, rvec, t, cal);
    for (size_t k = 0; k < all.det.size(); ++k)
      if (std::find(keep.begin(), keep.end(), k) == keep.end()) fp.rejected.push_back({dets[all.det[k]].id, all_errs[k]});
  }
  // Covariance of t for a corner noise of sigma px: sigma^2 (J^T J)^-1; the centre's is R^T cov R.
  double sigma = std::max(fp.error, 1.0);
  cv::Matx33d cov_t = JtJ.inv(cv::DECOMP_SVD) * (sigma * sigma);
  cv::Matx33d cov_c = R.t() * cov_t * R;
  double lateral = heading.sigma_yaw * fp.distance;  // a heading error swings the pose about the tags
  double sx = std::hypot(std::sqrt(std::max(cov_c(0, 0), 0.0)), lateral);
  double sy = std::hypot(std::sqrt(std::max(cov_c(1, 1), 0.0)), lateral);
  fp.std_devs = {std::max(0.01, sx), std::max(0.01, sy), 1e6};
  return fp;
}

}  // namespace rvkit::vision
