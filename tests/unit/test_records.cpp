// The records module and docs/records.md: every documented example reads and writes back byte for
// byte, every record type has an example, each type round-trips, and errors name the field.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "rvkit/records/record.hpp"

using namespace rvkit;
using namespace rvkit::records;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const RecordError& e) {
    return e.what();
  }
  return "(no RecordError)";
}

// The examples of docs/records.md: every line of a ```json block is one record.
struct Example {
  int line = 0;
  std::string text;
};

std::vector<Example> documented_examples() {
  std::ifstream in(std::string(RVKIT_DOCS_DIR) + "/records.md");
  REQUIRE_MESSAGE(in, "cannot read " << RVKIT_DOCS_DIR << "/records.md");
  std::vector<Example> out;
  std::string line;
  bool in_json = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind("```", 0) == 0) {
      in_json = !in_json && line == "```json";
      continue;
    }
    if (in_json && !line.empty()) out.push_back({n, line});
  }
  return out;
}

geometry::Pose3 pose(double x, double y, double z, double yaw_deg) {
  return geometry::Pose3::from_xyz_rpy(x, y, z, 0, 0, yaw_deg * M_PI / 180);
}

// A record as detect writes it with --calib --field --robot-to-camera --color.
Detections full_detections() {
  Detections d;
  d.cam = "front";
  d.seq = 7;
  d.t_capture = 1795326348740112;
  d.w = 1280;
  d.h = 720;
  Tag t;
  t.id = 5;
  t.hamming = 0;
  t.margin = 155.004;
  t.corners = Quad{Point{680.1174, 169.83}, Point{837.191, 166.001}, Point{831.902, 28.743}, Point{681.093, 33.09}};
  t.center = Point{757.362, 98.029};
  t.tx = 6.75912;
  t.ty = 12.4149;
  t.area = 2.289351;
  t.distance = 1.27759;
  t.ambiguity = 0.02783;
  t.poses = {TagPose{pose(1.239471, -0.146643, 0.272857, 170), 0.13541}, TagPose{pose(1.23718, -0.146156, 0.267761, 160), 4.865}};
  d.tags = std::vector<Tag>{t};
  FieldPose fp;
  fp.method = PoseMethod::single_tag;
  fp.tags = {5};
  fp.camera = pose(14.666886, 7.082801, 0.744657, 95);
  fp.robot = pose(14.708152, 6.788375, 0, 95);
  fp.error = 0.1354;
  fp.ambiguity = 0.02783;
  fp.distance = 1.27759;
  fp.std_devs = std::array<double, 3>{0.09751, 0.09751, 0.0934};
  d.with_field = true;
  d.field_pose = fp;
  ColorTarget c;
  c.color = 1;
  c.center = Point{208.152, 421.586};
  c.tx = -11.3593;
  c.ty = -18.1866;
  c.area = 2.53685;
  c.bbox = Box{150, 380, 117, 84};
  c.angle = 0;
  c.width = 117;
  c.height = 84;
  c.aspect = 1.3929;
  c.fullness = 79.296;
  c.corners = Quad{Point{149.5, 379.5}, Point{266.5, 379.5}, Point{266.5, 463.5}, Point{149.5, 463.5}};
  d.targets = std::vector<ColorTarget>{c};
  d.t_done = 1795326348778982;
  return d;
}

}  // namespace

TEST_CASE("records: every example of docs/records.md reads and writes back byte for byte") {
  std::vector<Example> examples = documented_examples();
  REQUIRE(examples.size() >= 6);
  std::vector<std::string> known = record_types();
  std::set<std::string> documented;
  for (const Example& e : examples) {
    CAPTURE(e.line);
    CAPTURE(e.text);
    Json j = Json::parse(e.text, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "docs/records.md line " << e.line << ": not JSON");
    REQUIRE_MESSAGE((j.is_object() && j.contains("type") && j["type"].is_string()),
                    "docs/records.md line " << e.line << ": not a record (no \"type\")");
    std::string type = j["type"].get<std::string>();
    CHECK_MESSAGE(std::find(known.begin(), known.end(), type) != known.end(),
                  "docs/records.md line " << e.line << ": type \"" << type << "\" is not one of rvkit::records::Record");
    documented.insert(type);
    std::optional<Record> r;
    try {
      r = read_record(j);
    } catch (const RecordError& err) {
      FAIL("docs/records.md line " << e.line << ": " << err.what());
    }
    if (!r) continue;
    CHECK(Json(*r).dump() == e.text);
  }
  for (const std::string& type : known)
    CHECK_MESSAGE(documented.count(type), "record type \"" << type << "\" has no example in docs/records.md");
}

