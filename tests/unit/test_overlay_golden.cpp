// Golden images: overlay's drawing on the synthetic scene (no sensor noise, fixed time, records from
// the scene's exact truth), compared with tests/golden/*.png with a tolerance.
#include "test_util.hpp"

#include "overlay_scene.hpp"
#include "rvkit/overlay/annotator.hpp"
#include "rvkit/overlay/tiler.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/geometry/field_layout.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

vision::CameraCalibration scene_calibration() {
  return vision::load_calibration(testutil::golden_dir() + "/testpattern-calib.json");
}

AnnotatorOptions full_options() {
  AnnotatorOptions o;
  o.calibs.push_back({"", scene_calibration()});
  o.crosshairs = {{"", 0, 0}, {"", 0.5, -0.25}};
  o.texts = {"RPM {/SmartDashboard/Shooter/RPM:%.0f}  tags {tags}",
             "tag {detections/tags/0/id} at {detections/tags/0/poses/0/camera_to_tag/translation/x:%.2f} m"};
  o.field = geometry::load_field_layout("2024-crescendo");
  o.pose_topic = "/SmartDashboard/Field/Robot";
  return o;
}

void add_nt(Annotator& a) {
  a.add_record(make_record({{"type", "nt"}, {"topic", "/SmartDashboard/Shooter/RPM"}, {"value", 3456.7}, {"t", otest::kT}}));
  a.add_record(make_record({{"type", "nt"}, {"topic", "/SmartDashboard/Field/Robot"}, {"value", {12.5, 2.0, 180.0}}, {"t", otest::kT}}));
}

// Draws everything on frame 5 of the scene, with the frame before it 1/30 s earlier (30.0 fps).
cv::Mat render_full(int w, int h) {
  Annotator a(full_options());
  add_nt(a);
  RecordPtr rec = make_record(otest::truth_record("test", w, h));
  REQUIRE(rec->detections);
  REQUIRE(rec->detections->problems.empty());
  a.add_record(rec);
  a.note_frame(otest::frame_info("test", w, h, 4, otest::kT - 33333));
  FrameInfo f = otest::frame_info("test", w, h);
  a.note_frame(f);
  cv::Mat img = otest::scene(w, h);
  Canvas c(img);
  a.draw_camera(c, f, rec.get(), otest::kNow);
  a.draw_global(c, f, rec.get(), otest::kNow);
  return img;
}

}  // namespace

TEST_CASE("overlay golden: the synthetic scene at 640x480 with every element") {
  cv::Mat img = render_full(640, 480);
  otest::check_golden(img, "overlay-scene-640x480.png");
}

TEST_CASE("overlay golden: the synthetic scene at 320x240 with every element") {
  cv::Mat img = render_full(320, 240);
  otest::check_golden(img, "overlay-scene-320x240.png");
}

TEST_CASE("overlay golden: the render is repeatable") {
  cv::Mat a = render_full(320, 240), b = render_full(320, 240);
  CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
}

TEST_CASE("overlay golden: two test-pattern cameras tiled side by side at 640x240") {
  AnnotatorOptions o;
  o.crosshairs = {{"", 0, 0}};
  o.texts = {"{cam} + right"};
  Annotator a(o);
  Tiler t({"left", "right"}, "driver", {640, 240});
  const char* cams[2] = {"left", "right"};
  for (int i = 0; i < 2; ++i) {
    RecordPtr rec = make_record(otest::truth_record(cams[i], 640, 480, 5, uint64_t(i + 1)));
    a.add_record(rec);
    FrameInfo f = otest::frame_info(cams[i], 640, 480);
    a.note_frame(otest::frame_info(cams[i], 640, 480, 4, otest::kT - 33333));
    a.note_frame(f);
    cv::Mat img = otest::scene(640, 480, 5, uint64_t(i + 1));
    CHECK_FALSE(t.complete());
    Canvas cell = t.place(cams[i], img, f.t_capture, 0);
    CHECK(cell.img.size() == cv::Size(320, 240));
    CHECK(cell.scale == doctest::Approx(0.5));
    a.draw_camera(cell, f, rec.get(), otest::kNow);
  }
  REQUIRE(t.complete());
  FrameInfo info;
  cv::Mat tile = t.take(info, 0).clone();
  CHECK(info.cam == "driver");
  CHECK(info.seq == 0);
  CHECK(info.t_capture == otest::kT);
  CHECK(info.w == 640);
  CHECK(info.h == 240);
  Canvas c(tile);
  FrameInfo lead = otest::frame_info("left", 640, 480);
  a.draw_global(c, lead, nullptr, otest::kNow);
  otest::check_golden(tile, "overlay-tile-640x240.png");
}

// The input of the tool's golden test (tests/pipeline/overlay_golden.sh): the scene at 320x240 as a
// PNG, and its records (seq 0, as `cap --file` numbers the frame) as JSON Lines.
TEST_CASE("overlay golden: the tool test's input frame and records are the scene's") {
  otest::check_golden(otest::scene(320, 240), "overlay-input-320x240.png");
  Json rec = otest::truth_record("test", 320, 240);
  rec["seq"] = 0;
  std::string lines = Json{{"type", "nt"}, {"topic", "/SmartDashboard/Shooter/RPM"}, {"value", 3456.7}, {"t", otest::kT}}.dump() +
                      "\n" +
                      Json{{"type", "nt"}, {"topic", "/SmartDashboard/Field/Robot"}, {"value", {12.5, 2.0, 180.0}}, {"t", otest::kT}}.dump() +
                      "\n";
  std::string path = testutil::golden_dir() + "/overlay-input-320x240-nt.jsonl",
              det_path = testutil::golden_dir() + "/overlay-input-320x240-detections.jsonl";
  if (testutil::update_golden()) {
    testutil::write_file(path, lines);
    testutil::write_file(det_path, rec.dump() + "\n");
  }
  std::string got_nt = testutil::read_file(path), got_det = testutil::read_file(det_path);
  CHECK(got_nt == lines);
  REQUIRE_FALSE(got_det.empty());
  Json parsed = Json::parse(got_det);
  CHECK(parsed["tags"].size() == rec["tags"].size());
  for (size_t i = 0; i < rec["tags"].size(); ++i)
    for (size_t k = 0; k < 4; ++k)
      for (size_t xy = 0; xy < 2; ++xy)
        CHECK(parsed["tags"][i]["corners"][k][xy].get<double>() ==
              doctest::Approx(rec["tags"][i]["corners"][k][xy].get<double>()).epsilon(1e-6));
}
