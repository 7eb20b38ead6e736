#include "rvkit/cli/shared_options.hpp"

#include <fmt/format.h>

#include "rvkit/geometry/tag_size.hpp"

namespace rvkit {

namespace {
constexpr const char* kCalibrationFiles = "OpenCV YAML/XML/JSON or PhotonVision JSON";
constexpr const char* kFieldLayouts =
    "a WPILib AprilTagFieldLayout JSON file or an installed layout's name, e.g. 2026-rebuilt-welded";
}  // namespace

CLI::Option* add_quality_option(CLI::App& app, int& quality) {
  quality = kDefaultJpegQuality;
  return app.add_option("--quality", quality, "JPEG quality when encoding")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
}

CLI::Option* add_size_option(CLI::App& app, FrameSize& size, const std::string& purpose) {
  size = FrameSize{};
  return app
      .add_option_function<std::string>(
          "--size", [&size](const std::string& text) { size = parse_frame_size("--size", text); },
          fmt::format("{}: WxH, {} to {} each", purpose, kMinFrameSide, kMaxFrameSide))
      ->type_name("WxH");
}

CLI::Option* add_tag_size_option(CLI::App& app, std::vector<std::string>& tag_sizes) {
  return app
      .add_option("--tag-size", tag_sizes,
                  "Tag size: the black square's edge in metres (6.5 in on FRC tags); repeatable: SIZE for every tag, "
                  "ID:SIZE for one id, FAMILY:SIZE for a family (e.g. --tag-size 0.1651 --tag-size 7:0.2)")
      ->type_name("[ID:|FAMILY:]M")
      ->default_str(fmt::format("{}", geometry::kDefaultTagSize))
      ->check(CLI::Validator([](std::string& v) { return geometry::tag_size_problem(v); }, "", "tag size"));
}

CLI::Option* add_calib_option(CLI::App& app, std::string& file, const std::string& purpose) {
  return app.add_option("--calib", file, fmt::format("{}: {}", purpose, kCalibrationFiles))->type_name("FILE");
}

CLI::Option* add_calib_option(CLI::App& app, std::vector<std::string>& per_camera, const std::string& purpose) {
  return app.add_option("--calib", per_camera, fmt::format("{} ([CAM=]FILE, repeatable): {}", purpose, kCalibrationFiles))
      ->type_name("[CAM=]FILE");
}

CLI::Option* add_count_option(CLI::App& app, int64_t& count, const std::string& things) {
  count = 0;
  // CLI::NonNegativeNumber would word its error with the largest double, all 309 digits of it.
  CLI::Validator not_negative(
      [](std::string& v) { return !v.empty() && v[0] == '-' ? "must be 0 or more, got " + v : std::string(); },
      "INT >= 0");
  return app.add_option("--count", count, fmt::format("{} to write, then stop: 0 is no limit", things))
      ->check(not_negative)
      ->capture_default_str();
}

CLI::Option* add_field_option(CLI::App& app, std::string& field, const std::string& purpose) {
  return app.add_option("--field", field, fmt::format("{}: {}", purpose, kFieldLayouts))->type_name("FILE|NAME");
}

}  // namespace rvkit
