// rvkit vision: camera intrinsics from calibration files.
//
// Reads OpenCV FileStorage files (YAML, XML or JSON; keys camera_matrix / cameraMatrix,
// distortion_coefficients / distCoeffs, image_width, image_height) and PhotonVision calibration
// JSON (resolution, cameraIntrinsics, distCoeffs, or the legacy key cameraExtrinsics for the
// distortion). Matrices may be OpenCV matrices or plain {rows, cols, data} maps.
#pragma once
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit::vision {

struct CameraCalibration {
  cv::Matx33d K = cv::Matx33d::eye();  // fx 0 cx / 0 fy cy / 0 0 1, pixels
  std::vector<double> dist;            // OpenCV order (k1 k2 p1 p2 [k3 [k4 k5 k6 [s1..s4 [tx ty]]]])
  int width = 0, height = 0;           // the resolution the intrinsics belong to
  std::string source;                  // file it came from

  double fx() const { return K(0, 0); }
  double fy() const { return K(1, 1); }
  double cx() const { return K(0, 2); }
  double cy() const { return K(1, 2); }

  // The intrinsics for frames of w x h: scaled when the aspect ratio matches (within 1%),
  // unchanged at the calibrated size. Throws rvkit::Error for another aspect ratio.
  CameraCalibration for_resolution(int w, int h) const;
};

// Loads a calibration file; throws rvkit::Error with a one-line reason on any problem.
CameraCalibration load_calibration(const std::string& path);
// Parses calibration text; `name` is used in messages (and to tell formats apart by extension).
CameraCalibration parse_calibration(const std::string& text, const std::string& name);

// Angles of an image point from the principal point, in degrees: tx positive to the right,
// ty positive up (as on a Limelight). The point is undistorted first.
cv::Point2d angles_deg(const CameraCalibration& c, cv::Point2d px);

}  // namespace rvkit::vision
