// rvkit: JPEG encoding and decoding through libjpeg-turbo's TurboJPEG API.
//
// Contract:
// - encode_jpeg(): a CV_8UC3 (BGR) or CV_8UC1 image, any stride, to baseline JPEG at `quality`
//   (1..100): 4:2:0 chroma for colour, one component for grey; the accurate DCT, so the bytes
//   are those cv::imencode writes with OpenCV's defaults on the same libjpeg-turbo.
// - decode_jpeg(): to BGR (CV_8UC3) or grey (CV_8UC1, decoded straight to one channel: no
//   colour conversion), optionally scaled down by 2, 4 or 8 inside the decoder (the IDCT
//   works on fewer coefficients, which is far cheaper than a full decode and a resize).
//   The scaled size is TurboJPEG's: ceil(w / denom) x ceil(h / denom).
// - read_jpeg_header(): the size and chroma subsampling without decoding.
// - A corrupt or truncated JPEG (including what libjpeg would only warn about: premature end
//   of data, extraneous bytes) throws rvkit::Error "JPEG of N bytes: MESSAGE", MESSAGE being
//   TurboJPEG's (tjGetErrorStr2); TurboJPEG reports no byte offset. Callers add which frame.
//   Never a crash, never a partly grey image.
// - Thread-safe: every thread has its own TurboJPEG handles (thread_local), made on first use and
//   made anew after a failure (a failed header read leaves libjpeg-turbo 2.1's decoder unusable).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace rvkit {

struct JpegHeader {
  int w = 0, h = 0;
  bool gray = false;  // one component (TJSAMP_GRAY)
};

// Throws Error when the data is not a JPEG TurboJPEG can read.
JpegHeader read_jpeg_header(const uint8_t* data, size_t n);

// `out` becomes exactly the JPEG's bytes (its capacity is reused).
// Throws Error for an image that is not CV_8UC1/CV_8UC3, is empty, or a quality out of 1..100.
void encode_jpeg(const cv::Mat& img, int quality, std::vector<uint8_t>& out);
std::vector<uint8_t> encode_jpeg(const cv::Mat& img, int quality);

// denom: 1 (full size), 2, 4 or 8. Throws Error for another denom or a JPEG that does not decode.
cv::Mat decode_jpeg(const uint8_t* data, size_t n, bool gray, int denom = 1);
// Decodes at the smallest scale (1, 1/2, 1/4, 1/8) that is still at least min_w x min_h, for a
// consumer that resizes to that size anyway; full size when min_w or min_h is 0 or larger.
cv::Mat decode_jpeg_min(const uint8_t* data, size_t n, bool gray, int min_w, int min_h);

// The size a decode at 1/denom gives for a w x h JPEG.
int jpeg_scaled(int size, int denom);
// The largest denom (1, 2, 4 or 8) whose decode of a w x h JPEG is still at least want_w x
// want_h, so that a resize to the wanted size only shrinks (1 when the wanted size is not smaller).
int jpeg_denom_for(int w, int h, int want_w, int want_h);

}  // namespace rvkit
