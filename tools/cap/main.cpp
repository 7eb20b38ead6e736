// cap: frames from a camera, an IP camera, files, or a synthetic test pattern.
//
//   cap --test-pattern --count 100 | probe --summary
//   cap --cam 0 --size 1280x720 --fps 30 --fourcc MJPG --fmt jpeg | stream
//   cap --file match.mp4 --realtime | detect ...
#include <chrono>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fmt/format.h>

#include "rvkit/capture/source.hpp"
#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/core/latest.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"

namespace {

struct Captured {
  rvkit::CapturedFrame f;
  int64_t seq = 0;
};

struct CapOptions {
  bool test_pattern = false;
  std::string file, cam, url;
  std::string name;
  int64_t count = 0;  // 0: no limit
  std::string fmt = "auto";
  int quality = rvkit::kDefaultJpegQuality;
  rvkit::FrameSize size;
  double fps = -1;
  std::string write_calib;
  rvkit::SourceOptions src;
};

// Turns a captured frame into the message to write, in the wanted format.
class Encoder {
 public:
  Encoder(const CapOptions& o, std::string name) : o_(o), name_(std::move(name)) {
    if (o.fmt != "auto") want_ = *rvkit::parse_pixel_format(o.fmt);
    rw_ = o.size.width;
    rh_ = o.size.height;
  }

  // Returns false when the item is a record to pass through without counting as a frame.
  void encode(Captured& c, rvkit::Message& out) {
    rvkit::CapturedFrame& f = c.f;
    if (f.is_message) {
      if (!name_.empty() && f.message.header.contains("cam")) f.message.header["cam"] = name_;
      if (!want_ || !f.message.is_frame()) {
        std::swap(out.header, f.message.header);
        std::swap(out.payload, f.message.payload);
        return;
      }
      rvkit::FrameInfo info = rvkit::frame_info(f.message.header);
      if (info.fmt == *want_ && rw_ == 0) {
        std::swap(out.header, f.message.header);
        std::swap(out.payload, f.message.payload);
        return;
      }
      cv::Mat img = rvkit::frame_to_mat(f.message, *want_ == rvkit::PixelFormat::Gray8 ? rvkit::PixelFormat::Gray8
                                                                                          : rvkit::PixelFormat::Bgr8);
      rvkit::Json keep = f.message.header;
      rvkit::mat_to_frame(resized(img), *want_, info, out, o_.quality);
      for (auto& [k, v] : keep.items())
        if (!out.header.contains(k)) out.header[k] = v;
      return;
    }
    rvkit::FrameInfo info;
    info.cam = name_;
    info.seq = c.seq;
    info.t_capture = f.t_capture;
    if (!f.jpeg.empty()) {
      if ((!want_ || *want_ == rvkit::PixelFormat::Jpeg) && rw_ == 0) {
        rvkit::jpeg_to_frame(f.jpeg.data(), f.jpeg.size(), f.w, f.h, info, out);  // untouched
      } else {
        cv::Mat img = cv::imdecode(cv::Mat(1, int(f.jpeg.size()), CV_8UC1, f.jpeg.data()), cv::IMREAD_COLOR);
        if (img.empty()) throw rvkit::Error(fmt::format("{}: the camera delivered a JPEG that does not decode", name_));
        rvkit::mat_to_frame(resized(img), want_.value_or(rvkit::PixelFormat::Bgr8), info, out, o_.quality);
      }
    } else {
      rvkit::PixelFormat fmt = want_.value_or(f.image.channels() == 1 ? rvkit::PixelFormat::Gray8 : rvkit::PixelFormat::Bgr8);
      rvkit::mat_to_frame(resized(f.image), fmt, info, out, o_.quality);
    }
    if (f.extra.is_object())
      for (auto& [k, v] : f.extra.items()) out.header[k] = v;
  }

