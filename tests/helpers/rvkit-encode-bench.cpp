// rvkit-encode-bench: a benchmark helper that measures JPEG encoding alone, as stream does it
// for raw frames (cv::imencode), on the frames it reads, and prints JSON: CPU ms per frame and
// the share of one core that costs at --fps.
//   cap --test-pattern --size 1280x720 --fps 0 --count 150 | rvkit-encode-bench
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;

namespace {
double thread_cpu_ms() { return double(thread_cpu_us()) / 1e3; }
}  // namespace

int main(int argc, char** argv) {
  int quality = 80;
  double fps = 30;
  return run_tool(
      "rvkit-encode-bench", argc, argv, "Measures JPEG encoding alone on the frames it reads (a benchmark helper).",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        app.add_option("--quality", quality, "JPEG quality")->capture_default_str();
        app.add_option("--fps", fps, "Frame rate the CPU share is computed for")->capture_default_str();
        return [&]() -> int {
          auto in = open_input(common.in, common.input_options());
          Message m;
          std::vector<uchar> out;
          double cpu_ms = 0;
          size_t frames = 0, bytes = 0;
          int w = 0, h = 0;
          while (in->read(m)) {
            if (!m.is_frame()) continue;
            cv::Mat img = frame_to_mat(m, PixelFormat::Bgr8);
            double t0 = thread_cpu_ms();
            cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, quality});
            if (frames > 0) cpu_ms += thread_cpu_ms() - t0;  // the first one warms up
            bytes += out.size();
            w = img.cols, h = img.rows;
            ++frames;
          }
          if (frames < 2) throw Error("need at least 2 frames on the input");
          double ms = cpu_ms / double(frames - 1);
          fmt::print("{{\"w\":{},\"h\":{},\"quality\":{},\"frames\":{},\"ms_per_frame\":{:.2f},\"bytes_per_frame\":{},"
                     "\"cpu_percent_at_fps\":{:.1f},\"fps\":{}}}\n",
                     w, h, quality, frames, ms, bytes / frames, ms * fps / 10, fps);
          return 0;
        };
      });
}
