// overlay: draw what the robot sees: tags, targets, crosshairs, a HUD, NT values and a field map on
// the frames, or several cameras tiled into one (docs/overlay.md, overlay(1)).
//
//   cap --cam 0 | detect --frames --calib c.yaml | overlay --calib c.yaml --crosshair 0,0 | stream
//   ... | overlay --in tcp://localhost:5800 --text 'RPM {/SmartDashboard/Shooter/RPM:%.0f}'
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/overlay/annotator.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/overlay/matcher.hpp"
#include "rvkit/overlay/tiler.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/vision/calibration.hpp"
#include "rvkit/vision/field_layout.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

// At most one warning line a second; the rest are counted.
class Warnings {
 public:
  void warn(const std::string& text) {
    ++total_;
    int64_t now = mono_us();
    if (last_ && now - last_ < 1000000) return;
    log_line(text);
    last_ = now;
  }
  uint64_t total() const { return total_; }

 private:
  int64_t last_ = 0;
  uint64_t total_ = 0;
};

struct Settings {
  std::vector<std::string> ins;
  bool no_stdin = false;
  std::string out = "-";
  uint64_t max_bytes = kDefaultMaxPayloadBytes;
  int max_wait_ms = 100;
  std::string fmt = "bgr8";
  int quality = kDefaultJpegQuality;
  std::vector<std::string> calibs, crosshairs, texts;
  std::string hud = "cam,fps,latency", field, pose_topic, tile, name = "tile";
  FrameSize size;
  double tag_size = geometry::kDefaultTagSize;
  bool no_tags = false, no_targets = false;
};

// CPU time of the calling thread, µs: what drawing costs, however busy the machine is.
int64_t cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts_to_us(ts);
}

// CPU time spent turning a frame into the annotated image (decoding, drawing, composing a tile; not
// reading or writing), per output frame: the -v lines report it.
class DrawTimes {
 public:
  void add(int64_t us) {
    sum_ += us;
    ++n_;
    if (samples_.size() < 100000) samples_.push_back(us);
  }
  std::string summary() const {
    if (!n_) return "drawing: no frames";
    std::vector<int64_t> v = samples_;
    size_t k = std::min(v.size() - 1, size_t(double(v.size()) * 0.99));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return fmt::format("drawing {:.2f} ms mean, {:.2f} ms p99 CPU per frame out", double(sum_) / double(n_) / 1000.0,
                       double(v[k]) / 1000.0);
  }

 private:
  int64_t sum_ = 0;
  uint64_t n_ = 0;
  std::vector<int64_t> samples_;
};

struct InputState {
  bool ended = false, frames = false;
  uint64_t messages = 0;
};

constexpr int64_t kFinishWaitUs = 1000000;  // longest frames wait for records after the inputs ended

class OverlayTool {
 public:
  OverlayTool(const Settings& s, int verbose) : s_(s), verbose_(verbose), stats_("overlay", "", verbose > 0) {
    AnnotatorOptions ao;
    ao.tags = !s.no_tags;
    ao.targets = !s.no_targets;
    ao.tag_size = s.tag_size;
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
    if (!s.field.empty()) ao.field = vision::load_field_layout(s.field);
    ao.pose_topic = s.pose_topic;
    if (!s.pose_topic.empty() && s.field.empty()) throw OptionError("--pose-topic needs --field (the map it is drawn on)");
    annotator_.emplace(std::move(ao));
    if (!s.tile.empty()) {
      if (s.name.empty()) throw OptionError("--name: the tile's camera name must not be empty");
      tiler_.emplace(parse_tile_list(s.tile), s.name, cv::Size(s.size.width, s.size.height));
    } else if (!s.size.empty() || s.name != "tile") {
      throw OptionError(fmt::format("{} is only for --tile", s.size.empty() ? "--name" : "--size"));
    }
    auto f = parse_pixel_format(s.fmt);
    if (!f || *f == PixelFormat::Gray8) throw OptionError("--fmt", s.fmt, "expected bgr8 or jpeg");
    out_fmt_ = *f;
    if (s.max_wait_ms < 0) throw OptionError("--max-wait must be 0 or more milliseconds");
    MatcherOptions mo;
    mo.max_wait_us = int64_t(s.max_wait_ms) * 1000;
    matcher_.emplace(mo);

    // Inputs: stdin unless --no-stdin or it is a terminal (then only when named with --in -).
    bool explicit_stdin = std::count(s.ins.begin(), s.ins.end(), "-") > 0;
    if (explicit_stdin && s.no_stdin) throw OptionError("--in - and --no-stdin contradict each other");
    if (explicit_stdin || (!s.no_stdin && !isatty(STDIN_FILENO))) specs_.push_back("-");
    for (const auto& in : s.ins)
      if (in != "-" && std::find(specs_.begin(), specs_.end(), in) == specs_.end()) specs_.push_back(in);
    if (specs_.empty())
      throw OptionError(s.no_stdin ? "--no-stdin without any --in: no input"
                                   : "no input: stdin is a terminal; pipe frames in or give --in");
    stdin_index_ = specs_[0] == "-" ? 0 : -1;
    state_.resize(specs_.size());
  }

