// records/detections_diff (probe --diff): frames matched by cam and seq (t_capture without seq) and
// occurrence, tags per frame, ids only in one run, the field pose difference, the choice of a side's
// new run over the detections it passed through, and the summary's exact text.
#include <doctest/doctest.h>

#include <string>

#include "rvkit/records/detections_diff.hpp"

using namespace rvkit;
using namespace rvkit::records;

namespace {

// A detections record of camera `cam`: `seq` (< 0: none), the tag ids, and with `pose` a robot pose
// (x, y in m, yaw as the quaternion's W and Z).
std::string record(const std::string& cam, int seq, const std::string& ids, const std::string& pose = "") {
  std::string tags;
  for (char c : ids) tags += std::string(tags.empty() ? "" : ",") + "{\"id\":" + c + "}";
  std::string s = "{\"type\":\"detections\",\"cam\":\"" + cam + "\"," +
                  (seq >= 0 ? "\"seq\":" + std::to_string(seq) + "," : "") +
                  "\"t_capture\":" + std::to_string(1700000000000000 + 1000 * (seq < 0 ? 7 : seq)) +
                  ",\"tags\":[" + tags + "]";
  if (!pose.empty()) s += ",\"field_pose\":{\"robot\":" + pose + "}";
  return s + "}";
}

std::string pose_json(double x, double y, double w = 1, double z = 0) {
  return "{\"translation\":{\"x\":" + std::to_string(x) + ",\"y\":" + std::to_string(y) +
         ",\"z\":0},\"rotation\":{\"quaternion\":{\"W\":" + std::to_string(w) + ",\"X\":0,\"Y\":0,\"Z\":" +
         std::to_string(z) + "}}}";
}

void add(DetectionsDiff& d, int side, const std::string& json, bool recorded = false) {
  d.add(side, read_detections(Json::parse(json)), recorded);
}

// cos and sin of 5 degrees: a yaw of 10 degrees.
constexpr double kW10 = 0.996194698, kZ10 = 0.087155743;

// A: front seq 0, 1, 2; B: front seq 1, 2, 3. Seq 1: A finds tags 1 and 3, B only 1, and B's robot is
// 0.3 m further left and turned 10 degrees. Seq 2: tag 4 in both, B 0.1 m further forward.
DetectionsDiff example(bool keep_frames) {
  DiffOptions o;
  o.keep_frames = keep_frames;
  DetectionsDiff d(o);
  add(d, 0, record("front", 0, "2"));
  add(d, 0, record("front", 1, "13", pose_json(1, 2)));
  add(d, 0, record("front", 2, "4", pose_json(0, 0)));
  add(d, 1, record("front", 1, "1", pose_json(1, 2.3, kW10, kZ10)));
  add(d, 1, record("front", 2, "4", pose_json(0.1, 0)));
  add(d, 1, record("front", 3, "5"));
  return d;
}

}  // namespace

TEST_CASE("detections diff: frames matched by cam and seq, tags per frame, ids only in one, pose difference") {
  DiffReport r = example(false).report();
  CHECK(r.frames_both == 2);
  CHECK(r.frames_only_a == 1);
  CHECK(r.frames_only_b == 1);
  CHECK(r.tags_a == 3);
  CHECK(r.tags_b == 2);
  CHECK(r.tags_per_frame_a() == doctest::Approx(1.5));
  CHECK(r.tags_per_frame_b() == doctest::Approx(1.0));
  CHECK(r.frames_ids_differ == 1);
  CHECK(r.ids_only_a == std::map<int, size_t>{{3, 1}});
  CHECK(r.ids_only_b.empty());
  CHECK(r.pose.both == 2);
  CHECK(r.pose.only_a == 0);
  CHECK(r.pose.only_b == 0);
  CHECK(r.pose.median_m == doctest::Approx(0.2).epsilon(1e-6));
  CHECK(r.pose.max_m == doctest::Approx(0.3).epsilon(1e-6));
  CHECK(r.pose.median_deg == doctest::Approx(5.0).epsilon(1e-5));
  CHECK(r.pose.max_deg == doctest::Approx(10.0).epsilon(1e-5));
  CHECK(r.frames_differ == 2);  // seq 1 (ids, pose) and seq 2 (0.1 m is past the 0.01 m tolerance)
  CHECK(r.frames.empty());      // not kept without keep_frames
}

