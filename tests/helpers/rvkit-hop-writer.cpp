// rvkit-hop-writer: a benchmark helper (scripts/bench-shm) that writes gray8 or bgr8 frames at a
// steady rate, each stamped with t_capture = the moment just before its write() call, so a reader's
// age (probe --summary: arrival minus t_capture) is the hop alone: the transport, not the making of
// the frame. With --reserve, each frame is built in the output's reserve_payload() buffer (for
// shm://, the slot itself) before it is stamped and written.
//   rvkit-hop-writer --size 1280x720 --fps 30 --count 300 --out shm://bench & probe --in shm://bench --summary
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "rvkit/cli/option_parsers.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;

int main(int argc, char** argv) {
  std::string size = "640x480", fmt_name = "bgr8";
  double fps = 30;
  int count = 300;
  bool reserve = false;
  return run_tool(
      "rvkit-hop-writer", argc, argv, "Writes frames stamped at write time (a benchmark helper).",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_output(app);
        app.add_option("--size", size, "Frame size WxH")->capture_default_str();
        app.add_option("--fmt", fmt_name, "gray8 or bgr8")->capture_default_str();
        app.add_option("--fps", fps, "Frames per second")->capture_default_str();
        app.add_option("--count", count, "Frames to write")->capture_default_str();
        app.add_flag("--reserve", reserve, "Build each frame in the output's reserved buffer (shm://: its slot)");
        return [&]() -> int {
          FrameSize fs = parse_frame_size("--size", size);
          const int w = fs.width, h = fs.height;
          auto out = open_output(common.out, common.output_options());
          FrameInfo f;
          f.cam = "hop";
          f.w = w;
          f.h = h;
          f.fmt = fmt_name == "gray8" ? PixelFormat::Gray8 : PixelFormat::Bgr8;
          f.stride = int64_t(w) * channels(f.fmt);
          f.bytes = uint64_t(f.stride) * uint64_t(h);
          std::vector<uint8_t> own(f.bytes);
          const int64_t period = int64_t(1e6 / fps);
          int64_t next = mono_us();
          for (int i = 0; i < count && !stop_requested(); ++i) {
            int64_t wait = next - mono_us();
            if (wait > 0) usleep(useconds_t(wait));
            next += period;
            uint8_t* p = reserve ? out->reserve_payload(f.bytes) : own.data();
            std::memset(p, i & 0xff, f.bytes);  // the frame being made: not part of the hop
            f.seq = i;
            f.t_capture = now_us();
            if (!out->write(make_frame_header(f), p, f.bytes)) break;
          }
          return 0;
        };
      });
}
