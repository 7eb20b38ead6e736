// rvkit: frame sources for `cap` (cameras, IP cameras, files, the test pattern).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/core/message.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit {

// One captured frame, before it is encoded into a message.
struct CapturedFrame {
  cv::Mat image;         // BGR (CV_8UC3) or gray (CV_8UC1); empty when `jpeg` holds the frame
  Buffer jpeg;           // compressed frame passed through untouched (camera MJPEG)
  int w = 0, h = 0;      // size of the frame (also for jpeg)
  int64_t t_capture = 0; // µs since the Unix epoch, as close to exposure as the source allows
  Json extra;            // extra header fields (e.g. test-pattern ground truth), or null
  // A whole message read from a recorded rvkit stream (passed on as recorded).
  bool is_message = false;
  Message message;
};

struct SourceOptions {
  std::string name;            // camera name for the `cam` field ("" = derive from the source)
  int width = 0, height = 0;   // requested size (0 = the source's own)
  double fps = 0;              // requested rate (test pattern: 0 = as fast as the consumer takes)
  std::string fourcc;          // V4L2 pixel format: MJPG or YUYV ("" = driver default)
  std::string exposure = "auto";
  bool want_jpeg = false;      // the consumer wants JPEG: pass camera MJPEG through when possible
  bool loop = false;           // files: start again at the end
  bool realtime = false;       // files: pace by the file's timing
  // Recorded rvkit streams (docs/rec.md): pace by arrival time `t_rec` when recorded (else frames by
  // t_capture), `speed` times as fast; only messages `from_s`..`to_s` seconds into the file (by the
  // same times; to_s < 0: to the end); only camera `only_cam`'s messages and those of no camera;
  // `restamp`: t_capture (and t_done) moved to the present, frames and their records alike.
  double speed = 1;
  double from_s = 0, to_s = -1;
  std::string only_cam;
  bool restamp = false;
  uint64_t seed = 1;           // test pattern
  int tags = 4;                // test pattern
  bool truth = false;          // test pattern: add the exact scene to each header
  bool camera_optics = false;  // test pattern: render like a camera (--optics camera, test_pattern_camera.hpp)
  std::vector<double> lens;    // test pattern with camera optics: lens distortion k1,k2,p1,p2[,k3] (--lens)
  bool verbose = false;        // also report when a device opens (reconnects are always reported)
};

class Source {
 public:
  virtual ~Source() = default;
  // Live sources (cameras, IP cameras, a paced test pattern) drop old frames when the
  // consumer is slower; recorded sources (files) never drop.
  virtual bool live() const = 0;
  // Blocks for the next frame. False at the end of a recorded source or on a stop request.
  // Live sources retry a lost device by themselves; only hopeless errors throw Error.
  virtual bool grab(CapturedFrame& f) = 0;
  // The default camera name ("cam0", "video", ...).
  virtual std::string default_name() const = 0;
  // Asks a grab() running in another thread to return soon (the end of a live capture,
  // rvkit/capture/pump.hpp). The sources here all watch the process-wide stop request, so this
  // requests the process's stop; a device read that blocks is not interrupted.
  virtual void cancel() { request_stop(); }
};

// Silences OpenCV's and FFmpeg's own logging (we print one clear line of our own instead).
// OPENCV_FFMPEG_LOGLEVEL / OPENCV_LOG_LEVEL set in the environment still win, for debugging.
void quiet_video_backends();

std::unique_ptr<Source> open_test_pattern(const SourceOptions& o);
// Writes the test pattern's virtual camera (for these options' size) as an OpenCV FileStorage
// calibration (camera_matrix, distortion_coefficients, image_width, image_height; OpenCV's pixel
// convention), so `detect --calib` gives exact poses of the synthetic scene. Throws rvkit::Error.
void write_test_pattern_calibration(const SourceOptions& o, const std::string& path);
std::unique_ptr<Source> open_camera(const std::string& device, const SourceOptions& o);  // "0" or /dev/videoN
std::unique_ptr<Source> open_url(const std::string& url, const SourceOptions& o);        // http(s)://, rtsp://
std::unique_ptr<Source> open_files(const std::string& path, const SourceOptions& o);     // video, image(s), stream

}  // namespace rvkit