TEST_CASE("detections diff: the summary and the per-frame lines, exactly") {
  DiffReport r = example(true).report();
  CHECK(format_diff(r, "a.jsonl", "b.jsonl", true) ==
        "A: a.jsonl\n"
        "B: b.jsonl\n"
        "frames: 2 in both, 1 only in A, 1 only in B\n"
        "tags per frame: A 1.50, B 1.00 (3 and 2 tags); tag ids differ in 1 frame\n"
        "ids only in A: 3 (1 frame)\n"
        "ids only in B: none\n"
        "field pose: 2 frames in both, 0 only in A, 0 only in B; difference median 0.200 m 5.00 deg, max 0.300 m "
        "10.00 deg\n"
        "frames that differ: 2\n"
        "front seq 1: tags A 1 3 B 1; pose 0.300 m 10.00 deg\n"
        "front seq 2: tags A 4 B 4; pose 0.100 m 0.00 deg\n"
        "front seq 0: only in A: tags 2\n"
        "front seq 3: only in B: tags 5\n");
  Json j = diff_to_json(r, "a.jsonl", "b.jsonl", false);
  CHECK(j["frames_both"] == 2);
  CHECK(j["ids_only_a"] == Json{{"3", 1}});
  CHECK(j["pose"]["max_deg"].get<double>() == doctest::Approx(10.0).epsilon(1e-5));
  CHECK(!j.contains("frames"));
  CHECK(diff_to_json(r, "a", "b", true)["frames"].size() == 4);
}

TEST_CASE("detections diff: poses within the tolerance, a pose on one side only, and records without seq") {
  DetectionsDiff d;
  add(d, 0, record("front", -1, "7", pose_json(1, 1)));
  add(d, 1, record("front", -1, "7", pose_json(1.005, 1)));  // 5 mm: within 0.01 m
  add(d, 0, record("back", 4, "12", pose_json(2, 2)));
  add(d, 1, record("back", 4, "12"));                    // B has no field pose
  DiffReport r = d.report();
  CHECK(r.frames_both == 2);  // front by t_capture, back by seq: cameras are told apart
  CHECK(r.frames_ids_differ == 0);
  CHECK(r.pose.both == 1);
  CHECK(r.pose.only_a == 1);
  CHECK(r.pose.max_m == doctest::Approx(0.005).epsilon(1e-4));
  CHECK(r.frames_differ == 1);  // back only
}

TEST_CASE("detections diff: a repeated seq pairs by occurrence, and a side's new run wins over what it passed through") {
  DetectionsDiff d;
  // A camera that restarted: seq 0 twice in each run.
  add(d, 0, record("front", 0, "1"));
  add(d, 0, record("front", 0, "2"));
  add(d, 1, record("front", 0, "1"));
  add(d, 1, record("front", 0, "23"));
  // Side B also holds recorded detections (t_rec) passed through by detect: they are not B's run.
  add(d, 1, record("front", 0, "9"), true);
  add(d, 1, record("front", 5, "9"), true);
  DiffReport r = d.report();
  CHECK(r.frames_both == 2);
  CHECK(r.frames_only_b == 0);
  CHECK(r.ids_only_b == std::map<int, size_t>{{3, 1}});
  CHECK(r.ids_only_a.empty());
  // A side with recorded detections only (the recording itself) is compared by those.
  DetectionsDiff rec;
  add(rec, 0, record("front", 0, "9"), true);
  add(rec, 1, record("front", 0, "9"));
  add(rec, 1, record("front", 0, "1"), true);
  DiffReport r2 = rec.report();
  CHECK(r2.frames_both == 1);
  CHECK(r2.frames_ids_differ == 0);
}