TEST_CASE("records: detections round-trip, in the documented order, rounded as documented") {
  Detections d = full_detections();
  Json j = d;
  std::string text = j.dump();
  // Fields in order, t_done last; rounding: pixels 3 decimals, margin 2, angles 4, area 5, pose error 4.
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"type", "cam", "seq", "t_capture", "w", "h", "tags", "field_pose", "targets", "t_done"});
  CHECK(j["tags"][0]["corners"][0] == Json::array({680.117, 169.83}));
  CHECK(j["tags"][0]["margin"] == 155.0);
  CHECK(j["tags"][0]["tx"] == 6.7591);
  CHECK(j["tags"][0]["area"] == 2.28935);
  CHECK(j["tags"][0]["poses"][0]["error"] == 0.1354);
  CHECK(j["targets"][0]["bbox"] == Json::array({150, 380, 117, 84}));
  CHECK(text.find("\"angle\":0.0,") != std::string::npos);
  // What is read is written back unchanged.
  Detections back = j.get<Detections>();
  CHECK(Json(back).dump() == text);
  CHECK(back.cam == "front");
  CHECK(*back.seq == 7);
  REQUIRE(back.tags);
  REQUIRE(back.tags->size() == 1);
  CHECK((*back.tags)[0].poses.size() == 2);
  REQUIRE(back.field_pose);
  CHECK(back.field_pose->method == PoseMethod::single_tag);
  CHECK(back.field_pose->robot->t.x == doctest::Approx(14.708152));
  CHECK(back.field_pose->robot->rpy().z == doctest::Approx(95 * M_PI / 180).epsilon(1e-5));
}

TEST_CASE("records: detections: absent and null stay apart") {
  Detections d;
  d.cam = "c";
  d.seq = 0;
  d.t_capture = 1;
  d.w = 2;
  d.h = 2;
  CHECK(Json(d).dump() == R"({"type":"detections","cam":"c","seq":0,"t_capture":1,"w":2,"h":2})");  // --no-tags, no t_done yet
  d.tags = std::vector<Tag>{};
  d.with_field = true;
  d.t_done = 3;
  std::string text = Json(d).dump();
  CHECK(text == R"({"type":"detections","cam":"c","seq":0,"t_capture":1,"w":2,"h":2,"tags":[],"field_pose":null,"t_done":3})");
  Detections back = Json::parse(text).get<Detections>();
  CHECK(back.with_field);
  CHECK_FALSE(back.field_pose);
  CHECK(back.tags->empty());
  CHECK(Json(back).dump() == text);
  d.t_start = 2;  // detect's start on the frame: just before t_done, and read back
  text = Json(d).dump();
  CHECK(text == R"({"type":"detections","cam":"c","seq":0,"t_capture":1,"w":2,"h":2,"tags":[],"field_pose":null,"t_start":2,"t_done":3})");
  back = Json::parse(text).get<Detections>();
  CHECK(back.t_start == 2);
  CHECK(Json(back).dump() == text);
  Detections none = Json::parse(R"({"type":"detections","t_capture":5})").get<Detections>();
  CHECK_FALSE(none.with_field);
  CHECK_FALSE(none.tags);
  CHECK_FALSE(none.seq);
  CHECK(Json(none).dump() == R"({"type":"detections","t_capture":5})");
}

