// NetworkTables 4: what ntpub publishes for records (rvkit and Limelight schemas, camera
// announcements, --map), struct:Pose3d and Limelight's axes (the geometry itself is tested in
// test_geometry_pose.cpp).
#include "test_util.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "rvkit/core/error.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/geometry/pose.hpp"
#include "rvkit/nt/limelight_axes.hpp"
#include "rvkit/nt/pose3d_struct.hpp"
#include "rvkit/nt/publisher.hpp"
#include "rvkit/records/detections.hpp"

using namespace rvkit;
using namespace rvkit::nt;
using rvkit::geometry::Pose3;
using rvkit::geometry::Quaternion;

namespace {

constexpr double kDeg = M_PI / 180.0;

// Records what the publisher publishes.
struct Recorder : TopicSink {
  struct Topic {
    std::string type;
    Json props;
    std::vector<std::pair<Value, int64_t>> values;
  };
  std::vector<std::string> names;
  std::map<std::string, Topic> topics;
  int publish(const std::string& name, const std::string& type, const Json& props) override {
    names.push_back(name);
    topics[name] = Topic{type, props, {}};
    return int(names.size() - 1);
  }
  void set(int h, Value v, int64_t t) override { topics[names[size_t(h)]].values.push_back({std::move(v), t}); }
  const Value& last(const std::string& name) {
    REQUIRE_MESSAGE(topics.count(name), name);
    REQUIRE_MESSAGE(!topics[name].values.empty(), name);
    return topics[name].values.back().first;
  }
  std::string type(const std::string& name) {
    REQUIRE_MESSAGE(topics.count(name), name);
    return topics[name].type;
  }
};

// A pose in WPILib's JSON form, not rounded (geometry::pose_to_json rounds the quaternion to 1e-6,
// which moves angles by ~1e-5 degrees, more than the checks below allow).
Json pose_json(double x, double y, double z, double roll, double pitch, double yaw) {
  Quaternion q = Pose3::from_xyz_rpy(x, y, z, roll, pitch, yaw).quaternion();
  Json t = {{"x", x}, {"y", y}, {"z", z}};
  Json w = {{"W", q.w}, {"X", q.x}, {"Y", q.y}, {"Z", q.z}};
  return Json{{"translation", t}, {"rotation", Json{{"quaternion", w}}}};
}

// A detections record as detect writes it (docs/records.md): two tags, a multi-tag field pose.
Json sample_record(int64_t t_capture) {
  Json r = Json::parse(R"({"type":"detections","cam":"front","seq":42,"w":640,"h":480})");
  r["t_capture"] = t_capture;
  // Tag 7: 2 m ahead, facing the camera (its X axis, out of its face, points back at us).
  Json t7 = {{"id", 7}, {"hamming", 0}, {"margin", 120.0}, {"tx", 3.5}, {"ty", -1.25}, {"area", 2.5},
             {"center", {330.0, 250.0}}, {"distance", 2.0}, {"ambiguity", 0.05}};
  t7["poses"] = Json::array({Json{{"camera_to_tag", pose_json(2.0, 0.0, 0.0, 0, 0, M_PI)}, {"error", 0.1}},
                             Json{{"camera_to_tag", pose_json(2.0, 0.0, 0.0, 0, 0.3, M_PI)}, {"error", 2.0}}});
  Json t8 = {{"id", 8}, {"tx", -10.0}, {"ty", 2.0}, {"area", 1.0}, {"center", {100.0, 200.0}}, {"ambiguity", 0.2}};
  t8["poses"] = Json::array({Json{{"camera_to_tag", pose_json(3.0, 1.0, 0.0, 0, 0, M_PI)}, {"error", 0.2}}});
  r["tags"] = Json::array({t7, t8});
  Json f = Json::object();
  f["method"] = "multi-tag";
  f["tags"] = {7, 8};
  // The camera 0.2 m ahead of the robot's centre and 0.5 m up, looking the same way.
  f["camera"] = pose_json(4.8 + 0.2 * std::cos(30 * kDeg), 3.0 + 0.2 * std::sin(30 * kDeg), 0.5, 0, 0, 30 * kDeg);
  f["robot"] = pose_json(4.8, 3.0, 0.0, 0, 0, 30 * kDeg);
  f["error"] = 0.3;
  f["ambiguity"] = 0;
  f["std_devs"] = {0.1, 0.1, 0.2};
  r["field_pose"] = f;
  r["t_done"] = t_capture + 8000;
  return r;
}

void check_close(double a, double b, const char* what, double tol = 1e-6) {
  CAPTURE(what);
  CHECK(std::fabs(a - b) < tol);
}

// A detections record as ntpub reads it (read_options: alternative spellings, malformed tags left
// out); nullopt and the reason when ntpub cannot publish it.
std::optional<records::Detections> read_detections(const Json& j, std::string* why = nullptr) {
  std::vector<std::string> skipped;
  try {
    return records::read_detections(j, read_options(&skipped));
  } catch (const records::RecordError& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

}  // namespace

TEST_CASE("nt geometry: struct:Pose3d is 7 little-endian doubles, schemas as WPILib's") {
  Pose3 p = Pose3::from_quaternion({1.5, -2, 0.25}, Quaternion{0.5, 0.5, -0.5, 0.5});
  Bytes b = pack_pose3d(p);
  REQUIRE(b.size() == 56);
  // 1.5 = 0x3FF8000000000000, little-endian: last byte 0x3F, second-last 0xF8.
  CHECK(b[7] == 0x3F);
  CHECK(b[6] == 0xF8);
  CHECK(b[0] == 0x00);
  auto u = unpack_pose3d(b);
  REQUIRE(u);
  CHECK(u->t.x == 1.5);
  CHECK(u->quaternion().y == -0.5);
  CHECK_FALSE(unpack_pose3d(Bytes(55)));
  const auto& s = pose3d_schemas();
  CHECK(std::string(s[3].first) == "Pose3d");
  CHECK(std::string(s[3].second) == "Translation3d translation;Rotation3d rotation");
  CHECK(std::string(s[2].second) == "Quaternion q");
  CHECK(std::string(s[1].second) == "double w;double x;double y;double z");
  CHECK(std::string(s[0].second) == "double x;double y;double z");
}

TEST_CASE("ntpub --map struct:Pose3d: a pose in WPILib's JSON form, other forms skipped with a warning") {
  Recorder rec;
  PublisherOptions o;
  o.schema = "none";
  const char* fields[] = {"a", "b", "c", "d", "e", "f"};
  for (const char* f : fields) o.maps.push_back(MapRule::parse(std::string(f) + "=/V/" + f + ":struct:Pose3d"));
  std::vector<std::string> warnings;
  RecordPublisher pub(rec, o, [&](const std::string& w) { warnings.push_back(w); });
  pub.handle(Json::parse(R"({"type":"robot",
      "a":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}},
      "b":{"translation":{"x":1,"y":2,"z":3},"rotation":{"roll":0,"pitch":0,"yaw":1.0}},
      "c":[1,2,3,1,0,0,0], "d":{"translation":{"x":1}}, "e":[1,2,3], "f":"x"})"),
             5);
  auto p = unpack_pose3d(rec.last("/V/a").get<Bytes>());
  REQUIRE(p);
  CHECK(p->t.y == 2);
  // Roll/pitch/yaw, 7-number arrays and lower-case keys are not WPILib's JSON form (docs/records.md).
  for (const char* f : {"b", "c", "d", "e", "f"}) CHECK(rec.topics.count(std::string("/V/") + f) == 0);
  REQUIRE(warnings.size() == 5);
  CHECK(warnings[0] == "--map 'b=/V/b:struct:Pose3d': the field is not a pose (b.rotation: missing \"quaternion\"); skipped");
  CHECK(warnings[1].find("c: expected an object") != std::string::npos);
  CHECK(warnings[2].find("d: missing \"rotation\"") != std::string::npos);
}

