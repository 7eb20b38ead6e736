// probe: describe the messages of an rvkit stream (our ffprobe).
//
//   cap --test-pattern --count 100 | probe --summary
//   cap --cam 0 | probe --pass -v | detect ...
//   probe --diff old.jsonl new.jsonl --per-frame
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <map>
#include <string>

#include <fmt/format.h>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/summary.hpp"
#include "diff_command.hpp"

namespace {

// Per-camera (or per record type) totals for --summary.
struct Tally {
  uint64_t messages = 0, bytes = 0, dropped = 0;
  int64_t first_seq = -1, last_seq = -1;
  int64_t first_t = 0, last_t = 0;
  std::string fmt;
  int w = 0, h = 0;
  uint64_t min_bytes = UINT64_MAX, max_bytes = 0;
  std::vector<double> age_ms;  // arrival time minus t_capture, per frame
};

rvkit::records::Summary summary_record(const std::string& key, const Tally& t, bool frames) {
  rvkit::records::Summary s;
  s.messages = t.messages;
  s.total_bytes = t.bytes;
  if (!frames) {
    s.record_type = key;
    return s;
  }
  s.cam = key;
  rvkit::records::FrameSummary& f = s.frames.emplace();
  f.first_seq = t.first_seq;
  f.last_seq = t.last_seq;
  f.dropped = t.dropped;
  f.duration_s = double(t.last_t - t.first_t) / 1e6;
  f.fps = t.messages > 1 && f.duration_s > 0 ? double(t.messages - 1) / f.duration_s : 0.0;
  f.fmt = t.fmt;
  f.w = t.w;
  f.h = t.h;
  f.min_bytes = t.min_bytes;
  f.max_bytes = t.max_bytes;
  f.mean_bytes = t.messages ? t.bytes / t.messages : 0;
  f.age_ms = {rvkit::percentile(t.age_ms, 0.5), rvkit::percentile(t.age_ms, 0.99), rvkit::percentile(t.age_ms, 1.0)};
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bool summary = false, pass = false, quiet = false;
  int delay_ms = 0;
  probe_tool::DiffCommand diff;
  std::string tolerance;
  return rvkit::run_tool(
      "probe", argc, argv,
      "Describe the messages of an rvkit stream: one JSON line per message header (payload left out).",
      [&](CLI::App& app, rvkit::CommonOptions& common) -> rvkit::ToolBody {
        common.add_input(app);
        common.add_output(app);
        app.add_flag("--summary", summary, "At the end, print per-camera counts, fps, drops (seq gaps) and sizes");
        app.add_flag("--pass", pass,
                     "Forward the stream unchanged to --out (stdout) and write the descriptions to stderr");
        app.add_flag("-q,--quiet", quiet, "No per-message lines (with --summary: only the summary)");
        app.add_option("--delay", delay_ms, "Sleep this many ms after each frame: a stand-in for a slow consumer")
            ->check(CLI::Range(0, 60000));
        app.add_option("--diff", diff.inputs,
                       "Compare the detections of two runs A B (files, FIFOs, any --in SPEC): frames matched by "
                       "cam and seq, tags found per frame, ids only in one, field pose difference")
            ->expected(2);
        app.add_flag("--per-frame", diff.per_frame, "With --diff: a line for each frame that differs or is in one run only");
        app.add_flag("--json", diff.json, "With --diff: one JSON object instead of lines");
        app.add_option("--pose-tolerance", tolerance,
                       "With --diff: poses closer than M metres and DEG degrees do not make a frame differ (M,DEG)")
            ->default_str("0.01,0.5");
        app.footer(
            "Examples:\n  cap --test-pattern --count 100 | probe --summary\n"
            "  cap --cam 0 | probe --pass -q -v | detect ...\n"
            "  cap --file match.rvs | detect --decimate 1 --calib cam.yaml --field F > d1.jsonl\n"
            "  probe --diff match.rvs d1.jsonl --per-frame     # recorded detections against the new run");
        return [&]() -> int {
          if (!tolerance.empty() || diff.per_frame || diff.json) {
            if (diff.inputs.empty()) throw rvkit::OptionError("--per-frame, --json, --pose-tolerance: go with --diff A B");
          }
          if (!diff.inputs.empty()) {
            if (summary || pass || delay_ms || common.in != "-")
              throw rvkit::OptionError("--diff: reads its two inputs; no --in, --summary, --pass or --delay");
            if (!tolerance.empty()) {
              char comma = 0, end = 0;
              if (std::sscanf(tolerance.c_str(), "%lf%c%lf%c", &diff.tolerance_m, &comma, &diff.tolerance_deg, &end) != 3 ||
                  comma != ',' || !(diff.tolerance_m >= 0) || !(diff.tolerance_deg >= 0))
                throw rvkit::OptionError("--pose-tolerance", tolerance, "expected M,DEG such as 0.01,0.5 (both 0 or more)");
            }
            return probe_tool::run_diff(diff, common.input_options());
          }
          auto in = rvkit::open_input(common.in, common.input_options());
          std::unique_ptr<rvkit::Output> fwd;
          if (pass) fwd = rvkit::open_output(common.out, common.output_options());
          // Descriptions go to stdout, or to stderr when the stream itself goes to stdout.
          FILE* report = pass ? stderr : stdout;
          std::map<std::string, Tally> cams, records;
          rvkit::Stats stats(common.in == "-" ? "" : common.in, common.verbose > 0);
          rvkit::Message m;
          while (in->read(m)) {
            const int64_t arrived = rvkit::now_us();
            const bool frame = m.is_frame();
            if (!quiet) {
              std::string line = rvkit::encode_header(m.header);
              std::fwrite(line.data(), 1, line.size(), report);
              if (!pass && (std::fflush(report) != 0 || std::ferror(report))) return 0;  // reader gone
            }
            if (fwd && !fwd->write(m)) break;  // the reader downstream has gone: a normal end
            stats.add(m.payload.size());
            stats.report();
            if (frame && delay_ms) usleep(useconds_t(delay_ms) * 1000);
            if (summary) {
              if (frame) {
                Tally& t = cams[m.cam()];
                auto fi = rvkit::frame_info(m.header);
                if (t.messages && fi.seq > t.last_seq + 1) t.dropped += uint64_t(fi.seq - t.last_seq - 1);
                if (!t.messages) t.first_seq = fi.seq, t.first_t = fi.t_capture;
                t.last_seq = fi.seq;
                t.last_t = fi.t_capture;
                t.fmt = rvkit::to_string(fi.fmt);
                t.w = fi.w;
                t.h = fi.h;
                t.min_bytes = std::min<uint64_t>(t.min_bytes, fi.bytes);
                t.max_bytes = std::max<uint64_t>(t.max_bytes, fi.bytes);
                t.messages++;
                t.bytes += fi.bytes;
                if (t.age_ms.size() < 10000000) t.age_ms.push_back(double(arrived - fi.t_capture) / 1000.0);
              } else {
                Tally& t = records[m.type()];
                t.messages++;
                t.bytes += m.payload.size();
              }
            }
          }
          if (summary) {
            for (auto& [k, t] : cams) {
              std::string s = rvkit::encode_header(rvkit::Json(summary_record(k, t, true)));
              std::fwrite(s.data(), 1, s.size(), report);
            }
            for (auto& [k, t] : records) {
              std::string s = rvkit::encode_header(rvkit::Json(summary_record(k, t, false)));
              std::fwrite(s.data(), 1, s.size(), report);
            }
          }
          std::fflush(report);
          return 0;
        };
      });
}