TEST_CASE("records: detections errors name the field") {
  auto err = [](const std::string& text) { return error_of([&] { read_detections(Json::parse(text)); }); };
  CHECK(err(R"({"type":"detections"})") == "detections: t_capture: missing or not an integer");
  CHECK(err(R"({"type":"detection","t_capture":1})") == "detections: type: expected \"detections\", got \"detection\"");
  CHECK(err("[1]") == "detections: expected an object");
  CHECK(err(R"({"type":"detections","t_capture":1,"seq":-1})") == "detections: seq: -1 is out of range 0..9223372036854775807");
  CHECK(err(R"({"type":"detections","t_capture":1,"w":0})") == "detections: w: 0 is out of range 1..65535");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":3})") == "detections: tags: expected an array");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":[{"id":1},{"id":2},{"id":3,"corners":[[0,0],[1,0],[1,1]]}]})") ==
        "detections: tags[2].corners: expected 4 [x, y] pairs of pixel coordinates");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":[{"id":"x"}]})") == "detections: tags[0].id: missing or not an integer");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":[{"id":1,"tx":"left"}]})") == "detections: tags[0].tx: not a number");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":[{"id":1,"center":[1,1e7]}]})") ==
        "detections: tags[0].center: expected [x, y] pixel coordinates");
  CHECK(err(R"({"type":"detections","t_capture":1,"tags":[{"id":1,"poses":[{"error":1}]}]})") ==
        "detections: tags[0].poses[0].camera_to_tag: missing");
  CHECK(err(R"({"type":"detections","t_capture":1,"field_pose":{"camera":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"X":0,"Y":0,"Z":0}}}}})") ==
        "detections: field_pose.camera.rotation.quaternion: missing \"W\"");
  CHECK(err(R"({"type":"detections","t_capture":1,"field_pose":{"method":"guess","camera":{}}})") ==
        "detections: field_pose.method: expected \"multi-tag\", \"single-tag\" or \"heading-constrained\"");
  CHECK(err(R"({"type":"detections","t_capture":1,"field_pose":{"tags":[1]}})") == "detections: field_pose: no \"robot\" or \"camera\" pose");
  const char* cam = R"("camera":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}})";
  CHECK(err(std::string(R"({"type":"detections","t_capture":1,"field_pose":{"tags":[1,2],"tag_errors":[0.5],)") + cam + "}}") ==
        "detections: field_pose.tag_errors: expected one error per tag of \"tags\"");
  CHECK(err(std::string(R"({"type":"detections","t_capture":1,"field_pose":{"rejected":[{"error":3}],)") + cam + "}}") ==
        "detections: field_pose.rejected[0].id: missing or not an integer");
  CHECK(err(std::string(R"({"type":"detections","t_capture":1,"field_pose_constrained":{"heading":"north",)") + cam + "}}") ==
        "detections: field_pose_constrained.heading: not a number");
  CHECK(err(R"({"type":"detections","t_capture":1,"field_pose":{"std_devs":[1,2],"robot":{}}})").find("detections: field_pose.robot") == 0);
  CHECK(err(R"({"type":"detections","t_capture":1,"field_pose":[]})") == "detections: field_pose: expected an object or null");
  CHECK(err(R"({"type":"detections","t_capture":1,"targets":[{"center":[1,1]}]})") == "detections: targets[0].color: missing or not an integer");
  CHECK(err(R"({"type":"detections","t_capture":1,"targets":[{"color":0,"bbox":[1,2,-3,4]}]})") ==
        "detections: targets[0].bbox: expected [x, y, w, h] in whole pixels");
  CHECK(err(R"({"type":"detections","t_capture":1,"t_done":"later"})") == "detections: t_done: not an integer");
  CHECK(err(R"({"type":"detections","t_capture":1,"t_start":"soon"})") == "detections: t_start: not an integer");
}

