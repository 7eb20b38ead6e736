// rvkit vision: the OpenCV side of geometry/pose.hpp, for the solvers and the drawing code.
//
// Poses are geometry::Pose3 everywhere (WPILib's conventions, see geometry/pose.hpp). OpenCV's
// solvers work in the optical frame (x right, y down, z forward) with cv::Matx33d / cv::Vec3d;
// this file is the one place that converts between the two, so no other module needs to know the
// optical frame or link OpenCV for a pose.
#pragma once
#include <opencv2/core.hpp>

#include "rvkit/geometry/pose.hpp"

namespace rvkit::vision {

// Rotation taking WPILib camera-frame coordinates to OpenCV optical-frame coordinates.
const cv::Matx33d& cv_from_camera();
// A solver's result (rvec/tvec: optical frame <- object frame) as a pose of the object in the
// WPILib camera frame, given the rotation from the WPILib-style object frame to the solver's.
geometry::Pose3 camera_pose_from_cv(const cv::Vec3d& rvec, const cv::Vec3d& tvec,
                                    const cv::Matx33d& solver_from_object = cv::Matx33d::eye());

// The same numbers in OpenCV's types and back.
inline cv::Vec3d to_cv(const geometry::Vec3& v) { return {v.x, v.y, v.z}; }
inline geometry::Vec3 from_cv(const cv::Vec3d& v) { return {v[0], v[1], v[2]}; }
cv::Matx33d to_cv(const geometry::Mat3& m);
geometry::Mat3 from_cv(const cv::Matx33d& m);
inline geometry::Pose3 pose_from_cv(const cv::Matx33d& R, const cv::Vec3d& t) { return {from_cv(R), from_cv(t)}; }

}  // namespace rvkit::vision
