// rvkit capture: a captured frame turned into the message cap writes, in the wanted format and size.
//
// Camera MJPEG passes through untouched when JPEG is wanted (or any format is) at the camera's size:
// no decode, no re-encode. Anything else is converted once: decoded (JPEG through TurboJPEG,
// straight to grey when grey is wanted, and at 1/2, 1/4 or 1/8 inside the decoder when that is
// still at least the wanted size), resized (INTER_AREA) and encoded (JPEG at `quality`). Messages read from a recorded rvkit stream keep their header fields;
// a record (no payload) and a frame already in the wanted format and size pass through as they were,
// only `cam` renamed when a name is given. Not thread-safe: one encoder per writing thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "rvkit/capture/source.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/image/frame.hpp"

namespace rvkit {

// A camera frame whose JPEG does not decode (a truncated or corrupt MJPEG frame, common on a flaky
// link): the pump skips it, counted as dropped, with a warning.
class BadCameraFrame : public Error {
 public:
  using Error::Error;
};

struct CaptureEncoderOptions {
  std::string cam;                    // the `cam` of every frame; "" keeps a recorded stream's own
  std::optional<PixelFormat> format;  // none: as captured (bgr8 or gray8 images, JPEG as JPEG)
  int quality = 85;                   // JPEG quality when encoding
  int width = 0, height = 0;          // resize to this (0: as captured)
};

class CaptureEncoder {
 public:
  explicit CaptureEncoder(CaptureEncoderOptions o) : o_(std::move(o)) {}
  // Fills `out` from `f`, the `seq`-th frame of the source (ignored for recorded messages, which
  // keep theirs). Takes the buffers of `f` where it can (its message, its JPEG stays). Throws
  // BadCameraFrame when a camera's JPEG does not decode. A frame made here (converted, encoded or
  // a camera's JPEG) is built in `memory` when given (rvkit/image/frame.hpp: cap passes its output's
  // reserve_payload(), so a shm:// slot); a recorded message passed through keeps its own buffer.
  void encode(CapturedFrame& f, int64_t seq, Message& out, const PayloadMemory& memory = {});

 private:
  CaptureEncoderOptions o_;
};

}  // namespace rvkit
