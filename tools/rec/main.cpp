// rec: record everything a pipeline says (frames and records, from any number of inputs) into one
// rvkit stream, or keep the last minutes in memory and save them when asked.
//
//   cap --test-pattern | rec --out test.rvs
//   rec --in 'hub?topic=frame/&topic=detections/&topic=nt/' --out 'matches/%event-%match-%Y%m%d-%H%M%S.rvs'
//   rec --in hub --ring 150s --trigger-topic /rvkit/rec/save --out 'rewind/%Y%m%d-%H%M%S.rvs'
//   rec --repair matches/qm12.rvs
//   rec save                       # the ring of each rec under `hub run`, through its control socket
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/recording/hub_save.hpp"
#include "rvkit/recording/session.hpp"

namespace {

// "150s", "2.5m", "500ms", "150" (seconds) to microseconds; OptionError otherwise.
int64_t parse_duration_us(const std::string& option, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  double scale = unit.empty() || unit == "s" ? 1e6 : unit == "ms" ? 1e3 : unit == "m" || unit == "min" ? 60e6 : -1;
  if (end == text.c_str() || scale < 0 || !(v > 0) || v * scale > 86400e6)
    throw rvkit::OptionError(option, text, "expected a duration such as 150s, 2.5m or 500ms (up to a day)");
  return int64_t(v * scale);
}

}  // namespace