TEST_CASE("nt geometry: Limelight camera space: a tag straight ahead, facing us, has zero rotation") {
  // WPILib: tag 2 m ahead, 0.5 m left, 0.25 m up, facing the camera.
  Pose3 tag = Pose3::from_xyz_rpy(2, 0.5, 0.25, 0, 0, M_PI);
  Pose3 ll = wpilib_camera_to_limelight(tag);
  check_close(ll.t.x, -0.5, "x right");
  check_close(ll.t.y, -0.25, "y down");
  check_close(ll.t.z, 2, "z forward");
  auto a = to_xyz_rpy_deg(ll);
  check_close(a[3], 0, "roll");
  check_close(a[4], 0, "pitch");
  check_close(a[5], 0, "yaw");
  // Turning the tag about the vertical axis shows up as Limelight pitch (rotation about its Y, down).
  Pose3 turned = Pose3::from_xyz_rpy(2, 0, 0, 0, 0, M_PI + 20 * kDeg);
  auto b = to_xyz_rpy_deg(wpilib_camera_to_limelight(turned));
  check_close(std::fabs(b[4]), 20, "pitch magnitude", 1e-6);
  check_close(b[3], 0, "roll stays 0", 1e-6);
}

TEST_CASE("nt vision: detections records are read, tolerant of names") {
  auto r = read_detections(sample_record(1000));
  REQUIRE(r);
  CHECK(r->cam == "front");
  CHECK(r->seq == 42);
  CHECK(r->t_capture == 1000);
  CHECK(r->t_done == 9000);
  REQUIRE(r->tags->size() == 2);
  CHECK(primary_tag(*r) == 0);  // the largest
  records::Detections prio = *r;
  prio.priority_id = (*r->tags)[1].id;
  CHECK(primary_tag(prio) == 1);  // priorityid: that tag, though smaller
  prio.priority_id = 999;
  CHECK(primary_tag(prio) == -1);  // priorityid not in view: no primary target
  {
    Json j = prio;  // the record carries it
    CHECK(j.at("priority_id") == 999);
    auto back = read_detections(j);
    REQUIRE(back);
    CHECK(back->priority_id == 999);
  }
  CHECK(!(*r->tags)[0].poses.empty());
  check_close(*tag_distance((*r->tags)[0]), 2.0, "distance");
  check_close(*tag_distance((*r->tags)[1]), std::sqrt(10.0), "distance from pose");
  REQUIRE(r->field_pose);
  CHECK(r->field_pose->robot);
  CHECK(r->field_pose->tags == std::vector<int>{7, 8});
  CHECK(r->field_pose->std_devs);
  // Alternative spellings: a single "pose", a list of bare poses, field keys at the top level,
  // "field_pose": null. (Poses themselves are only WPILib's JSON form.)
  Json alt = Json::parse(R"({"type":"detections","t_capture":5,"tags":[{"id":1,"area":1,"poses":[
      {"translation":{"x":1,"y":0,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}},
      {"translation":{"x":9,"y":0,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}]}],
      "robot_pose":{"translation":{"x":1,"y":2,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}},
      "field_pose": null})");
  auto a = read_detections(alt);
  REQUIRE(a);
  CHECK((*a->tags)[0].poses.at(0).camera_to_tag.t.x == 1);
  REQUIRE(a->field_pose);
  CHECK(a->field_pose->robot->t.y == 2);
  std::string why;
  CHECK_FALSE(read_detections(Json::parse(R"({"type":"detections"})"), &why));
  CHECK(why.find("t_capture") != std::string::npos);
  CHECK_FALSE(read_detections(Json::parse(R"({"type":"detections","t_capture":1,"tags":3})"), &why));
  auto none = read_detections(Json::parse(R"({"type":"detections","t_capture":1,"tags":[]})"));
  REQUIRE(none);
  CHECK(primary_tag(*none) == -1);
  CHECK_FALSE(none->field_pose);
}

