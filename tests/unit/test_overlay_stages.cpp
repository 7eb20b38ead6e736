// overlay's records, options and drawing stages: malformed records never crash, options are checked,
// sizes scale with the image, and each stage draws where it should.
#include "test_util.hpp"

#include "overlay_scene.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/overlay/annotator.hpp"
#include "rvkit/overlay/tiler.hpp"

using namespace rvkit;
using namespace rvkit::overlay;
using testutil::error_of;

TEST_CASE("overlay records: a detect record parses completely") {
  Json j = otest::truth_record("test", 640, 480);
  FrameDetections d = frame_detections(j);
  CHECK(d.problems.empty());
  CHECK(d.w == 640);
  CHECK(d.tags.size() == 4);
  CHECK(d.tags[0].camera_to_tag.has_value());
  REQUIRE(d.targets.size() == 1);
  CHECK(d.targets[0].corners.has_value());
  REQUIRE(d.field_pose.has_value());
  CHECK(d.field_pose->is_robot);
  CHECK(d.field_pose->pose.t[0] == doctest::Approx(3.2));
}

TEST_CASE("overlay records: malformed parts are skipped and named, the rest kept") {
  Json square = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  Json tags = Json::array();
  tags.push_back({{"id", 1}, {"corners", square}});
  tags.push_back({{"id", "two"}, {"corners", square}});
  tags.push_back({{"id", 3}, {"corners", {{0, 0}, {1, 0}, {1, 1}}}});
  tags.push_back({{"id", 4}, {"corners", {{0, 0}, {1, 0}, {1, 1}, {0, 1e300}}}});
  Json bad_pose = {{"camera_to_tag", {{"translation", 1}}}};
  tags.push_back({{"id", 5}, {"corners", square}, {"poses", Json::array({bad_pose})}});
  tags.push_back("garbage");
  Json j = {{"type", "detections"}, {"cam", "c"}, {"seq", 1}, {"tags", tags}, {"targets", "none"}};
  j["field_pose"]["robot"]["translation"] = {{"x", 1}, {"y", 2}, {"z", 0}};  // no rotation
  FrameDetections d = frame_detections(j);
  REQUIRE(d.tags.size() == 2);  // 1, and 5 without its bad pose
  CHECK(d.tags[0].id == 1);
  CHECK(d.tags[1].id == 5);
  CHECK_FALSE(d.tags[1].camera_to_tag.has_value());
  CHECK(d.targets.empty());
  CHECK_FALSE(d.field_pose.has_value());
  REQUIRE(d.problems.size() == 3);  // the first three are kept
  CHECK(d.problems[0] == "tags[1].id: missing or not an integer");
  CHECK(d.problems[1] == "tags[2].corners: expected 4 [x, y] pairs of pixel coordinates");
  CHECK(d.problems[2] == "tags[3].corners: expected 4 [x, y] pairs of pixel coordinates");

  for (Json bad : {Json("x"), Json(nullptr), Json::array(), Json{{"tags", 5}}, Json{{"tags", {nullptr}}},
                   Json{{"targets", {{{"bbox", {1, 2, -3, 4}}}}}}, Json{{"field_pose", 7}}, Json{{"w", -5}, {"h", 1e9}}}) {
    FrameDetections x = frame_detections(bad);  // never throws
    CHECK(x.tags.empty());
    CHECK(x.targets.empty());
  }
  CHECK(frame_detections(Json{{"field_pose", nullptr}}).problems.empty());  // no tag in view: fine
}

TEST_CASE("overlay records: make_record reads type, cam and seq") {
  RecordPtr r = make_record({{"type", "detections"}, {"cam", "front"}, {"seq", 9}, {"tags", Json::array()}});
  CHECK(r->type == "detections");
  CHECK(r->cam == "front");
  CHECK(r->seq == 9);
  CHECK(r->detections);
  RecordPtr n = make_record({{"type", "nt"}, {"topic", "/x"}, {"value", 1}});
  CHECK_FALSE(n->seq);
  CHECK_FALSE(n->detections);
  CHECK_FALSE(make_record({{"type", "x"}, {"seq", 1}})->seq);  // a seq means nothing without a cam
}

TEST_CASE("overlay records: t_capture is read when it is an integer, and a bad one is no error") {
  Json j = otest::truth_record("c", 320, 240);
  CHECK(make_record(j)->t_capture == otest::kT);
  j["t_capture"] = "soon";
  RecordPtr r = make_record(j);
  CHECK_FALSE(r->t_capture);
  REQUIRE(r->detections);
  CHECK(r->detections->field_pose.has_value());
  Annotator a{AnnotatorOptions{}};
  CHECK_NOTHROW(a.add_record(r));
}