int main(int argc, char** argv) {
  rvkit::recording::RecOptions o;
  std::vector<std::string> repair;
  std::string out, fmt_name = "as-is", ring;
  int quality = rvkit::kDefaultJpegQuality;
  rvkit::FrameSize size;
  double split_mb = 0, split_s = 0, keep_gb = 0, queue_mb = 64, ring_mb = 0, sync_s = 1;
  bool force = false, no_drop = false, no_wait = false;
  rvkit::recording::HubSaveOptions hub_save;
  return rvkit::run_tool(
      "rec", argc, argv,
      "Record every message of any number of inputs (frames and records, in arrival order, each stamped with its "
      "arrival time t_rec) into one rvkit stream file; or keep the last seconds in a ring buffer and save them "
      "when triggered.",
      [&](CLI::App& app, rvkit::CommonOptions& common) -> rvkit::ToolBody {
        app.add_option("--in", o.inputs,
                       "Input (repeatable; default stdin): '-' (stdin), a file or FIFO, a ZeroMQ endpoint "
                       "(tcp://HOST:PORT, ipc://PATH[?topic=PREFIX]), shared memory (shm://NAME), or the hub (hub[?topic=PREFIX])");
        app.add_option("--max-bytes", common.max_bytes, "Largest payload accepted, in bytes")->capture_default_str();
        rvkit::add_hub_option(app);
        app.add_option("--out", out,
                       "The recording: a file name, or a pattern with strftime conversions (%Y%m%d-%H%M%S), "
                       "%event and %match (from /FMSInfo in nt records)");
        app.add_flag("-f,--force", force, "Replace an existing file (a plain --out name only)");
        app.add_option("--fmt", fmt_name, "Store frames as they come (as-is) or re-encoded: jpeg, gray8, bgr8")
            ->check(CLI::IsMember({"as-is", "jpeg", "gray8", "bgr8"}))
            ->capture_default_str();
        rvkit::add_quality_option(app, quality);
        rvkit::add_size_option(app, size, "Resize frames to this (with --fmt)");
        app.add_option("--split-mb", split_mb, "Start a new file past this many MB")->check(CLI::Range(0.001, 1e7));
        app.add_option("--split-s", split_s, "Start a new file after this many seconds")->check(CLI::Range(0.1, 1e7));
        app.add_option("--keep-gb", keep_gb,
                       "Delete the oldest recordings (in the recording's folder, with its extension) past this many GB")
            ->check(CLI::Range(1e-6, 1e6));
        app.add_option("--queue-mb", queue_mb, "Frames waiting for the disk, at most (then frames are dropped)")
            ->check(CLI::Range(1.0, 65536.0))
            ->capture_default_str();
        app.add_flag("--no-drop", no_drop,
                     "Wait for the disk instead of dropping frames (copying a recorded stream; slows its source)");
        app.add_option("--sync-s", sync_s, "fdatasync the file this often (what a power loss can lose)")
            ->check(CLI::Range(0.01, 3600.0))
            ->capture_default_str();
        app.add_option("--ring", ring, "Ring buffer: keep the last DURATION (150s, 2.5m) in memory; save it on SIGUSR1 "
                                       "or --trigger-topic into a new --out file");
        app.add_option("--ring-mb", ring_mb, "Ring buffer: keep at most this many MB (with --ring: whichever is less)")
            ->check(CLI::Range(0.001, 1e6));
        app.add_option("--trigger-topic", o.trigger_topic,
                       "Ring buffer: save when the value of this NT topic (an nt record, e.g. from ntsub) changes");
        app.add_option("--repair", repair, "Cut the damaged tail of these recordings (after a crash or power loss)")
            ->expected(1, -1);
        CLI::App* save_cmd = app.add_subcommand(
            "save",
            "Save the ring buffer of the rec processes a `hub run` supervises (through its control socket: it "
            "sends them SIGUSR1) and print the files they wrote, one a line");
        save_cmd->fallthrough();  // -v after `save` is rec's
        save_cmd->add_option("--control", hub_save.control,
                             "The control socket of the hub run (default: $XDG_RUNTIME_DIR/rvkit/hub.sock, "
                             "else /tmp/rvkit-hub-UID/hub.sock)");
        save_cmd->add_option("--name", hub_save.name, "Only this process of the launch file (default: every rec)");
        save_cmd->add_option("--timeout", hub_save.timeout_s, "Seconds to wait for each reply of the hub run")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        save_cmd->add_option("--wait", hub_save.wait_s, "Seconds to wait for the saves to be written")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        save_cmd->add_flag("--no-wait", no_wait, "Only ask: print which processes were signalled (on stderr)");
        app.footer(
            "Examples:\n"
            "  cap --test-pattern | rec --out test.rvs\n"
            "  rec --in 'hub?topic=frame/&topic=detections/&topic=nt/' --out 'matches/%event-%match-%Y%m%d-%H%M%S.rvs' \\\n"
            "      --fmt jpeg --quality 70 --split-s 300 --keep-gb 20\n"
            "  rec --in hub --ring 150s --trigger-topic /rvkit/rec/save --out 'rewind/%Y%m%d-%H%M%S.rvs'\n"
            "  kill -USR1 $(pidof rec)        # save the ring now\n"
            "  rec save                       # ... of each rec under `hub run`, printing the files\n"
            "  rec --repair matches/ev-Q12-20261202-101500.rvs\n"
            "  cap --file match.rvs --realtime --cam front | detect ...\n"
            "Frames the disk cannot take in time are dropped and counted (never records). See rec(1), docs/rec.md.");
        return [&, save_cmd]() -> int {
          if (save_cmd->parsed()) {
            if (!out.empty() || !repair.empty() || !o.inputs.empty() || !ring.empty())
              throw rvkit::OptionError("save: asks a running rec; give none of --out, --in, --ring, --repair");
            hub_save.wait = !no_wait;
            // The files in launch-file order once all are written (each save's own line is in hub run's log).
            for (const auto& saved : rvkit::recording::save_through_hub(hub_save)) {
              if (!hub_save.wait) {
                rvkit::log_line(fmt::format("{} (pid {}): asked to save", saved.name, saved.pid));
                continue;
              }
              if (common.verbose) rvkit::log_line(fmt::format("{} (pid {}): saved {}", saved.name, saved.pid, saved.path));
              std::printf("%s\n", saved.path.c_str());
            }
            std::fflush(stdout);
            return 0;
          }
          if (!repair.empty()) {
            if (!out.empty()) throw rvkit::OptionError("--repair: give the files to repair and no --out");
            return rvkit::recording::repair_files(repair, common.max_bytes);
          }
          if (out.empty()) throw rvkit::OptionError("--out: required (the recording's file name or pattern)");
          if (o.inputs.empty()) o.inputs.push_back("-");
          if (!ring.empty()) o.ring_us = parse_duration_us("--ring", ring);
          o.ring_bytes = uint64_t(ring_mb * 1e6);
          const bool ring_mode = o.ring_us > 0 || o.ring_bytes > 0;
          if (!o.trigger_topic.empty() && !ring_mode)
            throw rvkit::OptionError("--trigger-topic: saves a ring buffer; give --ring or --ring-mb");
          if (ring_mode && (split_mb > 0 || split_s > 0))
            throw rvkit::OptionError("--split-mb/--split-s: a ring buffer is saved into one file per trigger");
          if (!size.empty() && fmt_name == "as-is")
            throw rvkit::OptionError("--size: resizes when frames are re-encoded; give --fmt too");
          if (!ring_mode && !force && out.find('%') == std::string::npos && access(out.c_str(), F_OK) == 0)
            throw rvkit::Error(fmt::format("{}: exists (--force replaces it)", out));
          if (ring_mode && !o.ring_bytes) o.ring_bytes = 1ull << 30;  // a window is bounded in memory anyway
          o.input = common.input_options();
          o.input.newest_frames = false;  // a recording keeps every live frame that reaches it
          o.verbose = common.verbose;
          auto& r = o.recorder;
          r.pattern = out;
          r.overwrite = force;
          r.format = fmt_name == "as-is" ? "" : fmt_name;
          r.quality = quality;
          r.width = size.width;
          r.height = size.height;
          r.split_bytes = uint64_t(split_mb * 1e6);
          r.split_us = int64_t(split_s * 1e6);
          r.keep_bytes = uint64_t(keep_gb * 1e9);
          r.queue_bytes = uint64_t(queue_mb * (1 << 20));
          r.block_when_full = no_drop;
          r.sync_us = int64_t(sync_s * 1e6);
          // A file-size limit (ulimit -f) must be a write error we report, not a silent SIGXFSZ death.
          std::signal(SIGXFSZ, SIG_IGN);
          return rvkit::recording::run_rec(o);
        };
      });
}
