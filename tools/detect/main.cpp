// detect: AprilTags, colour targets and the robot's pose on the field, one record per frame.
//
//   cap --cam 0 | detect --calib cam.yaml --field 2026-rebuilt-welded | ntpub --team 1234
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/detections.hpp"
#include "rvkit/vision/detect_pipeline.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

std::vector<double> parse_numbers(const std::string& s, size_t n, const char* option) {
  std::vector<double> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      double x = std::stod(item, &used);
      if (item.find_first_not_of(" \t", used) != std::string::npos || !std::isfinite(x)) throw std::invalid_argument("");
      v.push_back(x);
    } catch (const std::exception&) {
      throw Error(fmt::format("{} '{}': '{}' is not a number", option, s, item));
    }
  }
  if (v.size() != n) throw Error(fmt::format("{} '{}': expected {} comma-separated numbers, got {}", option, s, n, v.size()));
  return v;
}

std::pair<double, double> parse_range(const std::string& s, const char* option) {
  size_t dash = s.find('-', 1);
  if (dash == std::string::npos) throw Error(fmt::format("{} '{}': expected MIN-MAX", option, s));
  std::string a = s.substr(0, dash), b = s.substr(dash + 1);
  try {
    size_t ua, ub;
    double lo = std::stod(a, &ua), hi = std::stod(b, &ub);
    if (ua != a.size() || ub != b.size() || !(lo <= hi)) throw std::invalid_argument("");
    return {lo, hi};
  } catch (const std::exception&) {
    throw Error(fmt::format("{} '{}': expected MIN-MAX with MIN <= MAX", option, s));
  }
}

}  // namespace