  int run() {
    InputSet inputs(specs_, InputOptions{s_.max_bytes});
    inputs_ = &inputs;
    out_ = open_output(s_.out);
    inputs.start();
    bool reader_gone = false;
    int64_t finish_started = 0;
    while (!stop_requested() && !reader_gone) {
      int64_t deadline = matcher_->next_deadline();
      int timeout = 200;
      if (deadline != INT64_MAX) timeout = int(std::clamp<int64_t>((deadline - mono_us() + 999) / 1000, 0, 200));
      InputEvent ev;
      if (inputs.pop(ev, timeout)) handle(ev);
      int64_t now = mono_us();
      matcher_->expire(now);
      // Once the inputs are done, frames still waiting get their records only from inputs still open,
      // and for a second at most (whatever --max-wait says): nothing lingers at the end.
      if (finishing_ && !finish_started) finish_started = now;
      if (finishing_ && (!others_open() || now - finish_started > kFinishWaitUs)) matcher_->release_all();
      ReadyFrame rf;
      while (!reader_gone && matcher_->pop_ready(rf)) reader_gone = !emit(rf);
      if (finishing_ && matcher_->idle()) break;
      if (verbose_) stats_.report(progress());
    }
    if (!stop_requested() && !reader_gone && tiler_ && tiler_->any_fresh()) write_tile();
    if (verbose_) log_line("done: " + progress());
    if (warnings_.total() > 1)
      log_line(fmt::format("{} problems in all (one line a second shown)", warnings_.total()));
    request_stop();  // ends the readers still waiting on their inputs (ZeroMQ, FIFOs)
    inputs_ = nullptr;
    return 0;
  }

 private:
  std::string progress() const {
    const auto& c = matcher_->counts();
    return fmt::format("{} frames in, {} out; with their record {}, not waiting {}, record skipped {}, timed out {}, "
                       "overflow {}; {} records, {} late; {} malformed; {}",
                       frames_in_, frames_out_, c.matched, c.not_expected + c.end, c.superseded, c.timed_out,
                       c.overflow, records_, c.late_records, malformed_, draw_times_.summary());
  }

  void handle(InputEvent& ev) {
    InputState& st = state_[size_t(ev.input)];
    const std::string& name = ev.input == stdin_index_ ? std::string("stdin") : specs_[size_t(ev.input)];
    switch (ev.kind) {
      case InputEvent::Kind::Error:
        throw Error(ev.error);
      case InputEvent::Kind::End:
        st.ended = true;
        if (verbose_) log_line(fmt::format("{}: ended after {} messages", name, st.messages));
        update_finishing();
        return;
      case InputEvent::Kind::Message:
        break;
    }
    ++st.messages;
    if (ev.msg.is_frame()) {
      st.frames = true;
      ++frames_in_;
      if (finishing_) {  // from an input still open after the end: not drawn
        inputs_->recycle(std::move(ev.msg));
        return;
      }
      matcher_->add_frame(std::move(ev.msg), mono_us());
      return;
    }
    ++records_;
    RecordPtr r = make_record(std::move(ev.msg.header));
    inputs_->recycle(std::move(ev.msg));  // its buffer (perhaps a frame's) serves again
    if (r->detections && !r->detections->problems.empty()) {
      ++malformed_;
      std::string what = r->seq ? fmt::format("{} record for {}/{}", r->type, r->cam, *r->seq) : r->type + " record";
      warnings_.warn(fmt::format("{}: message {}: {}: {}; the rest is drawn", name, ev.number, what,
                                 r->detections->problems.front()));
    }
    annotator_->add_record(r);
    if (r->seq) matcher_->add_record(r, mono_us());
  }

  bool others_open() const {
    for (size_t i = 0; i < state_.size(); ++i)
      if (int(i) != stdin_index_ && !state_[i].ended) return true;
    return false;
  }

  // Ends when stdin ends (having carried something); without stdin (or with an empty one), when every
  // input that carried frames has ended, or every input has.
  void update_finishing() {
    if (stdin_index_ >= 0 && !state_[size_t(stdin_index_)].ended) {
      finishing_ = false;  // stdin decides, once it has ended
    } else if (stdin_index_ >= 0 && state_[size_t(stdin_index_)].messages > 0) {
      finishing_ = true;
    } else {
      bool all_ended = true, any_frames = false, frame_inputs_ended = true;
      for (const auto& st : state_) {
        all_ended = all_ended && st.ended;
        if (st.frames) any_frames = true, frame_inputs_ended = frame_inputs_ended && st.ended;
      }
      finishing_ = all_ended || (any_frames && frame_inputs_ended);
    }
  }

