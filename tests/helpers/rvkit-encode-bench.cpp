// rvkit-encode-bench: a benchmark helper that measures JPEG encoding and decoding alone on the
// frames it reads, through OpenCV (cv::imencode/imdecode) and through rvkit's TurboJPEG codec
// (rvkit/image/jpeg.hpp, what stream, cap and the decoders use), and prints JSON: CPU ms per
// frame of each, the bytes per frame, and the share of one core rvkit's encoding costs at --fps.
//   cap --test-pattern --size 1280x720 --fps 0 --count 150 | rvkit-encode-bench
// Every measurement is the calling thread's CPU time, the first frame left out (warm-up); OpenCV
// and TurboJPEG take turns going first.
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/image/jpeg.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;

namespace {
double thread_cpu_ms() { return double(thread_cpu_us()) / 1e3; }
}  // namespace

int main(int argc, char** argv) {
  int quality = 80;
  double fps = 30;
  return run_tool(
      "rvkit-encode-bench", argc, argv,
      "Measures JPEG encoding and decoding alone on the frames it reads (a benchmark helper).",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        app.add_option("--quality", quality, "JPEG quality")->capture_default_str();
        app.add_option("--fps", fps, "Frame rate the CPU share is computed for")->capture_default_str();
        return [&]() -> int {
          auto in = open_input(common.in, common.input_options());
          Message m;
          std::vector<uchar> cv_out;
          std::vector<uint8_t> tj_out;
          // name -> total CPU ms (frames after the first), in the order first measured
          std::vector<std::pair<std::string, double>> ms;
          auto timed = [&](const std::string& name, bool count, const std::function<void()>& fn) {
            auto it = std::find_if(ms.begin(), ms.end(), [&](const auto& p) { return p.first == name; });
            if (it == ms.end()) it = ms.emplace(ms.end(), name, 0.0);
            double t0 = thread_cpu_ms();
            fn();
            if (count) it->second += thread_cpu_ms() - t0;
          };
          // Runs a and b, in turns first (whichever runs first reads the frame from memory).
          auto pair = [](size_t frame, const std::function<void()>& a, const std::function<void()>& b) {
            if (frame % 2) b(), a();
            else a(), b();
          };
          size_t frames = 0, cv_bytes = 0, tj_bytes = 0;
          int w = 0, h = 0;
          bool same_bytes = true;
          while (in->read(m)) {
            if (!m.is_frame()) continue;
            cv::Mat img = frame_to_mat(m, PixelFormat::Bgr8);
            bool c = frames > 0;
            pair(frames, [&] { timed("encode_opencv", c, [&] { cv::imencode(".jpg", img, cv_out, {cv::IMWRITE_JPEG_QUALITY, quality}); }); },
                 [&] { timed("encode_turbojpeg", c, [&] { encode_jpeg(img, quality, tj_out); }); });
            same_bytes = same_bytes && cv_out.size() == tj_out.size() &&
                         std::equal(cv_out.begin(), cv_out.end(), tj_out.begin());
            const uint8_t* j = tj_out.data();
            size_t n = tj_out.size();
            cv::Mat jm(1, int(n), CV_8UC1, const_cast<uint8_t*>(j));
            cv::Mat sink;
            pair(frames, [&] { timed("decode_bgr_opencv", c, [&] { sink = cv::imdecode(jm, cv::IMREAD_COLOR); }); },
                 [&] { timed("decode_bgr_turbojpeg", c, [&] { sink = decode_jpeg(j, n, false); }); });
            pair(frames, [&] { timed("decode_gray_opencv", c, [&] { sink = cv::imdecode(jm, cv::IMREAD_GRAYSCALE); }); },
                 [&] { timed("decode_gray_turbojpeg", c, [&] { sink = decode_jpeg(j, n, true); }); });
            timed("decode_bgr_half_turbojpeg", c, [&] { sink = decode_jpeg(j, n, false, 2); });
            timed("decode_bgr_quarter_turbojpeg", c, [&] { sink = decode_jpeg(j, n, false, 4); });
            timed("header_turbojpeg", c, [&] { (void)read_jpeg_header(j, n); });
            cv_bytes += cv_out.size();
            tj_bytes += tj_out.size();
            w = img.cols, h = img.rows;
            ++frames;
          }
          if (frames < 2) throw Error("need at least 2 frames on the input");
          std::string times;
          double enc_ms = 0;
          for (const auto& [name, total] : ms) {
            double per = total / double(frames - 1);
            if (name == "encode_turbojpeg") enc_ms = per;
            times += fmt::format("{}\"{}\":{:.3f}", times.empty() ? "" : ",", name, per);
          }
          fmt::print("{{\"w\":{},\"h\":{},\"quality\":{},\"frames\":{},\"ms_per_frame\":{:.2f},\"bytes_per_frame\":{},"
                     "\"opencv_bytes_per_frame\":{},\"same_bytes_as_opencv\":{},"
                     "\"cpu_percent_at_fps\":{:.1f},\"fps\":{},\"ms\":{{{}}}}}\n",
                     w, h, quality, frames, enc_ms, tj_bytes / frames, cv_bytes / frames, same_bytes ? "true" : "false",
                     enc_ms * fps / 10, fps, times);
          return 0;
        };
      });
}
