#include "rvkit/image/jpeg.hpp"

#include <turbojpeg.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit {
namespace {

// Larger than any camera; a header claiming more is taken for corrupt rather than allocated.
constexpr int kMaxSide = 16384;

// One thread's TurboJPEG handles and its encoder's output buffer (TurboJPEG's worst case for
// the size, so it never reallocates mid-encode).
struct Codec {
  tjhandle dec = nullptr, enc = nullptr;
  unsigned char* out = nullptr;
  unsigned long out_cap = 0;
  ~Codec() {
    if (dec) tjDestroy(dec);
    if (enc) tjDestroy(enc);
    if (out) tjFree(out);
  }
  tjhandle decoder() {
    if (!dec && !(dec = tjInitDecompress()))
      throw Error(fmt::format("JPEG: TurboJPEG's decoder does not start: {}", tjGetErrorStr2(nullptr)));
    return dec;
  }
  tjhandle encoder() {
    if (!enc && !(enc = tjInitCompress()))
      throw Error(fmt::format("JPEG: TurboJPEG's encoder does not start: {}", tjGetErrorStr2(nullptr)));
    return enc;
  }
};

Codec& codec() {
  thread_local Codec c;
  return c;
}

// A decoder that failed is thrown away, not reused: libjpeg-turbo 2.1's tjDecompressHeader3()
// returns from an error without aborting the decompressor, and the next JPEG read with that
// handle then fails ("Bogus marker length") however good it is.
[[noreturn]] void fail(tjhandle h, size_t n) {
  std::string msg = fmt::format("JPEG of {} bytes: {}", n, tjGetErrorStr2(h));
  Codec& c = codec();
  if (c.dec == h) {
    tjDestroy(c.dec);
    c.dec = nullptr;
  }
  throw Error(msg);
}

JpegHeader header(tjhandle h, const uint8_t* data, size_t n) {
  if (n == 0) throw Error("JPEG of 0 bytes: no data");
  int w = 0, hh = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(h, data, static_cast<unsigned long>(n), &w, &hh, &subsamp, &colorspace) != 0) fail(h, n);
  if (w <= 0 || hh <= 0 || w > kMaxSide || hh > kMaxSide)
    throw Error(fmt::format("JPEG of {} bytes: the header's size {}x{} is out of range (1..{} each)", n, w, hh, kMaxSide));
  JpegHeader r;
  r.w = w;
  r.h = hh;
  r.gray = subsamp == TJSAMP_GRAY;
  return r;
}

// Whether this libjpeg-turbo decodes at 1/denom (it has 1/8 .. 2 in eighths since 1.2).
bool supported(int denom) {
  static const std::vector<int> denoms = [] {
    std::vector<int> d;
    int n = 0;
    const tjscalingfactor* sf = tjGetScalingFactors(&n);
    for (int i = 0; sf && i < n; ++i)
      if (sf[i].num == 1) d.push_back(sf[i].denom);
    return d;
  }();
  for (int d : denoms)
    if (d == denom) return true;
  return false;
}

}  // namespace

JpegHeader read_jpeg_header(const uint8_t* data, size_t n) { return header(codec().decoder(), data, n); }

int jpeg_scaled(int size, int denom) { return TJSCALED(size, (tjscalingfactor{1, denom})); }

int jpeg_denom_for(int w, int h, int want_w, int want_h) {
  for (int d : {8, 4, 2})
    if (supported(d) && jpeg_scaled(w, d) >= want_w && jpeg_scaled(h, d) >= want_h) return d;
  return 1;
}

namespace {

cv::Mat decode(tjhandle h, const JpegHeader& hd, const uint8_t* data, size_t n, bool gray, int denom) {
  int w = jpeg_scaled(hd.w, denom), hh = jpeg_scaled(hd.h, denom);
  cv::Mat img(hh, w, gray ? CV_8UC1 : CV_8UC3);
  // Warnings (a truncated scan, extraneous bytes) stop the decode too: what they leave is a
  // partly grey picture. LIMITSCANS refuses progressive JPEGs built to take forever.
  int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(h, data, static_cast<unsigned long>(n), img.data, w, int(img.step[0]), hh,
                    gray ? TJPF_GRAY : TJPF_BGR, flags) != 0)
    fail(h, n);
  return img;
}

}  // namespace

cv::Mat decode_jpeg(const uint8_t* data, size_t n, bool gray, int denom) {
  if ((denom != 1 && denom != 2 && denom != 4 && denom != 8) || !supported(denom))
    throw Error(fmt::format("JPEG decode: scale 1/{} is not one of 1, 1/2, 1/4, 1/8", denom));
  tjhandle h = codec().decoder();
  return decode(h, header(h, data, n), data, n, gray, denom);
}

cv::Mat decode_jpeg_min(const uint8_t* data, size_t n, bool gray, int min_w, int min_h) {
  tjhandle h = codec().decoder();
  JpegHeader hd = header(h, data, n);
  int denom = min_w > 0 && min_h > 0 ? jpeg_denom_for(hd.w, hd.h, min_w, min_h) : 1;
  return decode(h, hd, data, n, gray, denom);
}

void encode_jpeg(const cv::Mat& img, int quality, std::vector<uint8_t>& out) {
  if (img.empty() || img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3))
    throw Error(fmt::format("JPEG encode: a {}x{} image with {} channels of depth {} (wants 8-bit grey or BGR)",
                            img.cols, img.rows, img.channels(), img.depth()));
  if (quality < 1 || quality > 100) throw Error(fmt::format("JPEG encode: quality {} is out of range (1..100)", quality));
  if (img.cols > kMaxSide || img.rows > kMaxSide)
    throw Error(fmt::format("JPEG encode: {}x{} is larger than {} a side", img.cols, img.rows, kMaxSide));
  Codec& c = codec();
  tjhandle h = c.encoder();
  const bool gray = img.channels() == 1;
  const int subsamp = gray ? TJSAMP_GRAY : TJSAMP_420;
  unsigned long need = tjBufSize(img.cols, img.rows, subsamp);
  if (need > c.out_cap) {
    if (c.out) tjFree(c.out);
    c.out_cap = 0;
    if (!(c.out = tjAlloc(int(need)))) throw Error(fmt::format("JPEG encode: no memory for {} bytes", need));
    c.out_cap = need;
  }
  unsigned long size = c.out_cap;
  // ACCURATEDCT: TurboJPEG would otherwise use the fast integer DCT, which OpenCV does not.
  if (tjCompress2(h, img.data, img.cols, int(img.step[0]), img.rows, gray ? TJPF_GRAY : TJPF_BGR, &c.out, &size,
                  subsamp, quality, TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0) {
    std::string msg = fmt::format("JPEG encode of a {}x{} image: {}", img.cols, img.rows, tjGetErrorStr2(h));
    tjDestroy(c.enc);  // like a failed decoder (fail()), not reused
    c.enc = nullptr;
    throw Error(msg);
  }
  out.resize(size);
  std::memcpy(out.data(), c.out, size);
}

std::vector<uint8_t> encode_jpeg(const cv::Mat& img, int quality) {
  std::vector<uint8_t> out;
  encode_jpeg(img, quality, out);
  return out;
}

}  // namespace rvkit
