// The command-line convention every tool shares (rvkit/cli/): the shared value parsers and their one
// wording, the shared option declarations, and run_tool's exit statuses (2 for a bad command line,
// wherever rvkit::OptionError is thrown; 1 for any other error).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rvkit/cli/option_parsers.hpp"
#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/geometry/tag_size.hpp"

using namespace rvkit;

namespace {

template <class F>
std::string option_error_of(F&& f) {
  try {
    f();
  } catch (const OptionError& e) {
    return e.what();
  }
  return "";
}

// Runs run_tool as `tool ARGS...` and returns its exit status.
int run(const std::vector<std::string>& args, const ToolSetup& setup) {
  std::vector<std::string> storage{"tool"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  int rc = run_tool("tool", int(argv.size()), argv.data(), "A test tool.", setup);
  set_tool_name("rvkit");  // as the other tests expect
  return rc;
}

}  // namespace

TEST_CASE("OptionError: one wording for a bad value, and it is an rvkit::Error") {
  OptionError e("--size", "5x5", "width and height must be from 32 to 8192");
  CHECK(std::string(e.what()) == "--size '5x5': width and height must be from 32 to 8192");
  CHECK(dynamic_cast<const Error*>(&e) != nullptr);
  CHECK(std::string(OptionError("--field needs --calib").what()) == "--field needs --calib");
}

TEST_CASE("parse_frame_size: WxH, 32 to 8192 each") {
  CHECK(parse_frame_size("--size", "1280x480") == FrameSize{1280, 480});
  CHECK(parse_frame_size("--size", "640X480") == FrameSize{640, 480});
  CHECK(parse_frame_size("--size", "32x8192") == FrameSize{kMinFrameSide, kMaxFrameSide});
  CHECK(option_error_of([] { parse_frame_size("--size", "1280"); }) == "--size '1280': expected WxH, e.g. 1280x720");
  CHECK(option_error_of([] { parse_frame_size("--size", "5x5"); }) ==
        "--size '5x5': width and height must be from 32 to 8192");
  CHECK(option_error_of([] { parse_frame_size("--size", "10x10"); }).find("from 32 to 8192") != std::string::npos);
  CHECK(option_error_of([] { parse_frame_size("--size", "640x8193"); }).find("from 32 to 8192") != std::string::npos);
  CHECK(option_error_of([] { parse_frame_size("--size", "-640x480"); }).find("from 32 to 8192") != std::string::npos);
  for (const char* bad : {"640x480x", "640x", "x480", "640 x480", "640x480 ", "axb", "", "1e3x480", "640x4.5"})
    CHECK_MESSAGE(option_error_of([&] { parse_frame_size("--size", bad); }).find("expected WxH") != std::string::npos,
                  bad);
  CHECK(FrameSize{}.empty());
  CHECK_FALSE(FrameSize{640, 480}.empty());
}

TEST_CASE("parse_number_list: exactly the numbers of the form, comma-separated") {
  CHECK(parse_number_list("--robot-to-camera", "0.3,0,0.5,0,-20,0", "x,y,z,roll,pitch,yaw") ==
        std::vector<double>{0.3, 0, 0.5, 0, -20, 0});
  CHECK(parse_number_list("--field-size", " 16.54, 8.07 ", "LENGTH,WIDTH") == std::vector<double>{16.54, 8.07});
  CHECK(parse_number_list("--field-size", "+1e1,2", "LENGTH,WIDTH") == std::vector<double>{10, 2});
  CHECK(option_error_of([] { parse_number_list("--robot-to-camera", "1,2,3", "x,y,z,roll,pitch,yaw"); }) ==
        "--robot-to-camera '1,2,3': expected 6 comma-separated numbers x,y,z,roll,pitch,yaw, got 3");
  CHECK(option_error_of([] { parse_number_list("--field-size", "16", "LENGTH,WIDTH"); }) ==
        "--field-size '16': expected 2 comma-separated numbers LENGTH,WIDTH, got 1");
  CHECK(option_error_of([] { parse_number_list("--field-size", "", "LENGTH,WIDTH"); }).find("got 0") !=
        std::string::npos);
  CHECK(option_error_of([] { parse_number_list("--field-size", "1,2,", "LENGTH,WIDTH"); }).find("got 3") !=
        std::string::npos);
  CHECK(option_error_of([] { parse_number_list("--field-size", "16,x", "LENGTH,WIDTH"); }) ==
        "--field-size '16,x': 'x' is not a number");
  CHECK(option_error_of([] { parse_number_list("--field-size", "16,", "LENGTH,WIDTH"); }) ==
        "--field-size '16,': '' is not a number");
  for (const char* bad : {"nan,1", "inf,1", "1,2m", "1,,", "0x10,1", "1 2,3"})
    CHECK_MESSAGE(!option_error_of([&] { parse_number_list("--field-size", bad, "LENGTH,WIDTH"); }).empty(), bad);
}

TEST_CASE("parse_number_range: MIN-MAX, negative numbers too") {
  auto r = parse_number_range("--aspect", "1.5-4");
  CHECK(r.min == 1.5);
  CHECK(r.max == 4);
  r = parse_number_range("--aspect", "-1-2");
  CHECK(r.min == -1);
  CHECK(r.max == 2);
  r = parse_number_range("--aspect", "-3--2");
  CHECK(r.min == -3);
  CHECK(r.max == -2);
  r = parse_number_range("--aspect", "1e-3-2");
  CHECK(r.min == 0.001);
  CHECK(r.max == 2);
  CHECK(parse_number_range("--fullness", "5-5").max == 5);
  CHECK(option_error_of([] { parse_number_range("--aspect", "4-1.5"); }) ==
        "--aspect '4-1.5': MIN must not be larger than MAX");
  CHECK(option_error_of([] { parse_number_range("--aspect", "3"); }) ==
        "--aspect '3': expected MIN-MAX, two numbers, e.g. 1.5-4");
  for (const char* bad : {"", "-", "1-", "-1", "a-b", "1-2-3", "nan-1", "1..2"})
    CHECK_MESSAGE(option_error_of([&] { parse_number_range("--fullness", bad); }).find("expected MIN-MAX") !=
                      std::string::npos,
                  bad);
}

TEST_CASE("shared options: one default and range each") {
  SUBCASE("--quality: 1..100, default 80") {
    int q = 0;
    CHECK(run({}, [&](CLI::App& app, CommonOptions&) {
            add_quality_option(app, q);
            return [] { return 0; };
          }) == 0);
    CHECK(q == kDefaultJpegQuality);
    CHECK(kDefaultJpegQuality == 80);
    for (const char* bad : {"0", "101", "high"})
      CHECK(run({"--quality", bad}, [&](CLI::App& app, CommonOptions&) {
              add_quality_option(app, q);
              return [] { return 0; };
            }) == 2);
  }
  SUBCASE("--tag-size: default FRC's 6.5 in, 0.001..10 m, per id and family") {
    std::vector<std::string> t;
    auto setup = [&](CLI::App& app, CommonOptions&) -> ToolBody {
      t.clear();
      add_tag_size_option(app, t);
      return [] { return 0; };
    };
    CHECK(run({}, setup) == 0);
    CHECK(geometry::parse_tag_sizes(t, "36h11").size == geometry::kDefaultTagSize);
    CHECK(geometry::kDefaultTagSize == doctest::Approx(6.5 * 0.0254));
    CHECK(run({"--tag-size", "0.2"}, setup) == 0);
    CHECK(geometry::parse_tag_sizes(t, "36h11").size == 0.2);
    CHECK(run({"--tag-size", "0.2", "--tag-size", "7:0.15", "--tag-size", "16h5:0.05"}, setup) == 0);
    CHECK(geometry::parse_tag_sizes(t, "36h11").of(7) == 0.15);
    CHECK(geometry::parse_tag_sizes(t, "16h5").size == 0.05);
    CHECK(run({"--tag-size", "0"}, setup) == 2);
    CHECK(run({"--tag-size", "11"}, setup) == 2);
    CHECK(run({"--tag-size", "7:0"}, setup) == 2);
    CHECK(run({"--tag-size", "x:0.2"}, setup) == 2);
  }
  SUBCASE("--size: parsed while the options are") {
    FrameSize size{1, 1};
    int ran = 0;
    auto setup = [&](CLI::App& app, CommonOptions&) -> ToolBody {
      add_size_option(app, size, "Frame size");
      return [&] { return ++ran, 0; };
    };
    CHECK(run({}, setup) == 0);
    CHECK(size.empty());  // not given
    CHECK(run({"--size", "320x240"}, setup) == 0);
    CHECK(size == FrameSize{320, 240});
    CHECK(ran == 2);
    CHECK(run({"--size", "5x5"}, setup) == 2);
    CHECK(run({"--size", "big"}, setup) == 2);
    CHECK(ran == 2);  // the body never ran
  }
  SUBCASE("--count: 0, no limit, by default; never negative") {
    int64_t n = -5;
    auto setup = [&](CLI::App& app, CommonOptions&) -> ToolBody {
      add_count_option(app, n, "Frames");
      return [] { return 0; };
    };
    CHECK(run({}, setup) == 0);
    CHECK(n == 0);
    CHECK(run({"--count", "7"}, setup) == 0);
    CHECK(n == 7);
    CHECK(run({"--count", "-1"}, setup) == 2);
  }
}

TEST_CASE("run_tool: an OptionError exits 2 wherever it is thrown, other errors exit 1") {
  auto body_throws = [](std::function<void()> f) {
    return [f](CLI::App&, CommonOptions&) -> ToolBody {
      return [f] {
        f();
        return 0;
      };
    };
  };
  CHECK(run({}, body_throws([] {})) == 0);
  CHECK(run({}, body_throws([] { throw OptionError("--x needs --y"); })) == 2);
  CHECK(run({}, body_throws([] { throw OptionError("--x", "1", "too small"); })) == 2);
  CHECK(run({}, body_throws([] { throw Error("cannot open 'f'"); })) == 1);
  CHECK(run({}, body_throws([] { throw std::runtime_error("boom"); })) == 1);
  // Thrown while parsing (an option's callback), before the body runs.
  bool ran = false;
  CHECK(run({"--x", "1"}, [&](CLI::App& app, CommonOptions&) -> ToolBody {
          app.add_option_function<std::string>("--x", [](const std::string& v) { throw OptionError("--x", v, "bad"); });
          return [&] { return ran = true, 0; };
        }) == 2);
  CHECK_FALSE(ran);
  // CLI11's own errors: 2 as well.
  CHECK(run({"--no-such-option"}, body_throws([] {})) == 2);
}