  bool write_frame(const Json& header, const cv::Mat& img) {
    bool ok;
    if (out_fmt_ == PixelFormat::Jpeg) {
      Message m;
      mat_to_frame(img, PixelFormat::Jpeg, frame_info(header), m, s_.quality);
      ok = out_->write(m);
    } else {
      ok = out_->write(header, img.data, size_t(header["bytes"].get<uint64_t>()));
    }
    ++frames_out_;
    stats_.add(header["bytes"].get<uint64_t>());
    return ok;
  }

  bool write_tile() {
    int64_t t0 = cpu_us();
    FrameInfo info;
    cv::Mat composed = tiler_->take(info, mono_us());  // the tiler's own image: what is drawn on it is put back after
    Canvas c(composed);
    // Templates and the map on a tile speak for the first camera of the list that has been seen.
    const std::pair<FrameInfo, RecordPtr>* lead = nullptr;
    for (const auto& cam : tiler_->cams())
      if (auto it = tile_last_.find(cam); it != tile_last_.end()) {
        lead = &it->second;
        break;
      }
    std::vector<std::pair<cv::Rect, cv::Mat>> saved;
    if (lead) {
      for (const cv::Rect& r : annotator_->global_rects(c, lead->first, lead->second.get(), now_us()))
        saved.emplace_back(r, composed(r).clone());
      annotator_->draw_global(c, lead->first, lead->second.get(), now_us());
    }
    draw_times_.add(cpu_us() - t0 + tile_draw_us_);
    tile_draw_us_ = 0;
    bool ok = write_frame(make_frame_header(info), composed);
    for (auto& [r, pixels] : saved) pixels.copyTo(composed(r));
    return ok;
  }

  bool emit(ReadyFrame& rf) {
    int64_t t0 = cpu_us();
    FrameInfo f = frame_info(rf.msg.header);
    cv::Mat img;
    try {
      img = frame_to_mat(rf.msg, PixelFormat::Bgr8);
    } catch (const Error& e) {
      warnings_.warn(fmt::format("skipping a frame: {}", e.what()));
      inputs_->recycle(std::move(rf.msg));
      return true;
    }
    annotator_->note_frame(f);
    const Record* rec = rf.record.get();
    bool ok = true;
    if (tiler_ && tiler_->has(f.cam)) {
      if (tiler_->fresh(f.cam)) {
        int64_t w0 = cpu_us();
        ok = write_tile();
        t0 += cpu_us() - w0;  // that tile's own time is counted there
      }
      Canvas cell = tiler_->place(f.cam, img, f.t_capture, mono_us());
      annotator_->draw_camera(cell, f, rec, now_us());
      tile_last_[f.cam] = {f, rf.record};
      tile_draw_us_ += cpu_us() - t0;  // counted with the tile this frame goes out in
      if (ok && tiler_->complete()) ok = write_tile();
    } else {
      Canvas c(img);
      int64_t now = now_us();
      annotator_->draw_camera(c, f, rec, now);
      annotator_->draw_global(c, f, rec, now);
      Json header = rf.msg.header;
      if (f.fmt != PixelFormat::Bgr8) {  // converted or decoded: a new, packed image
        header["fmt"] = "bgr8";
        header["stride"] = int64_t(img.cols) * 3;
        header["bytes"] = uint64_t(img.cols) * 3 * uint64_t(img.rows);
      }
      draw_times_.add(cpu_us() - t0);
      ok = write_frame(header, img);
    }
    inputs_->recycle(std::move(rf.msg));
    return ok;
  }

  const Settings& s_;
  int verbose_;
  Stats stats_;
  std::optional<Annotator> annotator_;
  std::optional<Tiler> tiler_;
  std::optional<FrameMatcher> matcher_;
  PixelFormat out_fmt_ = PixelFormat::Bgr8;
  std::vector<std::string> specs_;
  int stdin_index_ = -1;
  std::vector<InputState> state_;
  InputSet* inputs_ = nullptr;
  std::unique_ptr<Output> out_;
  std::map<std::string, std::pair<FrameInfo, RecordPtr>> tile_last_;
  bool finishing_ = false;
  Warnings warnings_;
  DrawTimes draw_times_;
  int64_t tile_draw_us_ = 0;  // time spent on the cameras of the next tile
  uint64_t frames_in_ = 0, frames_out_ = 0, records_ = 0, malformed_ = 0;
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
        add_tag_size_option(app, s.tag_size)->group(g);  // the axes are half as long
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
          s.max_bytes = common.max_bytes;
          OverlayTool tool(s, common.verbose);
          return tool.run();
        };
      });
}
