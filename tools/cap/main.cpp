// cap: frames from a camera, an IP camera, files, or a synthetic test pattern.
//
//   cap --test-pattern --count 100 | probe --summary
//   cap --cam 0 --size 1280x720 --fps 30 --fourcc MJPG --fmt jpeg | stream
//   cap --file match.mp4 --realtime | detect ...
#include <cstdio>

#include <fmt/format.h>

#include "rvkit/capture/encoder.hpp"
#include "rvkit/capture/pump.hpp"
#include "rvkit/capture/source.hpp"
#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"

namespace {

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
  std::string optics = "sharp";
  std::vector<double> lens;
  rvkit::SourceOptions src;
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
        app.add_option("--speed", o.src.speed, "Recorded streams with --realtime: replay this many times as fast")
            ->check(CLI::Range(0.01, 100.0))->capture_default_str();
        app.add_option("--from", o.src.from_s, "Recorded streams: start this many seconds into the recording")->check(CLI::Range(0.0, 1e7));
        app.add_option("--to", o.src.to_s, "Recorded streams: end this many seconds into the recording")->check(CLI::Range(0.0, 1e7));
        app.add_option("--only-cam", o.src.only_cam, "Recorded streams: only this camera's frames and records (and records of no camera)");
        app.add_flag("--now", o.src.restamp, "Recorded streams: re-stamp t_capture to the present (for tools that reject old frames)");
        app.add_option("--seed", o.src.seed, "Test pattern: scene seed")->capture_default_str();
        app.add_option("--tags", o.src.tags, "Test pattern: number of tags")->check(CLI::Range(0, 32))->capture_default_str();
        app.add_option("--optics", o.optics,
                       "Test pattern: sharp (tags as exact bitmaps, the default) or camera (area-sampled, blurred, noisy, "
                       "JPEG, over clutter: a real camera's image formation)")
            ->check(CLI::IsMember({"sharp", "camera"}))
            ->capture_default_str();
        app.add_flag("--truth", o.src.truth, "Test pattern: add the exact tag corners and poses to each frame header ('truth')");
        app.add_option("--lens", o.lens, "Test pattern with --optics camera: a lens distortion K1,K2,P1,P2[,K3] "
                                        "(OpenCV's model; --write-calib writes it), e.g. --lens=-0.25,0.08,0,0,-0.01")
            ->delimiter(',')->expected(4, 5);
        app.add_option("--write-calib", o.write_calib,
                       "Test pattern: also write its camera's exact calibration to FILE (.yaml, .json or .xml) for detect --calib");
        app.footer(
            "Live sources (cameras, IP cameras, a paced test pattern) drop old frames when downstream is slower, so\n"
            "the frame written is always the newest; recorded sources never drop (over ZeroMQ they wait for their\n"
            "subscribers: --lossless is implied). See cap(1) and docs/protocol.md.");
        return [&]() -> int {
          o.src.verbose = common.verbose > 0;
          if (o.src.speed != 1 && !o.src.realtime) throw rvkit::OptionError("--speed: paces a --realtime replay; give --realtime");
          if (o.src.to_s >= 0 && o.src.to_s <= o.src.from_s) throw rvkit::OptionError("--to: must be after --from");
          if (o.file.empty() && (o.src.speed != 1 || o.src.from_s > 0 || o.src.to_s >= 0 || !o.src.only_cam.empty() || o.src.restamp))
            throw rvkit::OptionError("--speed, --from, --to, --only-cam and --now replay recorded rvkit streams: give --file");
          o.src.camera_optics = o.optics == "camera";
          o.src.lens = o.lens;
          if (!o.lens.empty() && !o.src.camera_optics)
            throw rvkit::OptionError("--lens: the lens is part of the camera optics; add --optics camera");
          if (o.optics != "sharp" && !o.test_pattern) throw rvkit::OptionError("--optics: only the test pattern has optics; use it with --test-pattern");
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
          rvkit::CaptureEncoderOptions eo;
          eo.cam = name;
          if (o.fmt != "auto") eo.format = rvkit::parse_pixel_format(o.fmt);
          eo.quality = o.quality;
          if (!o.size.empty()) eo.width = o.size.width, eo.height = o.size.height;  // files, IP cameras: resized here
          rvkit::CaptureEncoder enc(eo);
          rvkit::Stats stats(name.empty() ? o.file : name, common.verbose > 0);
          rvkit::PumpOptions po;
          po.count = o.count > 0 ? o.count : -1;  // --count 0: no limit
          // A recorded source is lossless end to end: over ZeroMQ too, it waits for its subscribers
          // and never drops (docs/protocol.md "Lossless streams").
          rvkit::OutputOptions out_options = common.output_options();
          if (!src->live()) out_options.lossless = true;
          rvkit::pump(*src, rvkit::open_output(common.out, out_options), enc, stats, po);
          return 0;
        };
      });
}
