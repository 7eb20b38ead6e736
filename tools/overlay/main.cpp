// overlay: draw what the robot sees: tags, targets, crosshairs, a HUD, NT values and a field map on
// the frames, or several cameras tiled into one (docs/overlay.md, overlay(1)).
//
//   cap --cam 0 | detect --frames --calib c.yaml | overlay --calib c.yaml --crosshair 0,0 | stream
//   ... | overlay --in tcp://localhost:5800 --text 'RPM {/SmartDashboard/Shooter/RPM:%.0f}'
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/overlay/annotator.hpp"
#include "rvkit/overlay/matcher.hpp"
#include "rvkit/overlay/session.hpp"
#include "rvkit/overlay/tiler.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/geometry/field_layout.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

struct Settings {
  std::vector<std::string> ins;
  bool no_stdin = false;
  std::string out = "-";
  OutputOptions out_options;
  uint64_t max_bytes = kDefaultMaxPayloadBytes;
  int max_wait_ms = 100;
  std::string fmt = "bgr8";
  int quality = kDefaultJpegQuality;
  std::vector<std::string> calibs, crosshairs, texts;
  std::string hud = "cam,fps,latency", field, pose_topic, tile, name = "tile";
  FrameSize size;
  std::vector<std::string> tag_sizes;  // the axes use the size for every tag (ids are detect's business)
  bool no_tags = false, no_targets = false;
};

class OverlayTool {
 public:
  OverlayTool(const Settings& s, int verbose) : s_(s) {
    AnnotatorOptions ao;
    ao.tags = !s.no_tags;
    ao.targets = !s.no_targets;
    ao.tag_size = geometry::parse_tag_sizes(s.tag_sizes, "36h11").size;
    for (const auto& c : s.calibs) {
      CameraCalibrationFor cf;
      std::string path = c;
      // CAM=FILE, unless the whole thing is an existing file (a path may contain '=')
      if (size_t eq = c.find('='); eq != std::string::npos && access(c.c_str(), F_OK) != 0) {
        cf.cam = c.substr(0, eq);
        path = c.substr(eq + 1);
        if (cf.cam.empty()) throw OptionError("--calib", c, "no camera name before '='");
      }
      cf.calib = vision::load_calibration(path);
      ao.calibs.push_back(std::move(cf));
    }
    for (const auto& c : s.crosshairs) ao.crosshairs.push_back(parse_crosshair(c));
    ao.hud = parse_hud_items(s.hud);
    ao.texts = s.texts;
    for (const auto& t : s.texts) TextTemplate::parse(t);  // a bad one is reported now, before any input is read
    if (!s.field.empty()) {
      ao.field = geometry::load_field_layout(s.field);
      if (verbose > 0) log_line("field layout: " + ao.field->describe());
    }
    ao.pose_topic = s.pose_topic;
    if (!s.pose_topic.empty() && s.field.empty()) throw OptionError("--pose-topic needs --field (the map it is drawn on)");
    Annotator annotator(std::move(ao));
    std::optional<Tiler> tiler;
    if (!s.tile.empty()) {
      if (s.name.empty()) throw OptionError("--name: the tile's camera name must not be empty");
      tiler.emplace(parse_tile_list(s.tile), s.name, cv::Size(s.size.width, s.size.height));
    } else if (!s.size.empty() || s.name != "tile") {
      throw OptionError(fmt::format("{} is only for --tile", s.size.empty() ? "--name" : "--size"));
    }
    auto f = parse_pixel_format(s.fmt);
    if (!f || *f == PixelFormat::Gray8) throw OptionError("--fmt", s.fmt, "expected bgr8 or jpeg");
    if (s.max_wait_ms < 0) throw OptionError("--max-wait must be 0 or more milliseconds");
    MatcherOptions mo;
    mo.max_wait_us = int64_t(s.max_wait_ms) * 1000;
    session_.emplace(std::move(annotator), std::move(tiler), mo, SessionOptions{*f, s.quality, verbose});

    // Inputs: stdin unless --no-stdin or it is a terminal (then only when named with --in -).
    bool explicit_stdin = std::count(s.ins.begin(), s.ins.end(), "-") > 0;
    if (explicit_stdin && s.no_stdin) throw OptionError("--in - and --no-stdin contradict each other");
    if (explicit_stdin || (!s.no_stdin && !isatty(STDIN_FILENO))) specs_.push_back("-");
    for (const auto& in : s.ins)
      if (in != "-" && std::find(specs_.begin(), specs_.end(), in) == specs_.end()) specs_.push_back(in);
    if (specs_.empty())
      throw OptionError(s.no_stdin ? "--no-stdin without any --in: no input"
                                   : "no input: stdin is a terminal; pipe frames in or give --in");
  }

