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

std::optional<FieldPose> solve_field_pose(const std::vector<TagDetection>& dets, const std::vector<TagPose>& tag_poses,
                                          const geometry::FieldLayout& layout, const CameraCalibration& cal, double tag_size,
                                          const std::optional<Pose3>& robot_to_camera) {
  std::vector<size_t> known;
  for (size_t i = 0; i < dets.size(); ++i)
    if (layout.find(dets[i].id)) known.push_back(i);
  if (known.empty()) return std::nullopt;

  FieldPose fp;
  const auto corners = tag_corners(tag_size);
  std::vector<cv::Point3d> obj;
  std::vector<cv::Point2d> img;
  for (size_t i : known) {
    const Pose3& field_to_tag = *layout.find(dets[i].id);
    for (size_t k = 0; k < 4; ++k) {
      geometry::Vec3 p = field_to_tag.apply(from_cv(corners[k]));
      obj.emplace_back(p.x, p.y, p.z);
      img.push_back(dets[i].corners[k]);
    }
    fp.tag_ids.push_back(dets[i].id);
  }
  double span = tag_size;
  for (size_t a = 0; a < obj.size(); ++a)
    for (size_t b = a + 1; b < obj.size(); ++b) span = std::max(span, cv::norm(obj[a] - obj[b]));

  if (known.size() >= 2) {
    cv::Mat rvec, tvec;
    try {
      if (!cv::solvePnP(obj, img, cv::Mat(cal.K), dist_mat(cal), rvec, tvec, false, cv::SOLVEPNP_SQPNP))
        return std::nullopt;
    } catch (const cv::Exception&) {
      return std::nullopt;
    }
    cv::Vec3d r(rvec), t(tvec);
    if (!std::isfinite(r[0] + r[1] + r[2] + t[0] + t[1] + t[2])) return std::nullopt;
    fp.multi_tag = true;
    fp.camera = camera_pose_from_cv(r, t).inverse();
    fp.error = rms_error(obj, img, r, t, cal);
    double dsum = 0;
    for (size_t i : known) dsum += fp.camera.inverse().apply(layout.find(dets[i].id)->t).norm();
    fp.distance = dsum / double(known.size());
  } else {
    size_t i = known[0];
    if (i >= tag_poses.size() || tag_poses[i].solutions.empty()) return std::nullopt;
    const TagPose& tp = tag_poses[i];
    const Pose3& field_to_tag = *layout.find(dets[i].id);
    fp.camera = field_to_tag * tp.solutions[0].camera_to_tag.inverse();
    fp.error = tp.solutions[0].error;
    fp.ambiguity = tp.ambiguity;
    fp.distance = tp.distance;
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

}  // namespace rvkit::vision