TEST_CASE("records: detections read leniently: malformed elements are skipped and named") {
  Json j = Json::parse(R"({"type":"detections","cam":"c","seq":1,"t_capture":1,
      "tags":[{"id":1,"corners":[[0,0],[1,0],[1,1],[0,1]]},{"id":"two"},
              {"id":3,"poses":[{"camera_to_tag":{"translation":1}}]},"garbage"],
      "field_pose":{"robot":{"translation":{"x":1,"y":2,"z":0}}},
      "targets":[{"color":0,"bbox":[1,2]},{"color":1,"center":[5,5]}]})");
  std::vector<std::string> skipped;
  Detections d = read_detections(j, ReadOptions{&skipped});
  REQUIRE(d.tags);
  REQUIRE(d.tags->size() == 2);  // 1, and 3 without its poses
  CHECK((*d.tags)[1].id == 3);
  CHECK((*d.tags)[1].poses.empty());
  CHECK(d.with_field);
  CHECK_FALSE(d.field_pose);
  REQUIRE(d.targets);
  REQUIRE(d.targets->size() == 1);
  CHECK((*d.targets)[0].color == 1);
  CHECK(skipped == std::vector<std::string>{
                       "tags[1].id: missing or not an integer",
                       "tags[2].poses[0].camera_to_tag: \"translation\" must be an object",
                       "tags[3]: not an object",
                       "field_pose.robot: missing \"rotation\"",
                       "targets[0].bbox: expected [x, y, w, h] in whole pixels",
                   });
  // What is not an element stays fatal: the record itself is unusable.
  CHECK(error_of([&] { read_detections(Json::parse(R"({"type":"detections","tags":[]})"), ReadOptions{&skipped}); }) ==
        "detections: t_capture: missing or not an integer");
  // The parts alone, as overlay reads them from any record: every malformed part is skipped.
  std::vector<std::string> parts_skipped;
  Detections p = read_parts(Json::parse(R"({"type":"mine","w":-5,"tags":"many","field_pose":null,"targets":[{"color":2}]})"),
                            ReadOptions{&parts_skipped});
  CHECK_FALSE(p.w);
  CHECK_FALSE(p.tags);
  CHECK(p.with_field);
  CHECK_FALSE(p.field_pose);
  REQUIRE(p.targets);
  CHECK(p.targets->size() == 1);
  CHECK(parts_skipped == std::vector<std::string>{"w: -5 is out of range 1..65535", "tags: expected an array"});
  CHECK(error_of([] { read_parts(Json::parse(R"({"tags":"many"})")); }) == "tags: expected an array");
  CHECK(read_parts(Json::parse(R"({"tags":[]})")).tags->empty());
}

TEST_CASE("records: detections: the alternative spellings ntpub has always read") {
  Json j = Json::parse(R"({"type":"detections","t_capture":5,"tags":[
      {"id":1,"poses":[{"translation":{"x":1,"y":0,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}]},
      {"id":2,"pose":{"translation":{"x":2,"y":0,"z":0},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}}],
      "field":{"camera_pose":[1,2,3,1,0,0,0],"tag_ids":[1,2]}})");
  ReadOptions alt;
  alt.alternative_spellings = true;
  Detections d = read_detections(j, alt);
  REQUIRE(d.tags->size() == 2);
  CHECK((*d.tags)[0].poses.at(0).camera_to_tag.t.x == 1);
  CHECK_FALSE((*d.tags)[0].poses.at(0).error);
  CHECK((*d.tags)[1].poses.at(0).camera_to_tag.t.x == 2);
  REQUIRE(d.field_pose);
  CHECK(d.field_pose->camera->t.z == 3);
  CHECK(d.field_pose->tags == std::vector<int>{1, 2});
  // Top-level poses (field_pose null or absent).
  Detections top = read_detections(Json::parse(R"({"type":"detections","t_capture":5,"field_pose":null,
      "robot_pose":[1,2,0,1,0,0,0],"tag_ids":[4]})"), alt);
  REQUIRE(top.field_pose);
  CHECK(top.field_pose->robot->t.y == 2);
  CHECK(top.field_pose->tags == std::vector<int>{4});
  // The documented reader takes none of them.
  Detections plain = read_detections(Json::parse(R"({"type":"detections","t_capture":5,"robot_pose":[1,2,0,1,0,0,0]})"));
  CHECK_FALSE(plain.field_pose);
  CHECK(error_of([&] { read_detections(j); }) == "detections: tags[0].poses[0].camera_to_tag: missing");
}