int main(int argc, char** argv) {
  DetectOptions opt;
  std::string calib_path, field_spec, robot_to_camera, aspect, fullness;
  std::vector<std::string> colors;
  std::vector<int> ids;
  bool forward_frames = false, no_tags = false, refine_edges = true, refine_corners = false, no_refine_corners = false;
  return run_tool(
      "detect", argc, argv,
      "Find AprilTags and colour targets in frames and estimate the camera's and robot's pose on the field.\n"
      "Reads frames (--in), writes one 'detections' record per frame (--out); see detect(1) and docs/records.md.",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        common.add_output(app);
        app.add_flag("--frames", forward_frames, "Also forward each frame, ahead of its record (for overlay)");
        auto* g = "AprilTags";
        app.add_option("--family", opt.apriltag.family, "Tag family: 36h11 or 16h5")->capture_default_str()->group(g);
        app.add_option("--decimate", opt.apriltag.decimate, "Find quads on an image this many times smaller (faster, shorter range)")
            ->capture_default_str()->group(g);
        app.add_option("--blur", opt.apriltag.blur, "Gaussian blur sigma in pixels before finding quads (negative sharpens)")
            ->capture_default_str()->group(g);
        app.add_option("--threads", opt.apriltag.threads, "Detector threads (0: all cores)")->capture_default_str()->group(g);
        app.add_flag("--refine-edges,!--no-refine-edges", refine_edges,
                     "Fit tag edges on the full-resolution image (libapriltag's refine_edges; on by default)")
            ->group(g);
        auto* rc = app.add_flag("--refine-corners", refine_corners,
                                "Align each tag's whole pattern to the image: about twice as accurate corners and "
                                "poses, ~1 ms per tag (default: on with --calib, off without)")
                       ->group(g);
        app.add_flag("--no-refine-corners", no_refine_corners, "Keep libapriltag's corners (faster poses, less accurate)")
            ->excludes(rc)
            ->group(g);
        app.add_option("--max-hamming", opt.apriltag.max_hamming, "Most corrected bit errors accepted (0..3)")
            ->capture_default_str()->group(g);
        app.add_option("--min-margin", opt.apriltag.min_margin, "Least decision margin accepted")->capture_default_str()->group(g);
        app.add_option("--ids", ids, "Only these tag ids (comma-separated)")->delimiter(',')->group(g);
        app.add_flag("--no-tags", no_tags, "Do not look for AprilTags (colour targets only)")->group(g);
        g = "Camera and pose";
        app.add_option("--calib", calib_path, "Camera calibration: OpenCV YAML/XML/JSON or PhotonVision JSON")->group(g);
        app.add_option("--fov", opt.fov_deg, "Without --calib: horizontal field of view in degrees, for tx/ty")->group(g);
        app.add_option("--tag-size", opt.tag_size, "Tag size (black square edge) in metres")->capture_default_str()->group(g);
        app.add_option("--field", field_spec, "Field layout: a WPILib AprilTagFieldLayout JSON file or a name, e.g. 2026-rebuilt-welded")
            ->group(g);
        app.add_option("--robot-to-camera", robot_to_camera,
                       "Camera pose on the robot: x,y,z,roll,pitch,yaw (metres, degrees; WPILib axes)")->group(g);
        g = "Colour targets";
        app.add_option("--color", colors, "HSV range H1-H2,S1-S2,V1-V2 (H 0..179, S/V 0..255); repeatable")->group(g);
        app.add_option("--min-area", opt.color.min_area, "Smallest target, % of the image")->capture_default_str()->group(g);
        app.add_option("--max-area", opt.color.max_area, "Largest target, % of the image")->capture_default_str()->group(g);
        app.add_option("--aspect", aspect, "Rotated-rectangle width/height range MIN-MAX")->group(g);
        app.add_option("--fullness", fullness, "Contour area / rotated-rectangle area range MIN-MAX, %")->group(g);
        app.add_option("--max-targets", opt.color.max_targets, "Most targets reported per --color range")->capture_default_str()->group(g);

        return [&]() -> int {
          opt.tags = !no_tags;
          opt.apriltag.refine_edges = refine_edges;
          // Corner refinement serves the poses, which need a calibration: on with --calib unless asked otherwise.
          opt.apriltag.refine_corners = refine_corners || (!calib_path.empty() && !no_refine_corners);
          opt.apriltag.ids.insert(ids.begin(), ids.end());
          for (const auto& c : colors) opt.color.ranges.push_back(parse_hsv_range(c));
          if (!aspect.empty()) std::tie(opt.color.min_aspect, opt.color.max_aspect) = parse_range(aspect, "--aspect");
          if (!fullness.empty()) std::tie(opt.color.min_fullness, opt.color.max_fullness) = parse_range(fullness, "--fullness");
          if (!opt.tags && opt.color.ranges.empty()) throw Error("--no-tags without --color leaves nothing to detect");
          if (!calib_path.empty()) opt.calib = load_calibration(calib_path);
          if (!field_spec.empty()) opt.field = load_field_layout(field_spec);
          if (!robot_to_camera.empty()) {
            auto v = parse_numbers(robot_to_camera, 6, "--robot-to-camera");
            constexpr double d = M_PI / 180;
            opt.robot_to_camera = Pose3::from_xyz_rpy(v[0], v[1], v[2], v[3] * d, v[4] * d, v[5] * d);
          }
          DetectPipeline pipeline(opt);

          auto in = open_input(common.in, common.input_options());
          auto out = open_output(common.out);
          Stats stats("", common.verbose > 0);
          Message m;
          uint64_t tags_seen = 0, bad_frames = 0;
          int64_t last_warning = 0;
          while (!stop_requested() && in->read(m)) {
            if (!m.is_frame()) {  // other records pass through untouched
              if (!out->write(m)) break;
              continue;
            }
            records::Detections rec;
            try {
              rec = pipeline.process(m);
            } catch (const BadFrameError& e) {
              ++bad_frames;
              stats.drop();
              if (mono_us() - last_warning > 1000000) {
                log_line(fmt::format("skipping a frame: {}", e.what()));
                last_warning = mono_us();
              }
              continue;
            }
            rec.t_done = now_us();
            if (forward_frames && !out->write(m)) break;
            if (!out->write(Json(rec), nullptr, 0)) break;
            if (rec.tags) tags_seen += rec.tags->size();
            stats.add(m.payload.size());
            if (common.verbose)
              stats.report(fmt::format("{} tags seen, {} bad frames", tags_seen, bad_frames));
          }
          if (bad_frames) log_line(fmt::format("skipped {} unusable frame(s)", bad_frames));
          return 0;
        };
      });
}