TEST_CASE("overlay records: the store keeps only what is asked for") {
  RecordStore s;
  s.want_topic("/a");
  s.want_type("robot");
  s.add(make_record({{"type", "nt"}, {"topic", "/a"}, {"value", 1}}));
  s.add(make_record({{"type", "nt"}, {"topic", "/b"}, {"value", 2}}));
  s.add(make_record({{"type", "robot"}, {"mode", "auto"}}));
  s.add(make_record({{"type", "other"}, {"x", 1}}));
  REQUIRE(s.nt_value("/a"));
  CHECK(*s.nt_value("/a") == 1);
  CHECK_FALSE(s.nt_value("/b"));
  REQUIRE(s.latest("robot", "cam0"));
  CHECK(s.latest("robot", "cam0")->json["mode"] == "auto");
  CHECK_FALSE(s.latest("other", "cam0"));
}

TEST_CASE("overlay options: crosshair, hud and tile list") {
  Crosshair c = parse_crosshair("0.5,-1");
  CHECK(c.cam.empty());
  CHECK(c.x == 0.5);
  CHECK(c.y == -1);
  CHECK(parse_crosshair("front=0,0.25").cam == "front");
  CHECK(error_of([] { parse_crosshair("1.5,0"); }) ==
        "--crosshair '1.5,0': X and Y must be from -1 to 1 (normalised, right and up positive)");
  CHECK(error_of([] { parse_crosshair("a,b"); }) == "--crosshair 'a,b': expected [CAM=]X,Y, two numbers from -1 to 1");
  CHECK(error_of([] { parse_crosshair("0"); }).find("expected [CAM=]X,Y") != std::string::npos);
  CHECK(error_of([] { parse_crosshair("=0,0"); }).find("no camera name") != std::string::npos);
  CHECK(error_of([] { parse_crosshair("nan,0"); }).find("expected") != std::string::npos);

  HudItems h = parse_hud_items("fps");
  CHECK(h.fps);
  CHECK_FALSE(h.cam);
  CHECK_FALSE(parse_hud_items("none").any());
  CHECK(error_of([] { parse_hud_items("fps,rpm"); }) ==
        "--hud 'fps,rpm': unknown item 'rpm' (use cam, fps, latency, or none)");

  CHECK(parse_tile_list("a,b,c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(error_of([] { parse_tile_list("a"); }) == "--tile 'a': expected 2 to 16 camera names, comma-separated (got 1)");
  CHECK(error_of([] { parse_tile_list("a,,b"); }) == "--tile 'a,,b': empty camera name");
  CHECK(error_of([] { parse_tile_list("a,b,"); }) == "--tile 'a,b,': empty camera name");
  CHECK(error_of([] { parse_tile_list("a,b,a"); }) == "--tile 'a,b,a': camera 'a' is listed twice");
  CHECK(error_of([] { parse_tile_list("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"); }).find("got 17") != std::string::npos);
  // The tile's --size is the shared WxH option: tests/unit/test_cli_options.cpp.
}

TEST_CASE("overlay style: sizes scale with the image and stay legible when small") {
  Style small = Style::for_size(320, 240), vga = Style::for_size(640, 480), hd = Style::for_size(1280, 720);
  CHECK(small.text_px >= 9);  // about the smallest legible Hershey text
  CHECK(vga.text_px > small.text_px);
  CHECK(hd.text_px > vga.text_px);
  CHECK(small.line >= 1);
  CHECK(hd.line > small.line);
  // Text is a fixed share of the height: the same proportion at every size (within rounding).
  CHECK(double(vga.text_px) / 480 == doctest::Approx(double(hd.text_px) / 720).epsilon(0.1));
  CHECK(text_size(small, "30.0 fps").height == small.text_px);
  // A tiny tile cell still gets legible text.
  CHECK(Style::for_size(80, 60).text_px == 9);
}

TEST_CASE("overlay stages: a crosshair lands where Limelight's normalised coordinates say") {
  for (auto [x, y, px, py] : {std::tuple{0.0, 0.0, 160, 120}, {0.5, 0.5, 240, 60}, {-0.5, -0.5, 80, 180}}) {
    cv::Mat img(240, 320, CV_8UC3, cv::Scalar::all(128));
    Canvas c(img);
    CrosshairStage({{"", x, y}}).draw(c, "cam0");
    CAPTURE(x);
    CAPTURE(y);
    cv::Vec3b v = img.at<cv::Vec3b>(py, px);
    CHECK(cv::norm(cv::Vec3d(v) - cv::Vec3d(255, 230, 0), cv::NORM_INF) <= 8);  // cyan (BGR), anti-aliased
    CHECK(img.at<cv::Vec3b>(py + 30, px + 30) == cv::Vec3b(128, 128, 128));
  }
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar::all(128));
  Canvas c(img);
  CrosshairStage({{"other", 0, 0}}).draw(c, "cam0");  // another camera's crosshair
  CHECK(cv::countNonZero(img.reshape(1) != 128) == 0);
}

TEST_CASE("overlay stages: tags are drawn on their corners, scaled when the record is for another size") {
  Json j = {{"type", "detections"}, {"cam", "c"}, {"seq", 0}, {"w", 640}, {"h", 480},
            {"tags", {{{"id", 1}, {"corners", {{100, 300}, {300, 300}, {300, 100}, {100, 100}}}}}}};
  FrameDetections d = frame_detections(j);
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar::all(0));  // the frame is half the record's size
  Canvas c(img);
  TagStage().draw(c, d, nullptr);
  // The square runs from 49.75 to 149.75 in the frame: (p + 0.5) / 2 - 0.5.
  cv::Vec3b left = img.at<cv::Vec3b>(100, 50), right = img.at<cv::Vec3b>(100, 150), top = img.at<cv::Vec3b>(50, 100);
  CHECK(left[1] > 150);   // green outline
  CHECK(left[2] < 50);
  CHECK(right[1] > 150);
  CHECK(top[2] > 150);    // the top edge is yellow (it has red)
  CHECK(img.at<cv::Vec3b>(100, 100) == cv::Vec3b(0, 0, 0));  // the inside is left alone
  CHECK(img.at<cv::Vec3b>(200, 100) == cv::Vec3b(0, 0, 0));
}

