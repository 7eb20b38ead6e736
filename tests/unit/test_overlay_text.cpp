// --text templates: fields from NT values, records and built-ins; formats; clear errors.
#include "test_util.hpp"

#include "overlay_scene.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/overlay/text_template.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

// The rvkit::Error of parsing `text` as a --text template, "" if it parses.
std::string template_error(const std::string& text) {
  return testutil::error_of<Error>([&] { TextTemplate::parse(text); });
}

struct Fixture {
  RecordStore store;
  TemplateContext ctx;
  explicit Fixture(const TextTemplate& t) {
    for (const auto& topic : t.topics()) store.want_topic(topic);
    for (const auto& type : t.types()) store.want_type(type);
    ctx.cam = "front";
    ctx.seq = 42;
    ctx.t_capture = otest::kT;
    ctx.w = 640;
    ctx.h = 480;
    ctx.fps = 29.97;
    ctx.latency_ms = 41.6;
    ctx.store = &store;
  }
  void add(const Json& j) { store.add(make_record(j)); }
};

std::string render(const std::string& text, const std::vector<Json>& records = {}, const Json* frame_record = nullptr) {
  TextTemplate t = TextTemplate::parse(text);
  Fixture f(t);
  for (const auto& r : records) f.add(r);
  RecordPtr own;
  if (frame_record) {
    own = make_record(*frame_record);
    f.ctx.frame_record = own.get();
  }
  return t.render(f.ctx);
}

Json nt(const std::string& topic, Json value) { return {{"type", "nt"}, {"topic", topic}, {"value", value}, {"t", 1}}; }

}  // namespace

TEST_CASE("overlay text: NT topic values with printf formats") {
  auto rpm = nt("/SmartDashboard/Shooter/RPM", 3456.78);
  CHECK(render("RPM {/SmartDashboard/Shooter/RPM:%.0f}", {rpm}) == "RPM 3457");
  CHECK(render("{/SmartDashboard/Shooter/RPM:%8.1f}|", {rpm}) == "  3456.8|");
  CHECK(render("{/SmartDashboard/Shooter/RPM:%d}", {rpm}) == "3457");
  CHECK(render("{/SmartDashboard/Shooter/RPM:%x}", {rpm}) == "d81");
  CHECK(render("{/SmartDashboard/Shooter/RPM}", {rpm}) == "3456.78");
  CHECK(render("{/a}", {nt("/a", 2.5)}) == "2.5");
  CHECK(render("{/a}", {nt("/a", 3.0)}) == "3");
  CHECK(render("{/a}", {nt("/a", 7)}) == "7");
  CHECK(render("{/a:%+.1e}", {nt("/a", 7)}) == "+7.0e+00");
  CHECK(render("{/a}", {nt("/a", true)}) == "true");
  CHECK(render("{/a:%d}", {nt("/a", true)}) == "1");
  CHECK(render("{/a}", {nt("/a", "Auto 3")}) == "Auto 3");
  CHECK(render("[{/a:%-6s}]", {nt("/a", "ab")}) == "[ab    ]");
  CHECK(render("{/a:%.1f}", {nt("/a", "text")}) == "text");  // a string stays as it is
  CHECK(render("{/a}", {nt("/a", Json::array({1, 2.5}))}) == "[1,2.5]");
  CHECK(render("{/a:ok}", {nt("/a:ok", 1)}) == "1");  // ':' without '%' is part of the topic
}

TEST_CASE("overlay text: the latest value wins, nt_snapshot records count, missing values show --") {
  CHECK(render("{/a}", {nt("/a", 1), nt("/a", 2)}) == "2");
  CHECK(render("{/a} {/b}", {{{"type", "nt_snapshot"}, {"t", 1}, {"values", {{"/a", 5}, {"/b", "x"}}}}}) == "5 x");
  CHECK(render("RPM {/SmartDashboard/Shooter/RPM:%.0f}") == "RPM --");
  CHECK(render("{/a}", {nt("/b", 1)}) == "--");
}