TEST_CASE("ntpub: a malformed tag is left out with one warning, an unreadable record skipped with one") {
  Recorder rec;
  std::vector<std::string> warnings;
  RecordPublisher pub(rec, PublisherOptions{}, [&](const std::string& w) { warnings.push_back(w); });
  Json r = sample_record(100);
  r["tags"].push_back({{"id", "nine"}});
  pub.handle(r, 200);
  pub.handle(r, 300);
  CHECK(rec.last("/rvkit/front/tagIds") == Value::int_array({7, 8}));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "leaving out what ntpub cannot read of detections records, e.g. tags[2].id: missing or not an integer");
  pub.handle(Json::parse(R"({"type":"detections","cam":"front","seq":1})"), 400);
  pub.handle(Json::parse(R"({"type":"camera","urls":[]})"), 400);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[1] == "skipping detections records that ntpub cannot read: detections: t_capture: missing or not an integer");
  CHECK(warnings[2] == "skipping camera records that ntpub cannot read: camera: cam: missing or not a string");
  CHECK(rec.last("/rvkit/front/heartbeat") == Value::integer(2));
}

TEST_CASE("ntpub rvkit schema: every documented topic with its type, stamped with t_capture") {
  Recorder rec;
  RecordPublisher pub(rec, PublisherOptions{}, nullptr);
  int64_t t = 1'700'000'000'000'000;
  size_t n = pub.handle(sample_record(t), t + 20'000);
  CHECK(n > 10);
  const std::string T = "/rvkit/front/";
  std::map<std::string, std::string> want = {
      {"hasTarget", "boolean"}, {"tx", "double"},        {"ty", "double"},
      {"ta", "double"},         {"tid", "int"},          {"tagIds", "int[]"},
      {"seq", "int"},           {"latencyMs", "double"}, {"heartbeat", "int"},
      {"hasPose", "boolean"},   {"robotPose", "struct:Pose3d"}, {"robotPoseArray", "double[]"},
      {"cameraPose", "struct:Pose3d"}, {"cameraPoseArray", "double[]"}, {"poseTagIds", "int[]"},
      {"robotPoseStdDevs", "double[]"}, {"json", "json"}};
  for (const auto& [k, type] : want) {
    CAPTURE(k);
    CHECK(rec.type(T + k) == type);
    CHECK(rec.topics[T + k].values.back().second == t);
  }
  CHECK(rec.last(T + "hasTarget") == Value::boolean(true));
  CHECK(rec.last(T + "tx") == Value::float64(3.5));
  CHECK(rec.last(T + "ta") == Value::float64(2.5));
  CHECK(rec.last(T + "tid") == Value::integer(7));
  CHECK(rec.last(T + "tagIds") == Value::int_array({7, 8}));
  CHECK(rec.last(T + "latencyMs") == Value::float64(20.0));
  CHECK(rec.last(T + "heartbeat") == Value::integer(1));
  auto robot = unpack_pose3d(rec.last(T + "robotPose").get<Bytes>());
  REQUIRE(robot);
  check_close(robot->t.x, 4.8, "robot x");
  const auto& arr = rec.last(T + "robotPoseArray").get<std::vector<double>>();
  REQUIRE(arr.size() == 6);
  check_close(arr[5], 30.0, "yaw in degrees");
  CHECK(Json::parse(rec.last(T + "json").get<std::string>())["seq"] == 42);
  // The struct schemas AdvantageScope needs.
  for (const char* s : {"Pose3d", "Rotation3d", "Translation3d", "Quaternion"}) {
    std::string name = std::string("/.schema/struct:") + s;
    CHECK(rec.type(name) == "structschema");
  }
  auto sb = rec.last("/.schema/struct:Pose3d").get<Bytes>();
  CHECK(std::string(sb.begin(), sb.end()) == "Translation3d translation;Rotation3d rotation");
  // A second record: the heartbeat counts, nothing is published twice.
  size_t topics_before = rec.names.size();
  pub.handle(sample_record(t + 33'000), t + 50'000);
  CHECK(rec.last(T + "heartbeat") == Value::integer(2));
  CHECK(rec.names.size() == topics_before);
}

TEST_CASE("ntpub rvkit schema: no target, no pose") {
  Recorder rec;
  RecordPublisher pub(rec, PublisherOptions{}, nullptr);
  pub.handle(Json::parse(R"({"type":"detections","cam":"c","seq":1,"t_capture":100,"tags":[]})"), 200);
  CHECK(rec.last("/rvkit/c/hasTarget") == Value::boolean(false));
  CHECK(rec.last("/rvkit/c/tid") == Value::integer(-1));
  CHECK(rec.last("/rvkit/c/tagIds") == Value::int_array({}));
  CHECK(rec.last("/rvkit/c/hasPose") == Value::boolean(false));
  CHECK(rec.topics.count("/rvkit/c/robotPose") == 0);
}

TEST_CASE("ntpub: --table with {cam}, frames and other records are ignored") {
  Recorder rec;
  PublisherOptions o;
  o.table = "Vision/{cam}/";
  RecordPublisher pub(rec, o, nullptr);
  pub.handle(sample_record(1), 2);
  CHECK(rec.topics.count("/Vision/front/tx") == 1);
  Recorder rec2;
  RecordPublisher pub2(rec2, PublisherOptions{}, nullptr);
  CHECK(pub2.handle(Json::parse(R"({"type":"frame","cam":"x","seq":1,"t_capture":1})"), 2) == 0);
  CHECK(pub2.handle(Json::parse(R"({"type":"note"})"), 2) == 0);
  CHECK(rec2.names.empty());
}

TEST_CASE("ntpub limelight schema: keys, types and LimelightHelpers' array layouts") {
  Recorder rec;
  PublisherOptions o;
  o.schema = "limelight";
  o.field_length = 16.54;
  o.field_width = 8.21;
  std::vector<std::string> warnings;
  RecordPublisher pub(rec, o, [&](const std::string& w) { warnings.push_back(w); });
  int64_t t = 1'700'000'000'000'000, now = t + 30'000;
  pub.handle(sample_record(t), now);
  const std::string T = "/limelight/";
  for (const char* k : {"tv", "tx", "ty", "ta", "tid", "tl", "cl", "hb", "getpipe"}) {
    CAPTURE(k);
    CHECK(rec.type(T + k) == "double");
    CHECK(rec.topics[T + k].values.back().second == now);  // stamped when published, as a Limelight does
  }
  for (const char* k : {"botpose", "botpose_wpiblue", "botpose_wpired", "targetpose_cameraspace",
                        "camerapose_targetspace", "rawfiducials"}) {
    CAPTURE(k);
    CHECK(rec.type(T + k) == "double[]");
  }
  CHECK(rec.type(T + "json") == "string");
  CHECK(rec.last(T + "tv") == Value::float64(1));
  CHECK(rec.last(T + "tid") == Value::float64(7));
  CHECK(rec.last(T + "tl") == Value::float64(8.0));   // t_done - t_capture
  CHECK(rec.last(T + "cl") == Value::float64(22.0));  // the rest, to publishing: tl + cl = 30 ms
  CHECK(rec.last(T + "hb") == Value::float64(1));
  {
    // With detect's t_start, tl is detect's own work and cl all before and after it, as a Limelight
    // splits them (cl: exposure to the pipeline's start); robot code's sum is the same.
    Json started = sample_record(t);
    started["t_start"] = t + 3000;
    pub.handle(started, now);
    CHECK(rec.last(T + "tl") == Value::float64(5.0));   // t_done - t_start
    CHECK(rec.last(T + "cl") == Value::float64(25.0));  // 3 ms to detect, 22 after it
    CHECK(rec.last(T + "hb") == Value::float64(2));
    Json odd = sample_record(t);
    odd["t_start"] = t + 9000;  // after t_done (hand-written): taken as t_done, tl 0, never negative
    pub.handle(odd, now);
    CHECK(rec.last(T + "tl") == Value::float64(0.0));
    CHECK(rec.last(T + "cl") == Value::float64(30.0));
    pub.handle(sample_record(t), now);  // the rest of this test reads the plain record's values
  }
  // botpose_wpiblue: x y z roll pitch yaw(deg), latency, count, span, avg dist, avg area, 7 per tag.
  const auto& blue = rec.last(T + "botpose_wpiblue").get<std::vector<double>>();
  REQUIRE(blue.size() == 11 + 7 * 2);
  check_close(blue[0], 4.8, "x");
  check_close(blue[1], 3.0, "y");
  check_close(blue[5], 30.0, "yaw");
  check_close(blue[6], 30.0, "latency = tl + cl");
  check_close(blue[7], 2, "tag count");
  check_close(blue[8], std::sqrt(1.0 + 1.0), "tag span: distance between the tags");
  check_close(blue[9], (2.0 + std::sqrt(10.0)) / 2, "average distance");
  check_close(blue[10], 1.75, "average area");
  check_close(blue[11], 7, "first tag id");
  check_close(blue[12], 3.5, "txnc");
  check_close(blue[13], -1.25, "tync");
  check_close(blue[14], 2.5, "ta");
  check_close(blue[15], 2.0, "distance to camera");
  check_close(blue[16], std::hypot(2.2, 0.0, 0.5), "distance to robot (camera 0.2 m ahead, 0.5 m up)", 1e-6);
  check_close(blue[17], 0.05, "ambiguity");
  check_close(blue[18], 8, "second tag id");
  // botpose: field-centred; botpose_wpired: from the red corner, turned half a turn.
  const auto& center = rec.last(T + "botpose").get<std::vector<double>>();
  check_close(center[0], 4.8 - 16.54 / 2, "centre x");
  check_close(center[1], 3.0 - 8.21 / 2, "centre y");
  const auto& red = rec.last(T + "botpose_wpired").get<std::vector<double>>();
  check_close(red[0], 16.54 - 4.8, "red x");
  check_close(red[1], 8.21 - 3.0, "red y");
  check_close(red[5], 30.0 - 180.0, "red yaw");
  // rawfiducials: 7 per visible tag.
  const auto& raw = rec.last(T + "rawfiducials").get<std::vector<double>>();
  REQUIRE(raw.size() == 14);
  check_close(raw[0], 7, "raw id");
  check_close(raw[7], 8, "raw id 2");
  // targetpose_cameraspace of the primary tag (2 m straight ahead, facing us): [0,0,2,0,0,0].
  const auto& tc = rec.last(T + "targetpose_cameraspace").get<std::vector<double>>();
  REQUIRE(tc.size() == 6);
  check_close(tc[2], 2.0, "z forward");
  check_close(tc[0], 0.0, "x");
  check_close(tc[5], 0.0, "yaw");
  const auto& ct = rec.last(T + "camerapose_targetspace").get<std::vector<double>>();
  check_close(ct[2], -2.0, "camera 2 m in front of the tag (target Z points into the tag)");
  // json: LimelightHelpers.getLatestResults fields.
  Json j = Json::parse(rec.last(T + "json").get<std::string>());
  CHECK(j["v"] == 1);
  CHECK(j["botpose_tagcount"] == 2);
  CHECK(j["Fiducial"].size() == 2);
  CHECK(j["Fiducial"][0]["fID"] == 7);
  CHECK(j["Fiducial"][0]["t6t_cs"].size() == 6);
  CHECK(j["botpose_wpiblue"].size() == 6);
  CHECK(warnings.empty());
}

TEST_CASE("ntpub limelight schema: no targets, no field size, named table") {
  Recorder rec;
  PublisherOptions o;
  o.schema = "limelight";
  o.table = "limelight-front";
  std::vector<std::string> warnings;
  RecordPublisher pub(rec, o, [&](const std::string& w) { warnings.push_back(w); });
  pub.handle(Json::parse(R"({"type":"detections","cam":"c","seq":1,"t_capture":100,"tags":[]})"), 1100);
  const std::string T = "/limelight-front/";
  CHECK(rec.last(T + "tv") == Value::float64(0));
  CHECK(rec.last(T + "tid") == Value::float64(-1));
  const auto& blue = rec.last(T + "botpose_wpiblue").get<std::vector<double>>();
  REQUIRE(blue.size() == 11);  // zeros, latency, tag count 0: LimelightHelpers sees tagCount == 0
  CHECK(blue[6] == 1.0);
  CHECK(blue[7] == 0.0);
  CHECK(rec.last(T + "rawfiducials").get<std::vector<double>>().empty());
  CHECK(rec.topics.count(T + "botpose") == 0);  // no field size, no pose: nothing to warn about yet
  pub.handle(sample_record(100), 200);
  CHECK(rec.topics.count(T + "botpose") == 0);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("--field") != std::string::npos);
}

TEST_CASE("ntpub: camera announcements become /CameraPublisher topics") {
  Recorder rec;
  RecordPublisher pub(rec, PublisherOptions{}, nullptr);
  pub.handle(Json::parse(R"({"type":"camera","cam":"front","urls":["http://10.12.34.11:1181/?action=stream",
      "http://172.22.11.1:1181/?action=stream"],"description":"Front camera","w":640,"h":480,"fps":30})"),
             5);
  const std::string T = "/CameraPublisher/front/";
  CHECK(rec.type(T + "streams") == "string[]");
  CHECK(rec.last(T + "streams") == Value::string_array({"mjpg:http://10.12.34.11:1181/?action=stream",
                                                          "mjpg:http://172.22.11.1:1181/?action=stream"}));
  CHECK(rec.last(T + "description") == Value::string("Front camera"));
  CHECK(rec.last(T + "connected") == Value::boolean(true));
  CHECK(rec.last(T + "source") == Value::string("rvkit:front"));
  CHECK(rec.last(T + "mode") == Value::string("640x480 MJPEG 30 fps"));
  pub.handle(Json::parse(R"({"type":"camera","cam":"front","urls":[],"connected":false,"w":320,"h":240,"fps":29.97})"), 6);
  CHECK(rec.last(T + "mode") == Value::string("320x240 MJPEG 29.97 fps"));
  CHECK(rec.last(T + "connected") == Value::boolean(false));
}