TEST_CASE("overlay stages: the tiler emits when every camera is new, or when one comes twice") {
  Tiler t({"a", "b"}, "both", {});
  cv::Mat fa(48, 64, CV_8UC3, cv::Scalar(255, 0, 0)), fb(48, 64, CV_8UC3, cv::Scalar(0, 0, 255));
  CHECK_FALSE(t.fresh("a"));
  t.place("a", fa, 100, 0);
  CHECK(t.fresh("a"));
  CHECK_FALSE(t.complete());
  t.place("b", fb, 90, 0);
  REQUIRE(t.complete());
  FrameInfo info;
  cv::Mat out = t.take(info, 0).clone();
  CHECK(out.size() == cv::Size(128, 48));  // cells the size of the first frame
  CHECK(info.t_capture == 90);             // the oldest new frame
  CHECK(info.seq == 0);
  CHECK(out.at<cv::Vec3b>(24, 32) == cv::Vec3b(255, 0, 0));
  CHECK(out.at<cv::Vec3b>(24, 96) == cv::Vec3b(0, 0, 255));
  CHECK_FALSE(t.any_fresh());
  // b is unplugged: a's second frame makes the caller emit the tile with what it has
  t.place("a", fa, 133, 33000);
  CHECK(t.fresh("a"));
  CHECK_FALSE(t.complete());
  t.take(info, 33000);
  CHECK(info.seq == 1);
  CHECK(info.t_capture == 133);
  // b has sent nothing for two seconds (by overlay's clock): its cell is marked stale
  t.place("a", fa, 2000133, 2000000);
  out = t.take(info, 2000000).clone();
  CHECK(out.at<cv::Vec3b>(5, 70)[2] < 255);  // dimmed
  CHECK(Tiler({"a", "b", "c", "d", "e"}, "x", {300, 200}).size() == cv::Size(0, 0));  // allocated on first frame
}

TEST_CASE("overlay stages: a tile without --size stays within 4096x4096") {
  Tiler t({"a", "b", "c", "d"}, "x", {});
  cv::Mat big(3000, 4000, CV_8UC3, cv::Scalar::all(9));
  t.place("a", big, 1, 0);
  CHECK(t.size() == cv::Size(4096, 3072));  // 2x2 cells of 2048x1536
}

TEST_CASE("overlay stages: a tile letterboxes frames of another aspect ratio") {
  Tiler t({"a", "b"}, "both", {200, 50});
  cv::Mat wide(10, 100, CV_8UC3, cv::Scalar::all(200));
  Canvas c = t.place("a", wide, 1, 0);
  CHECK(c.img.size() == cv::Size(100, 10));  // the 100x50 cell, full width, 10 rows centred
  CHECK(c.scale == doctest::Approx(1.0));
  FrameInfo info;
  cv::Mat out = t.take(info, 0).clone();
  CHECK(out.at<cv::Vec3b>(25, 50) == cv::Vec3b(200, 200, 200));
  CHECK(out.at<cv::Vec3b>(2, 50) == cv::Vec3b(0, 0, 0));
}

TEST_CASE("overlay annotator: frame rate from capture times, calibration for the axes at any size") {
  AnnotatorOptions o;
  o.calibs.push_back({"", vision::load_calibration(testutil::golden_dir() + "/testpattern-calib.json")});
  Annotator a(o);
  for (int i = 0; i < 50; ++i) a.note_frame(otest::frame_info("c", 320, 240, i, otest::kT + i * 20000));
  CHECK(a.fps("c") == doctest::Approx(50));
  CHECK(a.fps("other") == 0);
  a.note_frame(otest::frame_info("c", 320, 240, 50, otest::kT + 60000000));  // a long gap: unknown again
  CHECK(a.fps("c") == 0);
  // Axes need a calibration at the frame's aspect ratio; at another, tags are still drawn.
  RecordPtr rec = make_record(otest::truth_record("c", 320, 240));
  cv::Mat img = otest::scene(320, 240);
  Canvas c(img);
  a.draw_camera(c, otest::frame_info("c", 320, 240), rec.get(), otest::kNow);
  cv::Mat wide(180, 320, CV_8UC3, cv::Scalar::all(0));
  Canvas cw(wide);
  a.draw_camera(cw, otest::frame_info("c", 320, 180), rec.get(), otest::kNow);
  CHECK(cv::countNonZero(wide.reshape(1)) > 0);
}