TEST_CASE("records: camera round-trips, errors name the field") {
  Camera c;
  c.cam = "front";
  c.urls = {"http://10.12.34.11:1181/?action=stream&cam=front", "http://127.0.0.1:1181/?action=stream&cam=front"};
  c.description = "rvkit stream";
  c.w = 1280;
  c.h = 720;
  c.fps = 29.97;
  c.connected = true;
  std::string text = Json(c).dump();
  CHECK(text == R"({"type":"camera","cam":"front","urls":["http://10.12.34.11:1181/?action=stream&cam=front",)"
                R"("http://127.0.0.1:1181/?action=stream&cam=front"],"description":"rvkit stream","w":1280,"h":720,)"
                R"("fps":30.0,"connected":true})");
  Camera back = Json::parse(text).get<Camera>();
  CHECK(back.urls == c.urls);
  CHECK(Json(back).dump() == text);
  Camera minimal = Json::parse(R"({"type":"camera","cam":"x","urls":[]})").get<Camera>();
  CHECK_FALSE(minimal.connected);
  CHECK_FALSE(minimal.description);
  auto err = [](const char* t) { return error_of([&] { Json::parse(t).get<Camera>(); }); };
  CHECK(err(R"({"type":"camera","urls":[]})") == "camera: cam: missing or not a string");
  CHECK(err(R"({"type":"camera","cam":"x"})") == "camera: urls: missing or not an array of strings");
  CHECK(err(R"({"type":"camera","cam":"x","urls":["a",3]})") == "camera: urls[1]: not a string");
  CHECK(err(R"({"type":"camera","cam":"x","urls":[],"connected":"yes"})") == "camera: connected: not true or false");
  CHECK(err(R"({"type":"frame","cam":"x","urls":[]})") == "camera: type: expected \"camera\", got \"frame\"");
}

TEST_CASE("records: nt and nt_snapshot round-trip, errors name the field") {
  Nt n;
  n.topic = "/SmartDashboard/x";
  n.ntype = "double";
  n.value = 1.5;
  n.t = 1795320000123456;
  n.t_server = 83000123;
  n.t_recv = 1795320000124001;
  std::string text = Json(n).dump();
  CHECK(text == R"({"type":"nt","topic":"/SmartDashboard/x","ntype":"double","value":1.5,"t":1795320000123456,)"
                R"("t_server":83000123,"t_recv":1795320000124001})");
  CHECK(Json(Json::parse(text).get<Nt>()).dump() == text);
  Nt bare = Json::parse(R"({"type":"nt","topic":"/a","value":null})").get<Nt>();
  CHECK(bare.value.is_null());
  CHECK(Json(bare).dump() == R"({"type":"nt","topic":"/a","value":null})");
  CHECK(error_of([] { Json::parse(R"({"type":"nt","topic":"/a"})").get<Nt>(); }) == "nt: value: missing");
  CHECK(error_of([] { Json::parse(R"({"type":"nt","value":1})").get<Nt>(); }) == "nt: topic: missing or not a string");

  NtSnapshot s;
  s.t = 1795320000200000;
  s.values = {{"/b", Json::array({1, 2})}, {"/a", "x"}};
  s.times = std::map<std::string, int64_t>{{"/a", 1}, {"/b", 2}};
  std::string snap = Json(s).dump();
  CHECK(snap == R"({"type":"nt_snapshot","t":1795320000200000,"values":{"/a":"x","/b":[1,2]},"times":{"/a":1,"/b":2}})");
  NtSnapshot sback = Json::parse(snap).get<NtSnapshot>();
  CHECK(sback.values.at("/b") == Json::array({1, 2}));
  CHECK(Json(sback).dump() == snap);
  CHECK(error_of([] { Json::parse(R"({"type":"nt_snapshot","t":1,"values":[]})").get<NtSnapshot>(); }) ==
        "nt_snapshot: values: missing or not an object");
  CHECK(error_of([] { Json::parse(R"({"type":"nt_snapshot","t":1,"values":{},"times":{"/a":0.5}})").get<NtSnapshot>(); }) ==
        "nt_snapshot: times[\"/a\"]: not an integer");
}

