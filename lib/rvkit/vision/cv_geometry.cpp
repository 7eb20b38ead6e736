#include "rvkit/vision/cv_geometry.hpp"

#include <opencv2/calib3d.hpp>

namespace rvkit::vision {

const cv::Matx33d& cv_from_camera() {
  // optical x = -camera Y, optical y = -camera Z, optical z = camera X
  static const cv::Matx33d m(0, -1, 0,
                             0, 0, -1,
                             1, 0, 0);
  return m;
}

geometry::Pose3 camera_pose_from_cv(const cv::Vec3d& rvec, const cv::Vec3d& tvec, const cv::Matx33d& solver_from_object) {
  cv::Matx33d r;
  cv::Rodrigues(rvec, r);
  // p_optical = r * p_solver + t;  p_camera = C^T p_optical;  p_solver = S p_object
  cv::Matx33d ct = cv_from_camera().t();
  return pose_from_cv(ct * r * solver_from_object, ct * tvec);
}

cv::Matx33d to_cv(const geometry::Mat3& m) {
  return cv::Matx33d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), m(2, 0), m(2, 1), m(2, 2));
}

geometry::Mat3 from_cv(const cv::Matx33d& m) {
  geometry::Mat3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r(i, j) = m(i, j);
  return r;
}

}  // namespace rvkit::vision