TEST_CASE("ntpub: --map rules") {
  auto r = MapRule::parse("tags[0].id=/Vision/{cam}/firstId:int");
  CHECK(r.path == std::vector<std::string>{"tags", "0", "id"});
  CHECK(r.topic == "/Vision/{cam}/firstId");
  CHECK(r.type == "int");
  CHECK(MapRule::parse("field.robot_pose=/Robot/pose:struct:Pose3d").type == "struct:Pose3d");
  CHECK_THROWS_AS(MapRule::parse("nothing"), Error);
  CHECK_THROWS_AS(MapRule::parse("a=/T:nosuchtype"), Error);
  CHECK_THROWS_AS(MapRule::parse("a=T:int"), Error);
  CHECK_THROWS_AS(MapRule::parse("=/T:int"), Error);

  Recorder rec;
  PublisherOptions o;
  o.schema = "none";
  o.maps = {MapRule::parse("tags.0.id=/V/{cam}/id:int"), MapRule::parse("tags.1.tx=/V/tx2:double"),
            MapRule::parse("field_pose.robot=/V/robot:struct:Pose3d"), MapRule::parse("seq=/V/seq:string"),
            MapRule::parse("tags.5.id=/V/missing:int"), MapRule::parse("cam=/V/bad:double[]")};
  std::vector<std::string> warnings;
  RecordPublisher pub(rec, o, [&](const std::string& w) { warnings.push_back(w); });
  pub.handle(sample_record(77), 99);
  CHECK(rec.last("/V/front/id") == Value::integer(7));
  CHECK(rec.topics["/V/front/id"].values.back().second == 77);
  CHECK(rec.last("/V/tx2") == Value::float64(-10.0));
  CHECK(rec.type("/V/robot") == "struct:Pose3d");
  CHECK(rec.type("/.schema/struct:Pose3d") == "structschema");
  CHECK(rec.last("/V/seq") == Value::string("42"));
  CHECK(rec.topics.count("/V/missing") == 0);
  CHECK(rec.topics.count("/V/bad") == 0);
  CHECK(warnings.size() == 1);
  CHECK(rec.topics.count("/rvkit/front/tx") == 0);  // schema none
}

