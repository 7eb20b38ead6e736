// rvkit vision: the settings robot code writes to a Limelight through NetworkTables, read by
// `detect --robot-in` beside the heading (docs/nt.md, "Settings from robot code").
//
// LimelightHelpers writes them under the camera's table (/limelight/ by default, the table of
// --heading-topic); ntsub turns each into an `nt` record:
//  - fiducial_id_filters_set: int[] or double[] of tag ids; only those are detected from then on,
//    empty for all (LimelightHelpers.SetFiducialIDFiltersOverride).
//  - priorityid: one tag id (int or a whole double), -1 for none: the only tag that may be the primary
//    target (tx, ty, tid); the field poses ignore it (LimelightHelpers.setPriorityTagID).
//  - camerapose_robotspace_set: [forward, side, up, roll, pitch, yaw] in metres and degrees: where the
//    camera sits on the robot (LimelightHelpers.setCameraPose_RobotSpace). Read in Limelight's robot
//    space by default: X forward, Y to the robot's right, Z up, a positive pitch tilts the camera up,
//    yaw counter-clockwise seen from above. CameraPoseAxes::wpilib reads it as WPILib's robot-to-camera
//    Transform3d instead (Y left, a positive pitch tilts the camera down), for robot code that writes a
//    Transform3d's values there. Either way it becomes WPILib's robot-to-camera pose, the form of
//    detect --robot-to-camera, and replaces it.
// A value of the wrong type or out of range changes nothing: read() says why, naming the topic.
#pragma once
#include <optional>
#include <set>
#include <string>

#include "rvkit/geometry/pose.hpp"
#include "rvkit/records/nt.hpp"

namespace rvkit::vision {

class DetectPipeline;

enum class CameraPoseAxes { limelight, wpilib };
CameraPoseAxes parse_camera_pose_axes(const std::string& s);  // "limelight" | "wpilib"; throws OptionError

// What one nt record sets.
struct RobotSetting {
  enum class Kind { none, id_filter, priority_id, robot_to_camera };
  Kind kind = Kind::none;            // none: not a setting's topic (or a bad value: see error)
  std::set<int> ids;                 // id_filter: the ids, empty for no filter
  std::optional<int> priority_id;    // priority_id: the id, nullopt for none (-1)
  geometry::Pose3 robot_to_camera;   // robot_to_camera: WPILib's axes
  std::string error;                 // a setting's topic with a bad value: "TOPIC: expected ..."
};

// Applies a good setting (kind none: nothing) to a pipeline, on the thread of its process().
void apply_setting(const RobotSetting& s, DetectPipeline& pipeline);

// Every setting received so far, as values: what `detect --workers` hands to each worker's pipeline
// (detect_workers.hpp). A setting not received leaves the pipeline's own value (its --robot-to-camera,
// no id filter, no priority id).
struct RobotSettingsState {
  std::optional<std::set<int>> id_filter;          // received: the ids (empty: no filter)
  bool priority_received = false;
  std::optional<int> priority_id;                  // with priority_received: the id, nullopt for none
  std::optional<geometry::Pose3> robot_to_camera;  // received: WPILib's axes

  void merge(const RobotSetting& s);               // a later setting of a kind replaces the earlier
  void apply_to(DetectPipeline& pipeline) const;   // sets what was received; idempotent
};

class RobotSettingsReader {
 public:
  // table: the NT table robot code writes to, with its trailing slash ("/limelight/").
  explicit RobotSettingsReader(std::string table, CameraPoseAxes axes = CameraPoseAxes::limelight);
  RobotSetting read(const records::Nt& n) const;
  // Reads n and applies a good setting to the pipeline (same thread as its process()). Returns false
  // with `why` for a setting's topic with a bad value; true otherwise (also for other topics).
  bool apply(const records::Nt& n, DetectPipeline& pipeline, std::string* why = nullptr) const;

  const std::string& table() const { return table_; }

 private:
  std::string table_;
  CameraPoseAxes axes_;
};

}  // namespace rvkit::vision
