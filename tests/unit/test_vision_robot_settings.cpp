// The Limelight settings robot code writes through NetworkTables (rvkit/vision/robot_settings.hpp):
// fiducial_id_filters_set, priorityid, camerapose_robotspace_set, in both axes conventions, and bad
// values that change nothing.
#include "test_util.hpp"

#include <cmath>

#include "rvkit/core/option_error.hpp"
#include "rvkit/vision/robot_settings.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

records::Nt nt(const std::string& topic, const char* value) {
  records::Nt n;
  n.topic = topic;
  n.value = Json::parse(value);
  n.t = 1;
  return n;
}

}  // namespace

TEST_CASE("robot settings: fiducial_id_filters_set and priorityid") {
  RobotSettingsReader r("/limelight/");
  RobotSetting s = r.read(nt("/limelight/fiducial_id_filters_set", "[7, 8.0, 12]"));
  CHECK(s.kind == RobotSetting::Kind::id_filter);
  CHECK(s.ids == std::set<int>{7, 8, 12});
  CHECK(s.error.empty());
  s = r.read(nt("/limelight/fiducial_id_filters_set", "[]"));
  CHECK(s.kind == RobotSetting::Kind::id_filter);
  CHECK(s.ids.empty());  // no filter
  s = r.read(nt("/limelight/priorityid", "4"));
  CHECK(s.kind == RobotSetting::Kind::priority_id);
  CHECK(s.priority_id == 4);
  s = r.read(nt("/limelight/priorityid", "-1.0"));
  CHECK(s.kind == RobotSetting::Kind::priority_id);
  CHECK_FALSE(s.priority_id);  // -1: none
  // Other tables and topics are not settings.
  CHECK(r.read(nt("/limelight-back/priorityid", "4")).kind == RobotSetting::Kind::none);
  CHECK(r.read(nt("/limelight/robot_orientation_set", "[1,0,0,0,0,0]")).kind == RobotSetting::Kind::none);
  CHECK(r.read(nt("/limelight/", "1")).kind == RobotSetting::Kind::none);
  // Bad values: an error naming the topic, nothing set.
  for (const char* bad : {"[7, 8.5]", "[-3]", "7", "[\"a\"]"}) {
    s = r.read(nt("/limelight/fiducial_id_filters_set", bad));
    CHECK(s.kind == RobotSetting::Kind::none);
    CHECK(s.error.find("/limelight/fiducial_id_filters_set: ") == 0);
  }
  for (const char* bad : {"-2", "1.5", "\"4\"", "[4]"}) {
    s = r.read(nt("/limelight/priorityid", bad));
    CHECK(s.kind == RobotSetting::Kind::none);
    CHECK(s.error == "/limelight/priorityid: expected a tag id, or -1 for none");
  }
}

TEST_CASE("robot settings: camerapose_robotspace_set in Limelight's robot space and in WPILib's") {
  // A camera 0.3 m forward, 0.2 m to the robot's right, 0.75 m up, tilted 20 degrees up, turned 10
  // degrees to the left (counter-clockwise).
  RobotSettingsReader ll("/limelight/");
  RobotSetting s = ll.read(nt("/limelight/camerapose_robotspace_set", "[0.3, 0.2, 0.75, 0, 20, 10]"));
  REQUIRE(s.kind == RobotSetting::Kind::robot_to_camera);
  const geometry::Pose3& p = s.robot_to_camera;
  CHECK(p.t.x == doctest::Approx(0.3));
  CHECK(p.t.y == doctest::Approx(-0.2));  // WPILib: +Y is the robot's left
  CHECK(p.t.z == doctest::Approx(0.75));
  // The camera's optical axis (WPILib camera +X) points up and to the left.
  geometry::Vec3 axis = p.R * geometry::Vec3{1, 0, 0};
  CHECK(axis.z == doctest::Approx(std::sin(20 * M_PI / 180)));
  CHECK(axis.y > 0);
  geometry::Vec3 rpy = p.rpy();
  CHECK(rpy.y == doctest::Approx(-20 * M_PI / 180));  // WPILib pitch: positive tips the camera down
  CHECK(rpy.z == doctest::Approx(10 * M_PI / 180));

  // The same mount as WPILib's Transform3d values.
  RobotSettingsReader wp("/limelight/", CameraPoseAxes::wpilib);
  RobotSetting w = wp.read(nt("/limelight/camerapose_robotspace_set", "[0.3, -0.2, 0.75, 0, -20, 10]"));
  REQUIRE(w.kind == RobotSetting::Kind::robot_to_camera);
  CHECK(w.robot_to_camera.t.y == doctest::Approx(p.t.y));
  geometry::Vec3 axis_w = w.robot_to_camera.R * geometry::Vec3{1, 0, 0};
  CHECK(axis_w.x == doctest::Approx(axis.x));
  CHECK(axis_w.y == doctest::Approx(axis.y));
  CHECK(axis_w.z == doctest::Approx(axis.z));

  // Bad values change nothing and say why.
  struct Bad {
    const char* value;
    const char* error;
  };
  for (Bad b : {Bad{"[0.3, 0, 0.75]", "expected 6 numbers"}, Bad{"[0.3, 0, 0.75, 0, 20, \"x\"]", "[5]: not a finite number"},
                Bad{"[30, 0, 0.75, 0, 20, 0]", "[0]: 30 m is further than 10 m"},
                Bad{"[0.3, 0, 0.75, 0, 400, 0]", "[4]: 400 degrees is beyond"}, Bad{"{}", "expected 6 numbers"}}) {
    s = ll.read(nt("/limelight/camerapose_robotspace_set", b.value));
    CHECK(s.kind == RobotSetting::Kind::none);
    CHECK_MESSAGE(s.error.find(b.error) != std::string::npos, s.error);
    CHECK(s.error.find("/limelight/camerapose_robotspace_set: ") == 0);
  }
  CHECK(parse_camera_pose_axes("wpilib") == CameraPoseAxes::wpilib);
  CHECK_THROWS_AS(parse_camera_pose_axes("ned"), OptionError);
}