 private:
  cv::Mat resized(const cv::Mat& img) {
    if (rw_ == 0 || (img.cols == rw_ && img.rows == rh_)) return img;
    cv::Mat r;
    cv::resize(img, r, cv::Size(rw_, rh_), 0, 0, cv::INTER_AREA);
    return r;
  }
  const CapOptions& o_;
  std::string name_;
  std::optional<rvkit::PixelFormat> want_;
  int rw_ = 0, rh_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CapOptions o;
  return rvkit::run_tool(
      "cap", argc, argv,
      "Capture frames from a USB camera, an IP camera, video or image files, or a synthetic test pattern, "
      "and write them as an rvkit stream.",
      [&](CLI::App& app, rvkit::CommonOptions& common) -> rvkit::ToolBody {
        auto* g = app.add_option_group("source", "Where frames come from (exactly one)");
        g->add_flag("--test-pattern", o.test_pattern, "A deterministic synthetic scene: moving 36h11 tags, a coloured blob, counter and time");
        g->add_option("--cam", o.cam, "A V4L2 camera: N or /dev/videoN");
        g->add_option("--url", o.url, "An IP camera: MJPEG over HTTP (http://...) or RTSP (rtsp://...)");
        g->add_option("--file", o.file, "A video file, an image, an image glob ('img/*.png'), a directory of images, or a recorded rvkit stream");
        g->require_option(1);
        common.add_output(app);
        app.add_option("--name", o.name, "Camera name written as 'cam' (default: cam0 for /dev/video0, the file name, 'test', 'ipcam')");
        rvkit::add_count_option(app, o.count, "Frames");
        app.add_option("--fmt", o.fmt, "Output format: gray8, bgr8, jpeg, or auto (bgr8; JPEG cameras' frames and recorded streams as they are)")
            ->check(CLI::IsMember({"auto", "gray8", "bgr8", "jpeg"}))
            ->capture_default_str();
        rvkit::add_quality_option(app, o.quality);
        rvkit::add_size_option(app, o.size, "Frame size (camera mode, test-pattern size, or resize for files)");
        app.add_option("--fps", o.fps, "Frame rate: camera mode; test pattern (default 30; 0 = as fast as the consumer takes); image files with --realtime");
        app.add_option("--fourcc", o.src.fourcc, "Camera pixel format: MJPG or YUYV");
        app.add_option("--exposure", o.src.exposure, "Camera exposure: auto, or a V4L2 exposure value")->capture_default_str();
        app.add_flag("--loop", o.src.loop, "Files: start again at the end");
        app.add_flag("--realtime", o.src.realtime, "Files: pace frames by the file's timing (default: as fast as the consumer takes)");
        app.add_option("--seed", o.src.seed, "Test pattern: scene seed")->capture_default_str();
        app.add_option("--tags", o.src.tags, "Test pattern: number of tags")->check(CLI::Range(0, 32))->capture_default_str();
        app.add_flag("--truth", o.src.truth, "Test pattern: add the exact tag corners and poses to each frame header ('truth')");
        app.add_option("--write-calib", o.write_calib,
                       "Test pattern: also write its camera's exact calibration to FILE (.yaml, .json or .xml) for detect --calib");
        app.footer(
            "Live sources (cameras, IP cameras, a paced test pattern) drop old frames when downstream is slower, so\n"
            "the frame written is always the newest; recorded sources never drop. See cap(1) and docs/protocol.md.");
        return [&]() -> int {
          o.src.verbose = common.verbose > 0;
          o.src.want_jpeg = o.fmt == "jpeg" || o.fmt == "auto";
          o.src.width = o.size.width;
          o.src.height = o.size.height;
          std::unique_ptr<rvkit::Source> src;
          if (!o.write_calib.empty() && !o.test_pattern)
            throw rvkit::OptionError("--write-calib: only the test pattern's camera is known exactly; use it with --test-pattern");
          if (o.test_pattern) {
            if (!o.write_calib.empty()) rvkit::write_test_pattern_calibration(o.src, o.write_calib);
            o.src.fps = o.fps < 0 ? 30 : o.fps;
            o.size = {};  // rendered at that size already
            src = rvkit::open_test_pattern(o.src);
          } else {
            o.src.fps = std::max(0.0, o.fps);
            if (!o.cam.empty()) {
              src = rvkit::open_camera(o.cam, o.src);
              o.size = {};  // asked of the camera
            } else if (!o.url.empty()) {
              src = rvkit::open_url(o.url, o.src);
            } else {
              src = rvkit::open_files(o.file, o.src);
            }
          }
          std::string name = o.name.empty() ? src->default_name() : o.name;
          auto out = rvkit::open_output(common.out);
          Encoder enc(o, name);
          rvkit::Stats stats(name.empty() ? o.file : name, common.verbose > 0);
          rvkit::Message msg;
          int64_t frames = 0;
          auto emit = [&](Captured& c) -> bool {
            enc.encode(c, msg);
            if (!out->write(msg)) return false;
            if (msg.is_frame()) {
              ++frames;
              stats.add(msg.payload.size() + 1);
            }
            stats.report();
            return o.count == 0 || frames < o.count;
          };

          if (!src->live()) {
            Captured c;
            while (src->grab(c.f)) {
              if (!emit(c)) break;
              if (!c.f.is_message) ++c.seq;
            }
            return 0;
          }

          // Live: a capture thread keeps grabbing; we write the newest frame whenever the
          // consumer is ready for one, and the frames it never took count as dropped.
          rvkit::LatestSlot<Captured> slot;
          std::atomic<bool> done{false};
          std::exception_ptr failure;
          std::atomic<bool> capture_ended{false};
          std::thread capture = rvkit::start_worker([&] {
            Captured c;
            int64_t seq = 0;
            try {
              while (!done && !rvkit::stop_requested() && src->grab(c.f)) {
                c.seq = seq++;
                slot.put(c);
              }
            } catch (...) {
              failure = std::current_exception();
            }
            slot.close();
            capture_ended = true;
          });
          Captured c;
          uint64_t reported_drops = 0;
          while (!rvkit::stop_requested()) {
            if (!out->wait_consumer_ready()) break;
            if (!slot.take(c, std::chrono::milliseconds(100))) {
              if (slot.closed()) break;
              stats.report();
              continue;
            }
            uint64_t d = slot.dropped();
            if (d > reported_drops) stats.drop(d - reported_drops), reported_drops = d;
            if (!emit(c)) break;
          }
          done = true;
          rvkit::request_stop();  // wakes the capture thread out of any retry wait
          // A device read can block for seconds (a camera that stopped answering): do not
          // make Ctrl-C wait for it.
          for (int i = 0; i < 100 && !capture_ended; ++i) usleep(10000);
          if (!capture_ended) {
            out.reset();
            std::fflush(nullptr);
            std::_Exit(failure ? 1 : 0);
          }
          capture.join();
          if (failure) std::rethrow_exception(failure);
          return 0;
        };
      });
}
