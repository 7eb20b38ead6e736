// rvkit-encode-bench: a benchmark helper that measures JPEG encoding alone (cv::imencode, as
// stream does for raw frames) and prints JSON: ms per frame and the CPU share at --fps.
#include <chrono>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/cli.hpp"
#include "rvkit/mjpeg/request.hpp"

using namespace rvkit;

int main(int argc, char** argv) {
  std::string size = "1280x720";
  int frames = 100, quality = 80;
  double fps = 30;
  return run_tool(
      "rvkit-encode-bench", argc, argv, "Measures JPEG encoding alone (a benchmark helper).",
      [&](CLI::App& app, CommonOptions&) {
        app.add_option("--size", size, "WIDTHxHEIGHT")->capture_default_str();
        app.add_option("--frames", frames, "Frames to encode")->capture_default_str();
        app.add_option("--quality", quality, "JPEG quality")->capture_default_str();
        app.add_option("--fps", fps, "Frame rate the CPU share is computed for")->capture_default_str();
        return [&]() -> int {
          int w = 0, h = 0;
          if (!mjpeg::parse_resolution(size, w, h) || w <= 0 || h <= 0) throw Error("bad --size " + size);
          std::vector<cv::Mat> imgs;
          for (int i = 0; i < 10; ++i) {  // the same kind of picture rvkit-framegen makes
            cv::Mat img(h, w, CV_8UC3);
            for (int y = 0; y < h; ++y)
              for (int x = 0; x < w; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(x * 255 / w), uint8_t(y * 255 / h), 80);
            cv::rectangle(img, cv::Rect((w - w / 5) * i / 9, h / 3, w / 5, h / 3), cv::Scalar(255, 255, 255), cv::FILLED);
            cv::putText(img, fmt::format("cam0 {}", i), cv::Point(10, h - 20), cv::FONT_HERSHEY_SIMPLEX, h / 480.0,
                        cv::Scalar(0, 0, 0), 2);
            imgs.push_back(img);
          }
          std::vector<uchar> out;
          cv::imencode(".jpg", imgs[0], out, {cv::IMWRITE_JPEG_QUALITY, quality});  // warm up
          size_t bytes = 0;
          std::clock_t c0 = std::clock();
          auto t0 = std::chrono::steady_clock::now();
          for (int i = 0; i < frames; ++i) {
            cv::imencode(".jpg", imgs[size_t(i) % imgs.size()], out, {cv::IMWRITE_JPEG_QUALITY, quality});
            bytes += out.size();
          }
          double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
          double ms = cpu * 1000 / frames;
          fmt::print("{{\"size\":\"{}\",\"quality\":{},\"frames\":{},\"ms_per_frame\":{:.2f},\"wall_ms_per_frame\":{:.2f},"
                     "\"bytes_per_frame\":{},\"cpu_percent_at_fps\":{:.1f},\"fps\":{}}}\n",
                     size, quality, frames, ms, wall * 1000 / frames, bytes / size_t(frames), ms * fps / 10, fps);
          return 0;
        };
      });
}
