// rvkit: the message format (docs/protocol.md).
//
// A message is one line of JSON (the header, at most 64 KiB including its '\n'),
// followed by exactly `bytes` bytes of binary payload when the header has "bytes".
// Frames are messages with "type":"frame"; every other message is a record.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rvkit/core/json.hpp"

namespace rvkit {

constexpr size_t kMaxHeaderBytes = 64 * 1024;            // including the '\n'
constexpr uint64_t kDefaultMaxPayloadBytes = 64ull << 20;  // 64 MiB

// Pixel formats of frames.
enum class PixelFormat { Gray8, Bgr8, Jpeg };
std::optional<PixelFormat> parse_pixel_format(std::string_view s);
const char* to_string(PixelFormat f);
int channels(PixelFormat f);  // 1, 3, or 0 for compressed formats
inline bool is_raw(PixelFormat f) { return f != PixelFormat::Jpeg; }

// A growable byte buffer that is not zero-filled on resize, so payloads can be read
// straight into it without an extra pass over the memory. Reused across messages.
//
// It may also hold a borrowed view: read-only memory owned elsewhere (a shared-memory input's frame
// slot, io/transport.hpp "shm://"), kept alive by a token whose destruction gives the memory back.
// Reading through `data() const` costs no copy; the first mutable access (non-const data(),
// resize(), own()) copies the view into the buffer's own memory and gives the view back, so a
// consumer can never write into memory other readers see. assign() and clear() drop a view.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  uint8_t* data() {
    own();
    return data_.get();
  }
  const uint8_t* data() const { return view_ ? view_ : data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Sets the size; contents are kept only up to the old size when the buffer grows.
  void resize(size_t n);
  void assign(const void* p, size_t n);
  void clear() {
    drop_view();
    size_ = 0;
  }

  // Borrows n bytes at p, read-only; `keep` is released when the view is given back.
  void borrow(const uint8_t* p, size_t n, std::shared_ptr<const void> keep);
  bool borrowed() const { return view_ != nullptr; }
  // Copies a borrowed view into the buffer's own memory (nothing when not borrowed). Call it before
  // writing through a pointer taken from `data() const` (a cv::Mat over the payload, to draw on).
  void own();

 private:
  void drop_view() {
    view_ = nullptr;
    keep_.reset();
  }
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  const uint8_t* view_ = nullptr;
  std::shared_ptr<const void> keep_;
};

// One message: a header and an optional payload (payload.size() == header["bytes"]).
struct Message {
  Json header;
  Buffer payload;

  std::string type() const;            // header["type"], "" if absent
  bool is_frame() const { return type() == "frame"; }
  std::string cam() const;             // header["cam"], "" if absent
};

// The fields every frame header carries, checked by validate_header().
struct FrameInfo {
  std::string cam;
  int64_t seq = 0;
  int64_t t_capture = 0;
  int w = 0, h = 0;
  PixelFormat fmt = PixelFormat::Bgr8;
  int64_t stride = 0;  // bytes per row for raw formats, 0 for jpeg
  uint64_t bytes = 0;
};

// Checks a parsed header. Returns an empty string when valid, else a message that
// names the field and the problem ("field 'bytes': 70000000 exceeds the maximum 67108864").
std::string validate_header(const Json& h, uint64_t max_payload = kDefaultMaxPayloadBytes);
// Reads the frame fields of a header already accepted by validate_header().
FrameInfo frame_info(const Json& h);
// Builds a frame header from its fields (stride/bytes as given).
Json make_frame_header(const FrameInfo& f);
// The header as it goes on the wire: compact JSON plus '\n'.
std::string encode_header(const Json& h);

}  // namespace rvkit
