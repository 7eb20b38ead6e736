// rvkit calibration: solving for a camera's intrinsics from views of a board, with outlier views
// and corners rejected, the result's uncertainty, and the files calib writes.
//
// The solve is OpenCV's (calibrateCamera for pinhole5 and rational8, cv::fisheye::calibrate for
// fisheye4), because its result is what detect, PhotonVision and most FRC code consume; on the
// same problem mrcal finds the same minimum (tests/pipeline/calib_mrcal.sh). The uncertainty is
// calib's own, in mrcal's formulation: the Gauss-Newton covariance of the intrinsics from the
// Jacobian of every used view's reprojection (poses included), scaled by the residuals' variance
// per coordinate (correlations kept); its diagonal is the reported 1-sigma (mrcal's within 4% on
// the same problem; OpenCV's stdDeviationsIntrinsics are about 1.5x larger and are used only when
// there is no covariance). The projection uncertainty samples that covariance over the image. The
// fisheye model has no covariance here.
//
// Pure functions: any thread.
#pragma once
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/calibration/board.hpp"
#include "rvkit/vision/calibration.hpp"

namespace rvkit::calibration {

enum class Model { pinhole5, rational8, fisheye4 };
// "pinhole5" | "rational8" | "fisheye4"; throws rvkit::OptionError naming --model otherwise.
Model parse_model(const std::string& name);
const char* model_name(Model m);

struct SolveOptions {
  Model model = Model::pinhole5;
  // A view whose RMS reprojection error exceeds both outlier_factor x the median view's and
  // outlier_floor_px is dropped and the solve repeated (at most a quarter of the views in all).
  double outlier_factor = 3.0;
  double outlier_floor_px = 1.0;
  int min_views = 4;  // fewer views (after rejection) than this: an error
  // Then a corner whose reprojection error exceeds this many standard deviations of the residuals
  // (per coordinate, times sqrt 2 for the 2-D error) is dropped and the solve repeated, as mrcal's
  // outlier rejection does (at most a tenth of the corners; every view keeps 6). 0: off. Negative:
  // 3 for ChArUco views (views with markers), 0 for chessboards. ChArUco corners are interpolated
  // from the markers one by one and some are refined off the corner (on renders, with cornerSubPix
  // corners: 42 of 1271 corners left out, fx +0.22% with them, +0.05% without; with the saddle-point
  // corners of today's Board::find, fx -0.04% and -0.004%); a chessboard is found as one grid, and on real photos its
  // large residuals are the lens model's misfit at the image edges, which dropping them turns into
  // a biased fit (PhotonVision's 640x480 photos: fx -1.4%, away from PhotonVision's and mrcal's).
  double corner_outlier_sigma = -1;
};

struct ViewError {
  int index = 0;       // the view's index in the input
  double rms_px = 0;   // its RMS reprojection error in the final solve (or when it was dropped)
  bool used = true;    // false: rejected as an outlier
};

struct Solution {
  vision::CameraCalibration calib;  // K, dist (OpenCV order for the model), width, height
  Model model = Model::pinhole5;
  double rms_px = 0;                // RMS reprojection error over the used views' corners
  std::vector<ViewError> views;
  // 1-sigma of fx fy cx cy then the distortion coefficients: the square roots of cov_intrinsics'
  // diagonal (OpenCV's stdDeviationsIntrinsics when there is no covariance; none for fisheye4).
  std::vector<double> std_intrinsics;
  // Covariance of fx fy cx cy and the distortion coefficients (Gauss-Newton, from the Jacobian of
  // all used views' reprojections with their poses, scaled by the residual variance); empty for
  // fisheye4. Unlike std_intrinsics it keeps the parameters' correlations (k1, k2, k3 strongly so).
  cv::Mat cov_intrinsics;
  int corners = 0;                  // corners in the used views (outlier corners not counted)
  int corners_rejected = 0;         // corners of the used views dropped as outliers
  // Each view's board pose (camera from board) in the final solve, for the used views.
  std::vector<cv::Vec3d> rvecs, tvecs;
  int views_used() const;
};

// Solves from views of `board` in images of `size`. Throws rvkit::Error (one line) when there are
// too few views, or OpenCV's solver fails.
Solution solve(const std::vector<BoardView>& views, cv::Size size, const SolveOptions& opt);

// Where a point at `distance_m` in front of the camera may be off because of the calibration
// alone: sampled over a grid of the image, the RMS and worst displacement in pixels and in metres
// (pixels x distance / f). Zero when the solution has no standard deviations.
struct ProjectionUncertainty {
  double rms_px = 0, max_px = 0;
  double rms_m = 0, max_m = 0;
  double distance_m = 5;
};
ProjectionUncertainty projection_uncertainty(const Solution& s, double distance_m = 5.0, int samples = 200);

// Pixel displacement between two calibrations of the same camera over the image: for a grid of
// pixels, the ray through each under `a` projected with `b` (distance-independent for a pure
// intrinsics change). Returns the largest displacement.
double max_reprojection_difference_px(const vision::CameraCalibration& a, const vision::CameraCalibration& b,
                                      bool fisheye = false);
// The distortion's own effect (what the "distortion within 0.2 px" measures): for the same
// grid of pixels, the ray through each under `a` projected with a's K and b's distortion; returns the
// largest displacement from the pixel. A focal-length or principal-point difference does not count.
// pinhole5 / rational8 coefficients (OpenCV order, any length).
double max_distortion_difference_px(const vision::CameraCalibration& a, const vision::CameraCalibration& b);

// Writes OpenCV FileStorage YAML (what detect --calib reads): image_width, image_height,
// camera_matrix, distortion_coefficients, distortion_model, and calib's report (rms, per-view
// errors, standard deviations, the board). Throws rvkit::Error if the file cannot be written.
void write_opencv_yaml(const std::string& path, const Solution& s, const BoardSpec& board);
// Writes PhotonVision's calibration JSON (resolution, cameraIntrinsics and distCoeffs as
// {rows, cols, type, data}, perViewErrors, standardDeviation, calobjectSize in inner corners,
// calobjectSpacing: the fields of
// PhotonVision's own files in ../shared/testdata). Throws for fisheye4, which PhotonVision's OpenCV path cannot use.
void write_photonvision_json(const std::string& path, const Solution& s, const BoardSpec& board);

// Writes the used views' corners as mrcal's corners file (mrcal-calibrate-cameras --corners-cache,
// the vnlog of mrgingham): the legend "# filename x y level", then for each view used in `s` (in
// order; rejected views are left out) one row per board corner, row-major over the board's inner
// corners as mrcal's grid counts them (object-width-n = inner_cols across, object-height-n =
// inner_rows down; the grid index comes from each corner's board position, so it does not depend on
// the detector's id order), "x y 0" for a corner found (pixel centres at integers, as both OpenCV
// and mrcal put them; level 0: full resolution, weight 1) and "nan nan -" for one not found
// (ChArUco views are partial). Not mrcal's documented "- - -": Debian 12's mrcal 2.2 reads that as a
// corner at pixel (-1, -1) with weight -1, which its solve ignores but its seed does not
// (estimate_monocular_calobject_poses_Rt_tocam keeps every point whose coordinates are not NaN), so
// every partial view got a wrong initial board pose and the solve a wrong minimum (fy 59366 for 605,
// 15% of the corners thrown out). "nan nan -" is read by the same parser as not observed (level
// '-': weight -1) and is skipped by 2.2's seed. `names[i]` is the filename written for kept view i (the view's index in
// `views`). Throws rvkit::Error if the file cannot be written.
void write_mrcal_corners(const std::string& path, const std::vector<BoardView>& views,
                         const std::vector<std::string>& names, const Solution& s, const Board& board);

}  // namespace rvkit::calibration
