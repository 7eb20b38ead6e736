// rvkit stream: the cameras and their JPEG encodings.
//
// The reader thread hands each frame to its Camera (push(): a pointer swap in a newest-wins cell,
// rvkit/core/latest.hpp, never blocked by clients). Every camera has its own encoder thread that
// takes the newest frame and produces one JPEG per *variant* (resolution x quality) that some
// client asked for: each variant is encoded once per frame and the same bytes go to every client
// of that variant. JPEG input that needs no change passes through untouched. Finished encodings
// are handed to a callback (the HTTP server posts them to its event loop).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rvkit/core/latest.hpp"
#include "rvkit/core/message.hpp"

namespace rvkit::mjpeg {

// The multipart boundary: the one mjpg-streamer and cscore use, which some clients expect.
constexpr const char* kBoundary = "boundarydonotcross";

// What a client gets: a size and a JPEG quality. w = h = 0 is the camera's own size (one 0
// keeps the aspect ratio); quality -1 passes JPEG input through, or encodes raw input at the
// server's default quality.
struct VariantKey {
  int w = 0, h = 0;
  int quality = -1;
  bool operator<(const VariantKey& o) const {
    return w != o.w ? w < o.w : h != o.h ? h < o.h : quality < o.quality;
  }
  bool operator==(const VariantKey& o) const { return w == o.w && h == o.h && quality == o.quality; }
  bool operator!=(const VariantKey& o) const { return !(*this == o); }
};

// One encoded frame, shared read-only by every client that sends it.
struct EncodedFrame {
  int64_t seq = 0;
  int64_t t_capture = 0;   // µs since the Unix epoch
  int w = 0, h = 0;
  int quality = -1;        // -1: the camera's JPEG, passed through
  std::string part_header; // "--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: N\r\nX-Timestamp: S\r\n\r\n"
  std::vector<uint8_t> jpeg;
};
using EncodedPtr = std::shared_ptr<const EncodedFrame>;

// X-Timestamp as cscore writes it: the capture time in seconds ("1712345678.123456").
std::string x_timestamp(int64_t t_capture_us);

// Encodes `frame` for `key` (`default_quality` for raw input when key.quality < 0).
// Throws rvkit::Error when a JPEG payload does not decode.
EncodedPtr encode_variant(const Message& frame, const VariantKey& key, int default_quality);
// The size a variant has for a w x h camera (scaled down to fit it, never up).
void variant_size(const VariantKey& key, int cam_w, int cam_h, int& w, int& h);

struct CameraStats {
  std::string name;
  int w = 0, h = 0;
  std::string fmt;
  double fps = 0;            // measured over the last second or so
  uint64_t frames = 0;       // received
  uint64_t bytes = 0;        // received payload bytes
  uint64_t encoded = 0;      // JPEG encodings made (a pass-through counts as none)
  uint64_t skipped = 0;      // frames the encoder never saw because a newer one came first
  double encode_ms = 0;      // average time to produce a frame's variants
  int64_t seq = -1;          // of the newest frame
  int64_t t_capture = 0;     // of the newest frame
  int64_t last_frame_mono_us = 0;
  int variants = 0;          // with subscribers
};

class Camera {
 public:
  // results: (variant, encoding) pairs made from one frame, in the encoder thread.
  using Deliver = std::function<void(const std::string& cam, std::vector<std::pair<VariantKey, EncodedPtr>> results)>;

  Camera(std::string name, int default_quality, int max_variants, Deliver deliver);
  ~Camera();
  Camera(const Camera&) = delete;
  Camera& operator=(const Camera&) = delete;

  const std::string& name() const { return name_; }

  // Reader thread: hands over a frame (already validated) and returns a message whose
  // buffers can be reused for the next read (never null).
  std::unique_ptr<Message> push(std::unique_ptr<Message> frame);

  // Event loop: a client starts/stops wanting `key`. subscribe() is false when the camera
  // already has max_variants different variants in use.
  bool subscribe(const VariantKey& key);
  void unsubscribe(const VariantKey& key);
  // Asks for `key` of the newest frame now (a snapshot, or a new client's first frame);
  // answered through Deliver, at once when it is already encoded.
  void request(const VariantKey& key);

  CameraStats stats() const;
  // Stops and joins the encoder thread (also done by the destructor).
  void stop();

 private:
  void run();

  const std::string name_;
  const int default_quality_;
  const size_t max_variants_;
  Deliver deliver_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // The newest frame not yet taken by the encoder; when empty, it holds the encoder's previous
  // frame, which push() hands back to the reader for reuse.
  LatestCell<std::unique_ptr<Message>> latest_;
  std::map<VariantKey, int> subscribers_;
  std::vector<VariantKey> requests_;
  std::map<VariantKey, EncodedPtr> last_;  // newest encoding of each variant in use
  CameraStats stats_;
  uint64_t window_frames_ = 0;
  int64_t window_start_us_ = 0;

  std::unique_ptr<Message> current_;  // the frame being encoded (encoder thread only)
  std::thread thread_;
};

// All cameras, in the order they appeared.
class CameraHub {
 public:
  using Added = std::function<void(const std::shared_ptr<Camera>&)>;
  CameraHub(int default_quality, int max_variants, int max_cameras, Camera::Deliver deliver);
  ~CameraHub();

  // Reader thread: the camera for `name`, created (and `added` called) on first sight.
  // Null when there are already max_cameras cameras.
  std::shared_ptr<Camera> get_or_create(const std::string& name, const Added& added);
  std::shared_ptr<Camera> find(const std::string& name) const;
  std::shared_ptr<Camera> first() const;
  std::vector<std::shared_ptr<Camera>> all() const;
  void stop();

 private:
  int default_quality_, max_variants_;
  size_t max_cameras_;
  Camera::Deliver deliver_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Camera>> cams_;
};

}  // namespace rvkit::mjpeg
