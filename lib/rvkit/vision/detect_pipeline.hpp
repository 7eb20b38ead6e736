// rvkit vision: everything `detect` does to one frame, producing its `detections` record
// (records::Detections, docs/records.md). Kept in the library so tests and other tools can run it
// in-process.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "rvkit/core/error.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/records/detections.hpp"
#include "rvkit/vision/apriltag_detector.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/vision/color_targets.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/vision/heading_history.hpp"
#include "rvkit/vision/pose.hpp"
#include "rvkit/vision/tag_tracker.hpp"

namespace rvkit::vision {

// A frame that cannot be used (an undecodable JPEG, a header that disagrees with its image):
// the tool skips it with a warning instead of stopping.
class BadFrameError : public Error {
 public:
  using Error::Error;
};

struct DetectOptions {
  bool tags = true;
  AprilTagOptions apriltag;
  std::optional<CameraCalibration> calib;  // enables tx/ty from it, tag poses and the field pose
  double fov_deg = 0;                      // without calib: horizontal field of view for tx/ty (0: none)
  double tag_size = kDefaultTagSize;       // m
  std::map<int, double> tag_size_by_id;    // m, exceptions to tag_size (--tag-size ID:SIZE)
  std::set<int> ignore_ids;                // tags left out of the record and the poses (--ignore-ids)
  std::optional<geometry::FieldLayout> field;
  std::optional<geometry::Pose3> robot_to_camera;
  FieldPoseOptions pose;                   // LM refinement and outlier rejection of the field poses
  // With --robot-in: the robot's heading over time; each frame then also gets the heading-constrained
  // pose (field_pose_constrained) at its t_capture. Needs field; without robot_to_camera (yet: robot
  // code may send it) the record says so in constrained_reason. Another thread may add to it while the
  // pipeline reads it.
  std::shared_ptr<const HeadingHistory> headings;
  double heading_sigma_deg = 0.5;          // the gyro heading's uncertainty, for the constrained std-devs
  ColorOptions color;                      // no ranges: no colour targets
  // --track: follow tags from frame to frame (tag_tracker.hpp), one tracker per camera.
  std::optional<TrackOptions> track;
};

class DetectPipeline {
 public:
  explicit DetectPipeline(DetectOptions opt);  // throws rvkit::OptionError on bad options
  // The detections record for a frame message (cam, seq, t_capture copied; t_done not yet set).
  // Throws BadFrameError for a frame that cannot be used, rvkit::Error when the frame size does
  // not fit the calibration (another aspect ratio).
  records::Detections process(const Message& frame);

  const DetectOptions& options() const { return opt_; }
  // With --track: the trackers' counts, summed over the cameras.
  TrackCounts track_counts() const;
  // The detector's fine passes (apriltag_detector.hpp): regions searched, tags found only there.
  AprilTagDetector::FinePassCounts fine_pass_counts() const;
  // The AprilTag detector on one thread, or on its option's, from the next frame on
  // (AprilTagDetector::use_one_thread); nothing without tag detection. Same thread as process().
  void use_one_detector_thread(bool on) {
    if (detector_) detector_->use_one_thread(on);
  }
  // Only these ids from now on, beside --ids (robot code's fiducial_id_filters_set, as a Limelight
  // reads it); nullopt or an empty set: no such filter. Same thread as process().
  void set_id_filter(std::optional<std::set<int>> ids) { id_filter_ = std::move(ids); }
  // Robot code's priorityid: written into each record as priority_id (ntpub's primary target), nullopt
  // for none. Same thread as process().
  void set_priority_id(std::optional<int> id) { priority_id_ = id; }
  // Robot code's camerapose_robotspace_set (robot_settings.hpp): replaces --robot-to-camera from the
  // next frame on. Needs a field layout (throws OptionError without). Same thread as process().
  void set_robot_to_camera(const geometry::Pose3& robot_to_camera);

 private:
  const CameraCalibration* calibration_for(int w, int h);
  // Leaves out the tags of --ignore-ids and those outside robot code's fiducial_id_filters_set.
  void drop_filtered(std::vector<TagDetection>& dets) const;

  DetectOptions opt_;
  geometry::TagSizes sizes_;
  std::optional<std::set<int>> id_filter_;
  std::optional<int> priority_id_;
  std::unique_ptr<AprilTagDetector> detector_;
  std::map<std::string, std::unique_ptr<TagTracker>> trackers_;  // --track: by camera
  std::unique_ptr<ColorTargetFinder> colors_;
  std::map<std::pair<int, int>, CameraCalibration> scaled_;  // calibration (or fov model) per frame size
};

}  // namespace rvkit::vision