  int run() {
    InputOptions in_opts;
    in_opts.max_payload = s_.max_bytes;
    InputSet inputs(specs_, in_opts);
    auto out = open_output(s_.out, s_.out_options);
    inputs.start();
    session_->run(inputs, *out);
    request_stop();  // ends the readers still waiting on their inputs (ZeroMQ, FIFOs)
    return 0;
  }

 private:
  const Settings& s_;
  std::vector<std::string> specs_;
  std::optional<Session> session_;
};

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  return run_tool(
      "overlay", argc, argv,
      "Draw detections, crosshairs, a HUD, NT values and a field map on frames, or tile several cameras into one.\n"
      "Reads frames and records from stdin and --in, writes annotated bgr8 frames (--out); see overlay(1).",
      [&](CLI::App& app, CommonOptions& common) -> ToolBody {
        auto* g = "Inputs and output";
        common.add_inputs(app, s.ins, g);
        app.add_flag("--no-stdin", s.no_stdin, "Do not read stdin (only the --in inputs)")->group(g);
        common.add_output(app, g);
        app.add_option("--max-wait", s.max_wait_ms, "Longest a frame waits for its record, ms (0: never wait)")
            ->capture_default_str()->group(g);
        app.add_option("--fmt", s.fmt, "Output format: bgr8 or jpeg")->capture_default_str()->group(g);
        add_quality_option(app, s.quality)->group(g);  // with --fmt jpeg
        g = "Drawing";
        add_calib_option(app, s.calibs, "Camera calibration, for the 3-D axes of the tags")->group(g);
        add_tag_size_option(app, s.tag_sizes)->group(g);  // the axes are half as long
        app.add_flag("--no-tags", s.no_tags, "Do not draw AprilTags")->group(g);
        app.add_flag("--no-targets", s.no_targets, "Do not draw colour targets")->group(g);
        app.add_option("--crosshair", s.crosshairs,
                       "[CAM=]X,Y: a crosshair, X and Y from -1 to 1, right and up positive (as a Limelight's); "
                       "repeatable")->group(g);
        app.add_option("--hud", s.hud, "Status box items: cam,fps,latency (any of them) or none")
            ->capture_default_str()->group(g);
        app.add_option("--text", s.texts,
                       "A line of text with fields from records, e.g. 'RPM {/SmartDashboard/Shooter/RPM:%.0f}' or "
                       "'{detections/field_pose/distance:%.2f} m'; repeatable (see overlay(1))")->group(g);
        add_field_option(app, s.field, "Draw a field map with the robot's pose on it")->group(g);
        app.add_option("--pose-topic", s.pose_topic,
                       "NT topic with the robot's pose for the map: [x, y, degrees] (Field2d) or a Pose3d")->group(g);
        g = "Tiling";
        app.add_option("--tile", s.tile, "CAM1,CAM2[,...]: compose these cameras into one output camera")->group(g);
        app.add_option("--name", s.name, "The tile's camera name")->capture_default_str()->group(g);
        add_size_option(app, s.size, "The tile's size (default: cells the size of the first frame)")->group(g);
        return [&]() -> int {
          s.out = common.out;
          s.out_options = common.output_options();
          s.max_bytes = common.max_bytes;
          OverlayTool tool(s, common.verbose);
          return tool.run();
        };
      });
}