TEST_CASE("ntpub: field sizes from layouts, and bad options are errors") {
  testutil::TempDir dir;
  std::string path = dir.write("field.json", R"({"tags":[],"field":{"length":16.541,"width":8.211}})");
  auto [l, w] = field_size(geometry::load_field_layout(path));
  CHECK(l == doctest::Approx(16.541));
  CHECK(w == doctest::Approx(8.211));
  // A layout without a size gives no botpose: an error naming the file and the way out.
  dir.write("field.json", R"({"tags":[]})");
  try {
    field_size(geometry::load_field_layout(path));
    FAIL("a layout without a field size was accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
    CHECK(std::string(e.what()).find("--field-size") != std::string::npos);
  }
  CHECK_THROWS_AS(geometry::load_field_layout("/nonexistent/field.json"), Error);
  Recorder rec;
  PublisherOptions o;
  o.schema = "nosuch";
  CHECK_THROWS_AS(RecordPublisher(rec, o, nullptr), Error);
}

TEST_CASE("nt vision: the example record of docs/records.md") {
  // The first detections example there (read from the file, so this test follows it).
  std::ifstream docs(std::string(RVKIT_DOCS_DIR) + "/records.md");
  REQUIRE(docs);
  std::string line;
  while (std::getline(docs, line) && line.rfind(R"({"type":"detections")", 0) != 0) {
  }
  REQUIRE(line.rfind(R"({"type":"detections")", 0) == 0);
  Json rec = Json::parse(line);
  auto r = read_detections(rec);
  REQUIRE(r);
  REQUIRE(r->tags->size() == 1);
  const records::Tag& tag = (*r->tags)[0];
  CHECK(tag.id == 5);
  REQUIRE(!tag.poses.empty());
  check_close(tag.poses[0].camera_to_tag.t.x, 1.234478, "best solution first");
  CHECK(*tag.distance == 1.27246);
  REQUIRE(r->field_pose);
  check_close(r->field_pose->robot->t.x, 14.709191, "robot");
  check_close(r->field_pose->camera->t.z, 0.750253, "camera");
  CHECK(r->field_pose->tags == std::vector<int>{5});
  CHECK(r->field_pose->std_devs);
  CHECK(*r->t_done - r->t_capture == 38870);
  // Published: the robot pose, the Limelight arrays.
  Recorder out;
  PublisherOptions o;
  o.schema = "limelight";
  RecordPublisher pub(out, o, nullptr);
  pub.handle(rec, *r->t_done + 1000);
  const auto& blue = out.last("/limelight/botpose_wpiblue").get<std::vector<double>>();
  REQUIRE(blue.size() == 18);
  check_close(blue[0], 14.709191, "x");
  check_close(blue[7], 1, "tag count");
  check_close(blue[9], 1.27246, "average distance");
  check_close(blue[6], 39.870, "latency ms", 1e-9);
  check_close(out.last("/limelight/tl").get<double>(), 38.870, "tl", 1e-9);
}

TEST_CASE("ntpub limelight schema: MegaTag2 botpose_orb* from field_pose_constrained, stddevs MegaTag1 then MegaTag2") {
  Recorder rec;
  PublisherOptions o;
  o.schema = "limelight";
  o.field_length = 16.54;
  o.field_width = 8.21;
  RecordPublisher pub(rec, o, nullptr);
  int64_t t = 1'700'000'000'000'000, now = t + 30'000;
  const std::string T = "/limelight/";
  // Without a constrained pose: zeros, tag count 0 (LimelightHelpers' MegaTag2 estimate is then empty).
  pub.handle(sample_record(t), now);
  const auto& none = rec.last(T + "botpose_orb_wpiblue").get<std::vector<double>>();
  REQUIRE(none.size() == 11);
  check_close(none[0], 0, "x");
  check_close(none[7], 0, "tag count");
  const auto& sd0 = rec.last(T + "stddevs").get<std::vector<double>>();
  REQUIRE(sd0.size() == 12);
  check_close(sd0[0], 0.1, "MT1 x");
  check_close(sd0[5], 0.2 * 180 / M_PI, "MT1 yaw, degrees");
  check_close(sd0[6], 0, "no MT2");

  Json r = sample_record(t + 33'333);
  Json c = Json::object();
  c["method"] = "heading-constrained";
  c["tags"] = {8};
  c["camera"] = pose_json(5.0 + 0.2 * std::cos(30 * kDeg), 3.5 + 0.2 * std::sin(30 * kDeg), 0.5, 0, 0, 30 * kDeg);
  c["robot"] = pose_json(5.0, 3.5, 0.01, 0, 0, 30 * kDeg);
  c["error"] = 0.2;
  c["std_devs"] = {0.03, 0.04, 1000000.0};
  c["tag_errors"] = {0.2};
  c["heading"] = 30.0;
  r["field_pose_constrained"] = c;
  pub.handle(r, now + 33'333);
  const auto& blue = rec.last(T + "botpose_orb_wpiblue").get<std::vector<double>>();
  REQUIRE(blue.size() == 11 + 7);  // one tag used
  check_close(blue[0], 5.0, "x");
  check_close(blue[1], 3.5, "y");
  check_close(blue[5], 30.0, "yaw");
  check_close(blue[6], 30.0, "latency");
  check_close(blue[7], 1, "tag count");
  check_close(blue[11], 8, "the tag used");
  const auto& red = rec.last(T + "botpose_orb_wpired").get<std::vector<double>>();
  check_close(red[0], 16.54 - 5.0, "red x");
  const auto& centre = rec.last(T + "botpose_orb").get<std::vector<double>>();
  check_close(centre[1], 3.5 - 8.21 / 2, "centre y");
  const auto& sd = rec.last(T + "stddevs").get<std::vector<double>>();
  REQUIRE(sd.size() == 12);
  check_close(sd[6], 0.03, "MT2 x");
  check_close(sd[7], 0.04, "MT2 y");
  CHECK(sd[11] > 1e6);  // the heading is the gyro's: huge
  // The unconstrained pose is unchanged by it.
  check_close(rec.last(T + "botpose_wpiblue").get<std::vector<double>>()[0], 4.8, "MegaTag1 x");
}

TEST_CASE("ntpub rvkit schema: the heading-constrained pose as its own topics") {
  Recorder rec;
  RecordPublisher pub(rec, PublisherOptions{}, nullptr);
  Json r = sample_record(1000);
  r["field_pose_constrained"] = nullptr;
  r["constrained_reason"] = "no heading received";
  pub.handle(r, 2000);
  const std::string T = "/rvkit/front/";
  CHECK(rec.last(T + "hasConstrainedPose") == Value::boolean(false));
  CHECK(rec.topics.count(T + "robotPoseConstrained") == 0);
  Json c = Json::object();
  c["method"] = "heading-constrained";
  c["robot"] = pose_json(5.0, 3.5, 0.0, 0, 0, 30 * kDeg);
  c["std_devs"] = {0.03, 0.04, 1000000.0};
  r["field_pose_constrained"] = c;
  r.erase("constrained_reason");
  pub.handle(r, 3000);
  CHECK(rec.last(T + "hasConstrainedPose") == Value::boolean(true));
  CHECK(rec.type(T + "robotPoseConstrained") == "struct:Pose3d");
  CHECK(rec.topics[T + "robotPoseConstrained"].values.back().second == 1000);  // stamped with t_capture
  const auto& a = rec.last(T + "robotPoseConstrainedArray").get<std::vector<double>>();
  check_close(a[0], 5.0, "x");
  check_close(a[5], 30.0, "yaw");
  CHECK(rec.last(T + "robotPoseConstrainedStdDevs").get<std::vector<double>>() == std::vector<double>{0.03, 0.04, 1e6});
  CHECK(rec.topics.count(T + "robotPose") == 1);  // the unconstrained one still there
}
