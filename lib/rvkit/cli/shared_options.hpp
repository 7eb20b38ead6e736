// rvkit: the options several tools take, each declared once, so that the same option has the same
// name, value form, range, default and description in every tool (tests/pipeline/tool_options.sh
// compares the tools' --help). A description reads "PURPOSE: VALUE" where the purpose is the tool's
// own ("Frame size (...)", "The tile's size (...)") and the VALUE part is the same in every tool.
//
//   --quality Q     add_quality_option    (cap, overlay, stream): 1..100, default 80
//   --size WxH      add_size_option       (cap, overlay): 32..8192 each (rvkit/cli/option_parsers.hpp)
//   --tag-size [ID:|FAMILY:]M  add_tag_size_option (detect, overlay): 0.001..10, default 0.1651, repeatable (geometry/tag_size.hpp)
//   --calib FILE    add_calib_option      (detect; overlay takes [CAM=]FILE, repeatable)
//   --field NAME    add_field_option      (detect, ntpub, overlay)
//   --count N       add_count_option      (cap, ntsub): 0 (the default) is no limit
//   --port P        add_listen_port_option (stream, ntserver): 0..65535, 0 any free port; each
//                   service keeps its own default (1181 MJPEG, 5810 NetworkTables)
// --in, --out and --max-bytes are CommonOptions' (rvkit/cli/tool.hpp); -v, --help and --version
// run_tool's. Each add_* function sets the variable to the shared default before declaring the
// option, so the default lives here and nowhere else. A bad value exits with status 2 (CLI11's
// check, or rvkit::OptionError from the shared parsers, while the options are parsed).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rvkit/cli/option_parsers.hpp"

namespace rvkit {

// JPEG quality when a tool encodes: 80, cscore's MjpegServer default, so a stream looks (and costs,
// against the field's 4 Mbit/s) what teams know from WPILib.
constexpr int kDefaultJpegQuality = 80;

CLI::Option* add_quality_option(CLI::App& app, int& quality);
// --size WxH, parsed while the options are; `purpose` says what the size is of in this tool
// ("Frame size: ..."). Left empty (0x0) when not given.
CLI::Option* add_size_option(CLI::App& app, FrameSize& size, const std::string& purpose);
// Repeatable: SIZE, ID:SIZE or FAMILY:SIZE (geometry::parse_tag_sizes reads the list).
CLI::Option* add_tag_size_option(CLI::App& app, std::vector<std::string>& tag_sizes);
// --calib FILE: one calibration file, or with `per_camera` "[CAM=]FILE", repeatable.
CLI::Option* add_calib_option(CLI::App& app, std::string& file, const std::string& purpose);
CLI::Option* add_calib_option(CLI::App& app, std::vector<std::string>& per_camera, const std::string& purpose);
// --field FILE|NAME: a field layout file or the name of an installed one.
CLI::Option* add_field_option(CLI::App& app, std::string& field, const std::string& purpose);
// --count N: stop after N `things` ("frames", "records"); 0, the default, is no limit.
CLI::Option* add_count_option(CLI::App& app, int64_t& count, const std::string& things);
// --port for a server; `port` keeps the tool's default.
template <class Port>
CLI::Option* add_listen_port_option(CLI::App& app, Port& port) {
  return app.add_option("--port", port, "TCP port to listen on: 0 is any free port (printed on stderr)")
      ->type_name("PORT")  // the same in every tool, whatever integer type holds it
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
}

}  // namespace rvkit
