// detect: AprilTags, colour targets and the robot's pose on the field, one record per frame.
//
//   cap --cam 0 | detect --calib cam.yaml --field 2026-rebuilt-welded | ntpub --team 1234
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "rvkit/cli/option_parsers.hpp"
#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/detections.hpp"
#include "rvkit/records/nt.hpp"
#include "rvkit/vision/detect_pipeline.hpp"
#include "rvkit/vision/detect_workers.hpp"
#include "rvkit/vision/robot_settings.hpp"
#include "robot_input.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

std::string track_summary(const DetectPipeline& p) {
  if (!p.options().track) return "";
  TrackCounts c = p.track_counts();
  return fmt::format(", tracking: {} full searches, {} tracked frames, {} tags lost, {} kept, {} found from the layout",
                     c.full, c.tracked, c.lost, c.kept, c.hinted);
}

// -v's last line on the fine pass (apriltag_detector.hpp), when it ran.
std::string fine_pass_summary(const AprilTagDetector::FinePassCounts& c) {
  if (!c.regions) return "";
  return fmt::format("fine pass: {} regions searched at full resolution, {} tags found only there", c.regions, c.found);
}

// --workers N > 1: the same loop with DetectWorkers (detect_workers.hpp); the records are written on
// the pool's output thread, in frame order, as soon as each and those before it are done.
int run_workers(int workers, const DetectOptions& opt, const CommonOptions& common, const std::string& robot_in,
                const std::string& heading_topic, CameraPoseAxes axes, std::shared_ptr<HeadingHistory> headings,
                int heading_wait_ms, bool forward_frames, int lone_threads) {
  std::unique_ptr<Output> out;
  Stats stats("", common.verbose > 0);
  uint64_t tags_seen = 0, bad_frames = 0;  // these, and below: the output thread's, until finish()
  ThrottledLog warnings;
  const int64_t window_t0 = now_us();
  int64_t window_t = window_t0, window_busy = 0;
  double busy_mean = 0;
  DetectWorkers* self = nullptr;
  auto emit = [&](DetectWorkers::Item& item) -> bool {
    if (!item.msg.is_frame()) return out->write(item.msg);  // other records pass through untouched
    if (!item.rec) {
      ++bad_frames;
      stats.drop();
      warnings.line(fmt::format("skipping a frame: {}", item.bad_frame));
      return true;
    }
    records::Detections& rec = *item.rec;
    rec.t_done = now_us();
    if (forward_frames && !out->write(item.msg)) return false;
    if (!out->write(Json(rec), nullptr, 0)) return false;
    if (rec.tags) tags_seen += rec.tags->size();
    stats.add(item.msg.payload.size());
    if (common.verbose) {
      // Workers busy: the mean number processing a frame over the last second or so.
      int64_t t = *rec.t_done, b = self->busy_us();
      if (t - window_t >= 1000000) {
        busy_mean = double(b - window_busy) / double(t - window_t);
        window_t = t;
        window_busy = b;
      }
      stats.report(fmt::format("{} tags seen, {} bad frames, workers busy {:.2f} of {}", tags_seen, bad_frames,
                               busy_mean, self->size()));
    }
    return true;
  };
  DetectWorkers pool(workers, opt, emit, nullptr, lone_threads);
  self = &pool;
  std::unique_ptr<detect_tool::RobotInput> robot;
  if (headings)
    robot = std::make_unique<detect_tool::RobotInput>(
        robot_in, common.input_options(), heading_topic, axes, headings,
        [&pool](const RobotSetting& s) { pool.update(s); }, common.verbose > 0);
  auto in = open_input(common.in, common.input_options());
  out = open_output(common.out, common.output_options());
  Message m;
  while (!stop_requested() && in->read(m)) {
    if (robot && m.is_frame()) robot->drain(m.header.value("t_capture", int64_t(0)), heading_wait_ms);
    if (!pool.submit(std::move(m))) break;
    m = Message();
  }
  const int64_t t_start = window_t0;
  pool.finish();
  if (common.verbose && now_us() > t_start)
    log_line(fmt::format("{} records from {} workers, busy {:.2f} of {} on average", stats.total(), pool.size(),
                         double(pool.busy_us()) / double(now_us() - t_start), pool.size()));
  if (robot && common.verbose) log_line(fmt::format("{} heading samples read from --robot-in", robot->samples()));
  if (std::string s = fine_pass_summary(pool.fine_pass_counts()); common.verbose && !s.empty()) log_line(s);
  if (bad_frames) log_line(fmt::format("skipped {} unusable frame(s)", bad_frames));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  DetectOptions opt;
  std::string calib_path, field_spec, robot_to_camera, aspect, fullness;
  std::string robot_in, heading_topic = "/limelight/robot_orientation_set", camera_pose_axes = "limelight";
  HeadingLimits heading_limits;
  double max_heading_age_ms = 100, max_heading_gap_ms = 150;
  int heading_wait_ms = 0, workers = 1;
  bool no_refine_pose = false, track = false;
  TrackOptions track_opt;
  std::vector<std::string> colors;
  std::vector<int> ids, ignore_ids;
  std::vector<std::string> tag_sizes;
  bool forward_frames = false, no_tags = false, refine_edges = true, refine_corners = false, no_refine_corners = false,
       no_fine_pass = false;
  return run_tool(
      "detect", argc, argv,
      "Find AprilTags and colour targets in frames and estimate the camera's and robot's pose on the field.\n"
      "Reads frames (--in), writes one 'detections' record per frame (--out); see detect(1) and docs/records.md.",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        common.add_output(app);
        app.add_flag("--frames", forward_frames, "Also forward each frame, ahead of its record (for overlay)");
        app.add_option("--workers", workers,
                       "Detect on this many frames at once, each worker with its own detector (records stay in "
                       "frame order; a live source's newest frame goes to the next free worker); not with --track")
            ->capture_default_str()->check(CLI::Range(1, 64));
        auto* g = "AprilTags";
        app.add_option("--family", opt.apriltag.family, "Tag family: 36h11 or 16h5")->capture_default_str()->group(g);
        app.add_option("--decimate", opt.apriltag.decimate, "Find quads on an image this many times smaller (faster, shorter range)")
            ->capture_default_str()->group(g);
        app.add_option("--blur", opt.apriltag.blur, "Gaussian blur sigma in pixels before finding quads (negative sharpens)")
            ->capture_default_str()->group(g);
        auto* threads_opt = app.add_option("--threads", opt.apriltag.threads,
                                           "Detector threads (0: all cores; default with --workers above 1: 1 per worker, all cores for "
                                           "a frame that comes while the other workers are idle)")
                                ->capture_default_str()->group(g);
        app.add_flag("--track", track, "Video: follow tags from frame to frame (full resolution near each, a coarse "
                                      "search for new ones, a full search every --track-every frames)")
            ->group(g);
        app.add_option("--track-every", track_opt.full_every, "With --track: a full search at least this often, frames")
            ->capture_default_str()->group(g);
        app.add_option("--track-decimate", track_opt.coarse_decimate,
                       "With --track: decimate of the search for new tags between full searches")
            ->capture_default_str()->group(g);
        app.add_flag("--refine-edges,!--no-refine-edges", refine_edges,
                     "Fit tag edges on the full-resolution image (libapriltag's refine_edges; on by default)")
            ->group(g);
        auto* rc = app.add_flag("--refine-corners", refine_corners,
                                "Align each tag's whole pattern, blurred like the image, to it: unbiased corners "
                                "(libapriltag's read blurred small tags up to 1% large), ~3 ms per tag "
                                "(default: on with --calib, off without)")
                       ->group(g);
        app.add_flag("--no-refine-corners", no_refine_corners, "Keep libapriltag's corners (faster poses, less accurate)")
            ->excludes(rc)
            ->group(g);
        app.add_flag("--no-fine-pass", no_fine_pass,
                     "With --decimate 1.5 or more: skip the full-resolution search where the decimated image shows "
                     "small tags it did not decode (more far tags than decimate 1 finds, at little more cost)")
            ->group(g);
        app.add_option("--max-hamming", opt.apriltag.max_hamming, "Most corrected bit errors accepted (0..3)")
            ->capture_default_str()->group(g);
        app.add_option("--min-margin", opt.apriltag.min_margin, "Least decision margin accepted")->capture_default_str()->group(g);
        app.add_option("--ids", ids, "Only these tag ids (comma-separated)")->delimiter(',')->group(g);
        app.add_option("--ignore-ids", ignore_ids, "Leave out these tag ids (comma-separated): not reported, not used for poses")
            ->delimiter(',')
            ->group(g);
        app.add_flag("--no-tags", no_tags, "Do not look for AprilTags (colour targets only)")->group(g);
        g = "Camera and pose";
        add_calib_option(app, calib_path, "Camera calibration, for tag and field poses")->group(g);
        app.add_option("--fov", opt.fov_deg, "Without --calib: horizontal field of view in degrees, for tx/ty")->group(g);
        add_tag_size_option(app, tag_sizes)->group(g);
        add_field_option(app, field_spec, "Field layout, for the camera's and robot's pose on the field")->group(g);
        app.add_option("--robot-to-camera", robot_to_camera,
                       "Camera pose on the robot: x,y,z,roll,pitch,yaw (metres, degrees; WPILib axes)")->group(g);
        app.add_flag("--no-refine-pose", no_refine_pose,
                     "Multi-tag: keep SQPnP's pose (no Levenberg-Marquardt refinement over all corners)")
            ->group(g);
        app.add_option("--outlier-factor", opt.pose.outlier_factor,
                       "Leave out a tag whose reprojection error is above this many times the others' median "
                       "(and above --outlier-floor px); 0: never")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        app.add_option("--outlier-floor", opt.pose.outlier_floor_px, "Reprojection errors below this (px) are never outliers")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        g = "Heading-constrained pose (MegaTag2)";
        app.add_option("--robot-in", robot_in,
                       "Also read the nt records ntsub writes (FILE, FIFO, tcp://, 'hub?topic=nt/'): the robot's "
                       "heading, for a heading-constrained pose per frame (field_pose_constrained; needs "
                       "--field), and the Limelight settings beside the heading topic: fiducial_id_filters_set, "
                       "priorityid, camerapose_robotspace_set (replaces --robot-to-camera)")
            ->group(g);
        app.add_option("--camera-pose-axes", camera_pose_axes,
                       "Axes of camerapose_robotspace_set: limelight ([forward, right, up, roll, pitch up, yaw], "
                       "as LimelightHelpers.setCameraPose_RobotSpace) or wpilib (a Transform3d's x,y,z,roll,pitch,yaw)")
            ->capture_default_str()->group(g);
        app.add_option("--heading-topic", heading_topic,
                       "NT topic of the robot's field yaw: [yaw, yawRate, ...] in degrees (SetRobotOrientation) or a number")
            ->capture_default_str()->group(g);
        app.add_option("--max-heading-age", max_heading_age_ms, "Newest heading at most this old at the frame's capture, ms")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        app.add_option("--max-heading-gap", max_heading_gap_ms, "The two headings around a frame at most this far apart, ms")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        app.add_option("--max-yaw-rate", heading_limits.max_yaw_rate, "No constrained pose while turning faster, deg/s")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        app.add_option("--heading-std", opt.heading_sigma_deg, "The heading's standard deviation, degrees (for std_devs)")
            ->capture_default_str()->group(g);
        app.add_option("--heading-wait", heading_wait_ms,
                       "Wait up to this long for a heading at or after a frame's capture time, ms (0: use what is there)")
            ->capture_default_str()->check(CLI::Range(0, 60000))->group(g);
        g = "Colour targets";
        app.add_option("--color", colors, "HSV range H1-H2,S1-S2,V1-V2 (H 0..179, S/V 0..255); repeatable")->group(g);
        app.add_option("--min-area", opt.color.min_area, "Smallest target, % of the image")->capture_default_str()->group(g);
        app.add_option("--max-area", opt.color.max_area, "Largest target, % of the image")->capture_default_str()->group(g);
        app.add_option("--aspect", aspect, "Rotated-rectangle width/height range MIN-MAX")->group(g);
        app.add_option("--fullness", fullness, "Contour area / rotated-rectangle area range MIN-MAX, %")->group(g);
        app.add_option("--max-targets", opt.color.max_targets, "Most targets reported per --color range")->capture_default_str()->group(g);

        return [&, threads_opt]() -> int {
          if (track && workers > 1)
            throw OptionError("--track follows each camera's frames in order: it cannot be used with --workers above 1");
          // --workers without --threads: one thread a worker while they all work, all cores for a lone frame.
          int lone_threads = 0;
          if (workers > 1 && threads_opt->count() == 0) {
            opt.apriltag.threads = 1;
            lone_threads = int(std::max(1u, std::thread::hardware_concurrency()));
            if (lone_threads == 1) lone_threads = 0;
          }
          opt.tags = !no_tags;
          opt.apriltag.refine_edges = refine_edges;
          opt.apriltag.fine_pass = !no_fine_pass;
          // Corner refinement serves the poses, which need a calibration: on with --calib unless asked otherwise.
          opt.apriltag.refine_corners = refine_corners || (!calib_path.empty() && !no_refine_corners);
          opt.apriltag.ids.insert(ids.begin(), ids.end());
          opt.ignore_ids.insert(ignore_ids.begin(), ignore_ids.end());
          {
            geometry::TagSizes sizes = geometry::parse_tag_sizes(tag_sizes, opt.apriltag.family);
            opt.tag_size = sizes.size;
            opt.tag_size_by_id = sizes.by_id;
          }
          for (const auto& c : colors) opt.color.ranges.push_back(parse_hsv_range(c));
          if (!aspect.empty()) {
            auto r = parse_number_range("--aspect", aspect);
            opt.color.min_aspect = r.min;
            opt.color.max_aspect = r.max;
          }
          if (!fullness.empty()) {
            auto r = parse_number_range("--fullness", fullness);
            opt.color.min_fullness = r.min;
            opt.color.max_fullness = r.max;
          }
          if (!opt.tags && opt.color.ranges.empty()) throw OptionError("--no-tags without --color leaves nothing to detect");
          if (!calib_path.empty()) opt.calib = load_calibration(calib_path);
          if (!field_spec.empty()) {
            opt.field = geometry::load_field_layout(field_spec);
            if (common.verbose) log_line("field layout: " + opt.field->describe());
          }
          if (!robot_to_camera.empty()) {
            auto v = parse_number_list("--robot-to-camera", robot_to_camera, "x,y,z,roll,pitch,yaw");
            constexpr double d = M_PI / 180;
            opt.robot_to_camera = geometry::Pose3::from_xyz_rpy(v[0], v[1], v[2], v[3] * d, v[4] * d, v[5] * d);
          }
          opt.pose.refine = !no_refine_pose;
          if (track) opt.track = track_opt;
          const CameraPoseAxes axes = parse_camera_pose_axes(camera_pose_axes);
          std::shared_ptr<HeadingHistory> headings;
          if (!robot_in.empty()) {
            if (!opt.field) throw OptionError("--robot-in needs --field (the constrained pose is a field pose)");
            heading_limits.max_age_us = int64_t(max_heading_age_ms * 1000);
            heading_limits.max_gap_us = int64_t(max_heading_gap_ms * 1000);
            headings = std::make_shared<HeadingHistory>(heading_limits);
            opt.headings = headings;
          }
          if (workers > 1) return run_workers(workers, opt, common, robot_in, heading_topic, axes, headings,
                                              heading_wait_ms, forward_frames, lone_threads);
          DetectPipeline pipeline(opt);
          std::unique_ptr<detect_tool::RobotInput> robot;
          if (headings)
            robot = std::make_unique<detect_tool::RobotInput>(
                robot_in, common.input_options(), heading_topic, axes, headings,
                [&pipeline](const RobotSetting& s) { apply_setting(s, pipeline); }, common.verbose > 0);

          auto in = open_input(common.in, common.input_options());
          auto out = open_output(common.out, common.output_options());
          Stats stats("", common.verbose > 0);
          Message m;
          uint64_t tags_seen = 0, bad_frames = 0;
          ThrottledLog warnings;
          while (!stop_requested() && in->read(m)) {
            if (!m.is_frame()) {  // other records pass through untouched
              if (!out->write(m)) break;
              continue;
            }
            if (robot) robot->drain(m.header.value("t_capture", int64_t(0)), heading_wait_ms);
            records::Detections rec;
            try {
              rec = pipeline.process(m);
            } catch (const BadFrameError& e) {
              ++bad_frames;
              stats.drop();
              warnings.line(fmt::format("skipping a frame: {}", e.what()));
              continue;
            }
            rec.t_done = now_us();
            if (forward_frames && !out->write(m)) break;
            if (!out->write(Json(rec), nullptr, 0)) break;
            if (rec.tags) tags_seen += rec.tags->size();
            stats.add(m.payload.size());
            if (common.verbose)
              stats.report(fmt::format("{} tags seen, {} bad frames{}", tags_seen, bad_frames, track_summary(pipeline)));
          }
          if (robot && common.verbose) log_line(fmt::format("{} heading samples read from --robot-in", robot->samples()));
          if (opt.track && common.verbose) log_line(track_summary(pipeline).substr(2));  // "tracking: ..."
          if (std::string s = fine_pass_summary(pipeline.fine_pass_counts()); common.verbose && !s.empty()) log_line(s);
          if (bad_frames) log_line(fmt::format("skipped {} unusable frame(s)", bad_frames));
          return 0;
        };
      });
}
