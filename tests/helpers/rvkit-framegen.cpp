// rvkit-framegen: a test helper that writes synthetic frames (a moving pattern) in real time.
// Used by stream's tests and benchmark until `cap --test-pattern` is available.
//   rvkit-framegen --cam a --cam b@320x240 --size 640x480 --fps 30 --frames 90 --fmt jpeg
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/cli.hpp"
#include "rvkit/clock.hpp"
#include "rvkit/frame.hpp"
#include "rvkit/mjpeg/request.hpp"
#include "rvkit/signals.hpp"
#include "rvkit/transport.hpp"

using namespace rvkit;

int main(int argc, char** argv) {
  std::vector<std::string> cams;
  std::string size = "640x480", fmt_name = "bgr8";
  double fps = 30, seconds = 0;
  int64_t frames = 0;
  int quality = 85;
  std::string save_dir;
  return run_tool(
      "rvkit-framegen", argc, argv, "Writes synthetic frames in real time (a test helper).",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_output(app);
        app.add_option("--cam", cams, "Camera NAME or NAME@WxH (repeat for several cameras; default cam0)");
        app.add_option("--size", size, "WIDTHxHEIGHT")->capture_default_str();
        app.add_option("--fps", fps, "Frames per second per camera (0: as fast as possible)")->capture_default_str();
        app.add_option("--frames", frames, "Frames per camera, then stop (0: no limit)")->capture_default_str();
        app.add_option("--seconds", seconds, "Stop after this many seconds (0: no limit)")->capture_default_str();
        app.add_option("--fmt", fmt_name, "bgr8, gray8 or jpeg")->capture_default_str();
        app.add_option("--quality", quality, "JPEG quality for --fmt jpeg")->capture_default_str();
        app.add_option("--save", save_dir, "Also write each distinct payload to DIR/CAM-I.FMT");
        return [&]() -> int {
          int w0 = 0, h0 = 0;
          if (!mjpeg::parse_resolution(size, w0, h0) || w0 <= 0 || h0 <= 0) throw Error("bad --size " + size);
          auto pf = parse_pixel_format(fmt_name);
          if (!pf) throw Error("bad --fmt " + fmt_name);
          if (cams.empty()) cams.push_back("cam0");
          auto out = open_output(common.out);
          // A cycle of pre-rendered frames per camera keeps the generator itself cheap.
          constexpr int kCycle = 30;
          std::vector<std::vector<Message>> pre(cams.size());
          for (size_t c = 0; c < cams.size(); ++c) {
            int w = w0, h = h0;
            if (auto at = cams[c].find('@'); at != std::string::npos) {
              if (!mjpeg::parse_resolution(cams[c].substr(at + 1), w, h) || w <= 0 || h <= 0)
                throw Error("bad --cam " + cams[c]);
              cams[c].resize(at);
            }
            for (int i = 0; i < kCycle; ++i) {
              cv::Mat img(h, w, CV_8UC3);
              for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                  img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(x * 255 / w), uint8_t(y * 255 / h), uint8_t(80 + 60 * c));
              int bx = (w - w / 5) * i / (kCycle - 1);
              cv::rectangle(img, cv::Rect(bx, h / 3, w / 5, h / 3), cv::Scalar(255, 255, 255), cv::FILLED);
              cv::putText(img, fmt::format("{} {}", cams[c], i), cv::Point(10, h - 20), cv::FONT_HERSHEY_SIMPLEX,
                          std::max(0.5, h / 480.0), cv::Scalar(0, 0, 0), 2);
              FrameInfo info;
              info.cam = cams[c];
              Message& m = pre[c].emplace_back();
              mat_to_frame(img, *pf, info, m, quality);
              if (!save_dir.empty()) {
                std::string path = fmt::format("{}/{}-{}.{}", save_dir, cams[c], i, to_string(*pf));
                FILE* f = std::fopen(path.c_str(), "wb");
                if (!f) throw Error("cannot write " + path);
                std::fwrite(m.payload.data(), 1, m.payload.size(), f);
                std::fclose(f);
              }
            }
          }
          int64_t start = mono_us();
          int64_t period = fps > 0 ? int64_t(1e6 / fps) : 0;
          for (int64_t n = 0; frames == 0 || n < frames; ++n) {
            if (stop_requested()) break;
            if (seconds > 0 && mono_us() - start > int64_t(seconds * 1e6)) break;
            if (period) {
              int64_t due = start + n * period, now = mono_us();
              if (due > now) std::this_thread::sleep_for(std::chrono::microseconds(due - now));
            }
            for (size_t c = 0; c < cams.size(); ++c) {
              Message& m = pre[c][size_t(n % kCycle)];
              m.header["seq"] = n;
              m.header["t_capture"] = now_us();
              if (!out->write(m)) return 0;
            }
          }
          return 0;
        };
      });
}
