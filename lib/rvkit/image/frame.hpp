// rvkit: frames as OpenCV images.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include <opencv2/core.hpp>

#include "rvkit/core/message.hpp"

namespace rvkit {

// The image of a frame message in the wanted format. Raw frames already in that format are
// wrapped without a copy (the Mat then points into m.payload); JPEG is decoded and formats
// are converted as needed. Throws Error when a JPEG payload does not decode.
cv::Mat frame_to_mat(const Message& m, PixelFormat want);
// The same, but a JPEG frame may come out smaller, decoded at 1/2, 1/4 or 1/8 of its size inside
// the decoder (rvkit/image/jpeg.hpp), as long as it is still at least min_w x min_h: for a
// consumer that resizes to that size anyway. Raw frames come at their own size.
cv::Mat frame_to_mat(const Message& m, PixelFormat want, int min_w, int min_h);

// Where a frame's payload is built: memory for its n bytes, or nullptr for out.payload's own. A
// writer passes its output's reserve_payload() (rvkit/io/transport.hpp), so that a shm:// frame is
// built in its slot and write() copies nothing; out.payload then borrows that memory, valid until the
// output's next reserve_payload() or write(). Empty: out.payload's own memory.
using PayloadMemory = std::function<uint8_t*(size_t n)>;

// Fills `out` with a frame message holding `img` (CV_8UC1 or CV_8UC3 BGR) in format `fmt`
// (JPEG through TurboJPEG, rvkit/image/jpeg.hpp). A raw format is converted straight into the
// payload's memory (one pass over the pixels).
// `info` supplies cam, seq and t_capture; the size, stride and bytes come from the image.
// Extra header fields can be added to out.header afterwards.
void mat_to_frame(const cv::Mat& img, PixelFormat fmt, const FrameInfo& info, Message& out,
                  int jpeg_quality = 85, const PayloadMemory& memory = {});

// Fills `out` with a JPEG frame whose compressed bytes are passed through untouched.
void jpeg_to_frame(const uint8_t* jpeg, size_t n, int w, int h, const FrameInfo& info, Message& out,
                   const PayloadMemory& memory = {});

}  // namespace rvkit
