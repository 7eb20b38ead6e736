// WPILib AprilTagFieldLayout files and the installed official layouts.
#include "test_util.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rvkit/geometry/field_layout.hpp"

using namespace rvkit::geometry;
using testutil::error_of;
using testutil::TempDir;

TEST_CASE("field layout: the official layouts are installed and selectable by name") {
  struct Expect {
    const char* name;
    size_t tags;
    double length;
  };
  const Expect expect[] = {{"2024-crescendo", 16, 16.541},
                           {"2025-reefscape-welded", 22, 17.548},
                           {"2025-reefscape-andymark", 22, 17.548},
                           {"2026-rebuilt-welded", 32, 16.541},
                           {"2026-rebuilt-andymark", 32, 16.518}};
  auto names = field_layout_names();
  for (const Expect& e : expect) {
    std::string captured_e_name = e.name;
    CAPTURE(captured_e_name);
    CHECK(std::find(names.begin(), names.end(), e.name) != names.end());
    FieldLayout f = load_field_layout(e.name);
    CHECK(f.tags.size() == e.tags);
    CHECK(f.length == doctest::Approx(e.length));
    CHECK(f.width > 8);
    // The installed copy is the one in ../shared/testdata.
    FieldLayout g = load_field_layout(testutil::testdata(std::string("fields/") + e.name + ".json"));
    REQUIRE(g.tags.size() == f.tags.size());
  }
}

TEST_CASE("field layout: tag poses follow WPILib's conventions") {
  FieldLayout f = load_field_layout("2024-crescendo");
  // Tag 7, blue speaker centre: on the blue wall, facing the field (+X), 1.45 m high.
  const Pose3* t7 = f.find(7);
  REQUIRE(t7);
  CHECK(t7->t[0] == doctest::Approx(-0.0381).epsilon(0.01));
  CHECK(t7->t[1] == doctest::Approx(5.547868).epsilon(0.001));
  CHECK(t7->t[2] == doctest::Approx(1.451102).epsilon(0.001));
  CHECK(t7->R(0, 0) == doctest::Approx(1));  // X axis out of the face, toward +X
  // Tag 4, red speaker centre: faces -X (rotated 180 degrees about Z).
  const Pose3* t4 = f.find(4);
  REQUIRE(t4);
  CHECK(t4->R(0, 0) == doctest::Approx(-1));
  CHECK(f.find(99) == nullptr);
}

TEST_CASE("field layout: zero field size, extra keys and unnormalised quaternions are accepted") {
  TempDir dir;
  std::string path = dir.write("zero.json",
                               R"({"tags":[{"ID":3,"pose":{"translation":{"x":1,"y":2,"z":0.5},)"
                               R"("rotation":{"quaternion":{"W":2,"X":0,"Y":0,"Z":0}}},"comment":"x"}],)"
                               R"("field":{"length":0,"width":0}})");
  FieldLayout l = load_field_layout(path);
  REQUIRE(l.tags.size() == 1);
  CHECK(l.length == 0);
  CHECK(l.width == 0);
  CHECK(l.find(3)->R(0, 0) == doctest::Approx(1));
  CHECK(l.find(3)->t[1] == doctest::Approx(2));
}

TEST_CASE("field layout: names are looked up beside the executable, then in the source tree, then the prefix") {
  namespace fs = std::filesystem;
  auto dirs = field_layout_dirs();
  REQUIRE(dirs.size() >= 2);
  fs::path exe = fs::read_symlink("/proc/self/exe");
  CHECK(dirs[0] == (exe.parent_path() / "../share/rvkit/fields").lexically_normal().string());
  CHECK(dirs[1] == (fs::path(RVKIT_SOURCE_DATA_DIR) / "fields").lexically_normal().string());
  CHECK(dirs.back() == (fs::path(RVKIT_DATA_DIR) / "fields").lexically_normal().string());
  // This test runs from the build tree, which has no share/: names come from the source tree,
  // whatever is installed.
  CHECK(load_field_layout("2024-crescendo").source == dirs[1] + "/2024-crescendo.json");
  // An explicit path wins even when it is named like a layout.
  TempDir dir;
  std::string own_path = dir.write("2024-crescendo.json", R"({"tags":[],"field":{"length":3,"width":2}})");
  FieldLayout own = load_field_layout(own_path);
  CHECK(own.source == own_path);
  CHECK(own.length == 3);
  CHECK(own.describe() == own_path + " (0 tags, field 3 x 2 m)");
}

TEST_CASE("field layout: bad files and unknown names give one clear line") {
  CHECK(error_of([] { load_field_layout("/nonexistent/field.json"); }).find("cannot open") != std::string::npos);
  std::string unknown = error_of([] { load_field_layout("2031-mystery"); });
  CHECK(unknown.find("2031-mystery") != std::string::npos);
  CHECK(unknown.find("2026-rebuilt-welded") != std::string::npos);  // lists the known names
  for (const auto& d : field_layout_dirs()) CHECK(unknown.find(d) != std::string::npos);  // and where it looked
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"", "invalid JSON"},
      {R"({"tags":[{"ID":1,"pose":{"translation")", "invalid JSON"},
      {"[]", "top"},
      {R"({"field":{"length":1,"width":1}})", "\"tags\""},
      {R"({"tags":[{"pose":{}}]})", "tags[0]: missing \"ID\""},
      {R"({"tags":[{"ID":"a","pose":{}}]})", "\"ID\" must be"},
      {R"({"tags":[{"ID":1}]})", "missing \"pose\""},
      {R"({"tags":[{"ID":1,"pose":{"translation":{"x":1,"y":2},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}}]})",
       "missing \"z\""},
      {R"({"tags":[{"ID":1,"pose":{"translation":{"x":1,"y":2,"z":"3"},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}}]})",
       "must be a number"},
      {R"({"tags":[{"ID":1,"pose":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":0,"X":0,"Y":0,"Z":0}}}}]})",
       "zero length"},
      {R"({"tags":[{"ID":1,"pose":{"translation":{"x":1,"y":2,"z":3},"rotation":{}}}]})", "quaternion"},
      {R"({"tags":[{"ID":1,"pose":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}},)"
       R"({"ID":1,"pose":{"translation":{"x":1,"y":2,"z":3},"rotation":{"quaternion":{"W":1,"X":0,"Y":0,"Z":0}}}}]})",
       "appears twice"},
      {R"({"tags":[],"field":{"length":-1,"width":0}})", "length"},
  };
  for (const Case& c : cases) {
    std::string captured_c_text = c.text;
    CAPTURE(captured_c_text);
    TempDir dir;
    std::string path = dir.write("layout.json", c.text);
    std::string e = error_of([&] { load_field_layout(path); });
    CHECK(e.find(c.expect) != std::string::npos);
    CHECK(e.find(path) != std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
  }
}
