#include "rvkit/vision/robot_settings.hpp"

#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"
#include "rvkit/vision/detect_pipeline.hpp"

namespace rvkit::vision {

namespace {

constexpr double kMaxOffsetM = 10;     // a camera further than this from the robot's centre is a typo
constexpr double kMaxAngleDeg = 360;

// A whole number that fits an int (NT gives ints, or doubles from older LimelightHelpers).
bool whole_int(const Json& v, int* out) {
  if (!v.is_number()) return false;
  double d = v.get<double>();
  if (!(d == std::floor(d)) || std::fabs(d) >= 2147483647.0) return false;
  *out = int(d);
  return true;
}

}  // namespace

CameraPoseAxes parse_camera_pose_axes(const std::string& s) {
  if (s == "limelight") return CameraPoseAxes::limelight;
  if (s == "wpilib") return CameraPoseAxes::wpilib;
  throw OptionError("--camera-pose-axes", s, "expected limelight or wpilib");
}

RobotSettingsReader::RobotSettingsReader(std::string table, CameraPoseAxes axes)
    : table_(std::move(table)), axes_(axes) {}

RobotSetting RobotSettingsReader::read(const records::Nt& n) const {
  RobotSetting s;
  if (n.topic.size() <= table_.size() || n.topic.compare(0, table_.size(), table_) != 0) return s;
  const std::string key = n.topic.substr(table_.size());
  const Json& v = n.value;
  auto bad = [&](const std::string& what) {
    s.kind = RobotSetting::Kind::none;
    s.error = fmt::format("{}: {}", n.topic, what);
    return s;
  };
  if (key == "fiducial_id_filters_set") {
    if (!v.is_array()) return bad("expected an array of tag ids");
    for (size_t i = 0; i < v.size(); ++i) {
      int id = 0;
      if (!whole_int(v[i], &id) || id < 0) return bad(fmt::format("[{}]: expected a tag id (a whole number >= 0)", i));
      s.ids.insert(id);
    }
    s.kind = RobotSetting::Kind::id_filter;
  } else if (key == "priorityid") {
    int id = 0;
    if (!whole_int(v, &id) || id < -1) return bad("expected a tag id, or -1 for none");
    if (id >= 0) s.priority_id = id;
    s.kind = RobotSetting::Kind::priority_id;
  } else if (key == "camerapose_robotspace_set") {
    if (!v.is_array() || v.size() != 6) return bad("expected 6 numbers [forward, side, up, roll, pitch, yaw] (m, degrees)");
    double a[6];
    for (size_t i = 0; i < 6; ++i) {
      if (!v[i].is_number() || !std::isfinite(v[i].get<double>())) return bad(fmt::format("[{}]: not a finite number", i));
      a[i] = v[i].get<double>();
    }
    for (size_t i = 0; i < 3; ++i)
      if (std::fabs(a[i]) > kMaxOffsetM) return bad(fmt::format("[{}]: {} m is further than {} m from the robot", i, a[i], kMaxOffsetM));
    for (size_t i = 3; i < 6; ++i)
      if (std::fabs(a[i]) > kMaxAngleDeg) return bad(fmt::format("[{}]: {} degrees is beyond ±{}", i, a[i], kMaxAngleDeg));
    constexpr double d = M_PI / 180;
    // Limelight's robot space has Y to the right and pitch positive upwards: WPILib's has Y to the left
    // and pitch positive downwards (a rotation about +Y, which points left, tips +X down).
    const double sy = axes_ == CameraPoseAxes::limelight ? -1 : 1;
    s.robot_to_camera = geometry::Pose3::from_xyz_rpy(a[0], sy * a[1], a[2], a[3] * d, sy * a[4] * d, a[5] * d);
    s.kind = RobotSetting::Kind::robot_to_camera;
  }
  return s;
}

bool RobotSettingsReader::apply(const records::Nt& n, DetectPipeline& pipeline, std::string* why) const {
  RobotSetting s = read(n);
  if (!s.error.empty()) {
    if (why) *why = s.error;
    return false;
  }
  apply_setting(s, pipeline);
  return true;
}

void apply_setting(const RobotSetting& s, DetectPipeline& pipeline) {
  switch (s.kind) {
    case RobotSetting::Kind::id_filter: pipeline.set_id_filter(s.ids); break;
    case RobotSetting::Kind::priority_id: pipeline.set_priority_id(s.priority_id); break;
    case RobotSetting::Kind::robot_to_camera: pipeline.set_robot_to_camera(s.robot_to_camera); break;
    case RobotSetting::Kind::none: break;
  }
}

void RobotSettingsState::merge(const RobotSetting& s) {
  switch (s.kind) {
    case RobotSetting::Kind::id_filter: id_filter = s.ids; break;
    case RobotSetting::Kind::priority_id:
      priority_received = true;
      priority_id = s.priority_id;
      break;
    case RobotSetting::Kind::robot_to_camera: robot_to_camera = s.robot_to_camera; break;
    case RobotSetting::Kind::none: break;
  }
}

void RobotSettingsState::apply_to(DetectPipeline& pipeline) const {
  if (id_filter) pipeline.set_id_filter(*id_filter);
  if (priority_received) pipeline.set_priority_id(priority_id);
  if (robot_to_camera) pipeline.set_robot_to_camera(*robot_to_camera);
}

}  // namespace rvkit::vision