TEST_CASE("overlay text: record fields by type, own record first, per camera, and counts") {
  Json front = {{"type", "detections"}, {"cam", "front"}, {"seq", 41}, {"tags", {{{"id", 7}}, {{"id", 9}}}}};
  Json back = {{"type", "detections"}, {"cam", "back"}, {"seq", 41}, {"tags", {{{"id", 3}}}}};
  Json robot = {{"type", "robot"}, {"mode", "teleop"}, {"battery", 12.34}};
  CHECK(render("{detections/tags/0/id}", {front, back}) == "7");
  CHECK(render("{detections@back/tags/0/id}", {front, back}) == "3");
  CHECK(render("{#detections/tags}", {front, back}) == "2");
  CHECK(render("{#detections/targets}", {front}) == "0");   // the record is there, the field is not
  CHECK(render("{#detections/tags}") == "--");              // no record at all
  CHECK(render("{robot/mode} {robot/battery:%.1f} V", {robot}) == "teleop 12.3 V");  // no cam: every camera
  CHECK(render("{detections/tags/5/id}", {front}) == "--");
  CHECK(render("{detections/tags/x/id}", {front}) == "--");
  Json own = {{"type", "detections"}, {"cam", "front"}, {"seq", 42}, {"tags", {{{"id", 11}, {"corners", {{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}}};
  CHECK(render("{detections/tags/0/id} {tags} {targets}", {front}, &own) == "11 1 0");
  Json slash = {{"type", "x"}, {"a/b", 1}, {"c~d", 2}};
  CHECK(render("{x/a~1b} {x/c~0d}", {slash}) == "1 2");
}

TEST_CASE("overlay text: built-ins, literal braces") {
  CHECK(render("{cam} #{seq} {w}x{h}") == "front #42 640x480");
  CHECK(render("{fps} fps {latency} ms") == "30.0 fps 42 ms");
  CHECK(render("{fps:%.2f}") == "29.97");
  CHECK(render("{time}") == "12:00:00.250");
  CHECK(render("{tags}") == "--");
  CHECK(render("{{literal}} {{ }}") == "{literal} { }");
  CHECK(render("") == "");
}

TEST_CASE("overlay text: bad templates are refused with the reason") {
  CHECK(template_error("RPM {/x") == "--text 'RPM {/x': unclosed '{' at column 5 (write '{{' for a brace)");
  CHECK(template_error("a } b") == "--text 'a } b': unmatched '}' at column 3 (write '}}' for a brace)");
  CHECK(template_error("{}") == "--text '{}': empty field at column 1");
  CHECK(template_error("{/x:%q}") == "--text '{/x:%q}': '%q' is not a printf format for one value (e.g. %.2f, %5.1f, %d, %s)");
  CHECK(template_error("{/x:%n}").find("not a printf format") != std::string::npos);
  CHECK(template_error("{/x:%.2f%d}").find("not a printf format") != std::string::npos);
  CHECK(template_error("{/x:%ld}").find("not a printf format") != std::string::npos);
  CHECK(template_error("{/x:%999d}").find("not a printf format") != std::string::npos);
  CHECK(template_error("{/x:%*d}").find("not a printf format") != std::string::npos);
  CHECK(template_error("{rpm}").find("unknown name 'rpm': use a built-in") != std::string::npos);
  CHECK(template_error("{#fps}").find("unknown name '#fps'") != std::string::npos);
  CHECK(template_error("{detections@/x}").find("no camera after '@'") != std::string::npos);
  CHECK(template_error("{@cam/x}").find("no record type before '/'") != std::string::npos);
  CHECK(template_error("{x/a~2}").find("is not a JSON Pointer") != std::string::npos);
  CHECK(template_error("{a{b}").find("'{' inside the field") != std::string::npos);
  CHECK(template_error("RPM {/SmartDashboard/Shooter/RPM:%.0f}") == "");
}

TEST_CASE("overlay text: output is bounded") {
  std::string big(1000, 'x');
  CHECK(render("{/a}", {nt("/a", big)}).size() <= 200);
  CHECK(render("{/a:%99.99f}", {nt("/a", 1e300)}).size() <= 200);
  CHECK(format_value(Json(1e300), "%99.99f").size() <= 200);
  CHECK(format_value(Json(-1e300), "%d") == std::to_string(INT64_MIN));
}