TEST_CASE("records: eos and summary round-trip") {
  CHECK(Json(Eos{}).dump() == R"({"type":"eos"})");
  CHECK_NOTHROW(Json::parse(R"({"type":"eos"})").get<Eos>());
  CHECK(error_of([] { Json::parse(R"({"type":"end"})").get<Eos>(); }) == "eos: type: expected \"eos\", got \"end\"");
  Eos cam_end;
  cam_end.cam = "front";
  CHECK(Json(cam_end).dump() == R"({"type":"eos","cam":"front"})");
  cam_end.error = "publisher vanished";
  CHECK(Json(cam_end).dump() == R"({"type":"eos","cam":"front","error":"publisher vanished"})");
  Eos back = Json::parse(R"({"type":"eos","cam":"front","error":"publisher vanished"})").get<Eos>();
  CHECK(back.cam == std::optional<std::string>("front"));
  CHECK(back.error == std::optional<std::string>("publisher vanished"));
  CHECK_FALSE(Json::parse(R"({"type":"eos"})").get<Eos>().cam);
  CHECK(error_of([] { Json::parse(R"({"type":"eos","cam":""})").get<Eos>(); }) == "eos: cam: empty (a camera name, or no field)");
  CHECK(error_of([] { Json::parse(R"({"type":"eos","cam":3})").get<Eos>(); }) == "eos: cam: not a string");
  CHECK(error_of([] { Json::parse(R"({"type":"eos","error":true})").get<Eos>(); }) == "eos: error: not a string");

  Summary frames;
  frames.cam = "test";
  frames.messages = 100;
  FrameSummary fs;
  fs.first_seq = 0;
  fs.last_seq = 99;
  fs.duration_s = 3.3;
  fs.fps = 30.0;
  fs.fmt = "bgr8";
  fs.w = 640;
  fs.h = 480;
  fs.min_bytes = fs.max_bytes = fs.mean_bytes = 921600;
  fs.age_ms = {1.5, 3.25, 4.0};
  frames.frames = fs;
  frames.total_bytes = 92160000;
  std::string text = Json(frames).dump();
  CHECK(text == R"({"type":"summary","cam":"test","messages":100,"first_seq":0,"last_seq":99,"dropped":0,)"
                R"("duration_s":3.3,"fps":30.0,"fmt":"bgr8","w":640,"h":480,"min_bytes":921600,"max_bytes":921600,)"
                R"("mean_bytes":921600,"age_ms":{"median":1.5,"p99":3.25,"max":4.0},"total_bytes":92160000})");
  CHECK(Json(Json::parse(text).get<Summary>()).dump() == text);
  Summary recs;
  recs.record_type = "detections";
  recs.messages = 100;
  CHECK(Json(recs).dump() == R"({"type":"summary","record_type":"detections","messages":100,"total_bytes":0})");
  CHECK(error_of([] { Json::parse(R"({"type":"summary","cam":"x","messages":1})").get<Summary>(); }) ==
        "summary: first_seq: missing or not an integer");
}

TEST_CASE("records: any record by its type") {
  CHECK(record_types() == std::vector<std::string>{"detections", "camera", "nt", "nt_snapshot", "eos", "summary", "hub"});
  CHECK_FALSE(read_record(Json::parse(R"({"type":"note"})")));
  auto r = read_record(Json::parse(R"({"type":"nt","topic":"/a","value":1})"));
  REQUIRE(r);
  CHECK(std::get<Nt>(*r).topic == "/a");
  CHECK(error_of([] { read_record(Json::parse(R"({"type":"camera"})")); }) == "camera: cam: missing or not a string");
  CHECK(error_of([] { read_record(Json::parse(R"({"cam":"x"})")); }) == "type: missing or not a string");
}
