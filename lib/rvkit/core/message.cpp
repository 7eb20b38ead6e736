#include "rvkit/core/message.hpp"

#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace rvkit {

std::optional<PixelFormat> parse_pixel_format(std::string_view s) {
  if (s == "gray8") return PixelFormat::Gray8;
  if (s == "bgr8") return PixelFormat::Bgr8;
  if (s == "jpeg") return PixelFormat::Jpeg;
  return std::nullopt;
}

const char* to_string(PixelFormat f) {
  switch (f) {
    case PixelFormat::Gray8: return "gray8";
    case PixelFormat::Bgr8: return "bgr8";
    case PixelFormat::Jpeg: return "jpeg";
  }
  return "?";
}

int channels(PixelFormat f) {
  switch (f) {
    case PixelFormat::Gray8: return 1;
    case PixelFormat::Bgr8: return 3;
    case PixelFormat::Jpeg: return 0;
  }
  return 0;
}

void Buffer::borrow(const uint8_t* p, size_t n, std::shared_ptr<const void> keep) {
  view_ = p;
  size_ = n;
  keep_ = std::move(keep);
}

void Buffer::own() {
  if (!view_) return;
  const uint8_t* v = view_;
  size_t n = size_;
  if (n > capacity_) {
    data_.reset(new uint8_t[n]);
    capacity_ = n;
  }
  if (n) std::memcpy(data_.get(), v, n);
  drop_view();
}

void Buffer::resize(size_t n) {
  own();
  if (n > capacity_) {
    std::unique_ptr<uint8_t[]> bigger(new uint8_t[n]);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = n;
  }
  size_ = n;
}

void Buffer::assign(const void* p, size_t n) {
  std::shared_ptr<const void> keep = std::move(keep_);  // p may point into the view: keep it until copied
  view_ = nullptr;
  size_ = 0;
  resize(n);
  if (n) std::memcpy(data_.get(), p, n);
}

std::string Message::type() const {
  auto it = header.find("type");
  return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Message::cam() const {
  auto it = header.find("cam");
  return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace {

std::string field_error(const char* field, const std::string& what) {
  return fmt::format("field '{}': {}", field, what);
}

// Fetches an integer field; returns an error string on a wrong type or range.
std::string get_int(const Json& h, const char* field, bool required, int64_t lo, int64_t hi,
                    int64_t* out) {
  auto it = h.find(field);
  if (it == h.end()) return required ? field_error(field, "missing") : std::string();
  if (!it->is_number_integer()) return field_error(field, fmt::format("must be an integer, got {}", it->dump()));
  int64_t v;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      return field_error(field, fmt::format("{} is out of range", u));
    v = int64_t(u);
  } else {
    v = it->get<int64_t>();
  }
  if (v < lo || v > hi) return field_error(field, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
  *out = v;
  return {};
}

}  // namespace

std::string validate_header(const Json& h, uint64_t max_payload) {
  if (!h.is_object()) return "header is not a JSON object";
  auto type = h.find("type");
  if (type == h.end()) return field_error("type", "missing");
  if (!type->is_string() || type->get_ref<const std::string&>().empty())
    return field_error("type", "must be a non-empty string");

  int64_t bytes = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (auto e = get_int(h, "bytes", false, 0, kMax, &bytes); !e.empty()) return e;
  if (uint64_t(bytes) > max_payload)
    return field_error("bytes", fmt::format("{} exceeds the maximum payload size {} (see --max-bytes)",
                                            bytes, max_payload));

  if (*type != "frame") return {};

  auto cam = h.find("cam");
  if (cam == h.end()) return field_error("cam", "missing");
  if (!cam->is_string() || cam->get_ref<const std::string&>().empty())
    return field_error("cam", "must be a non-empty string");
  int64_t seq, t, w, hh, stride = 0;
  if (auto e = get_int(h, "seq", true, 0, kMax, &seq); !e.empty()) return e;
  if (auto e = get_int(h, "t_capture", true, 0, kMax, &t); !e.empty()) return e;
  if (auto e = get_int(h, "w", true, 1, 65535, &w); !e.empty()) return e;
  if (auto e = get_int(h, "h", true, 1, 65535, &hh); !e.empty()) return e;
  auto f = h.find("fmt");
  if (f == h.end()) return field_error("fmt", "missing");
  std::optional<PixelFormat> fmt;
  if (f->is_string()) fmt = parse_pixel_format(f->get_ref<const std::string&>());
  if (!fmt) return field_error("fmt", fmt::format("must be \"gray8\", \"bgr8\" or \"jpeg\", got {}", f->dump()));
  if (h.find("bytes") == h.end()) return field_error("bytes", "missing");
  if (is_raw(*fmt)) {
    int64_t min_stride = w * channels(*fmt);
    if (auto e = get_int(h, "stride", true, min_stride, min_stride + 4096, &stride); !e.empty()) return e;
    if (bytes != stride * hh)
      return field_error("bytes", fmt::format("{} does not match stride*h = {}*{} = {}", bytes, stride,
                                              hh, stride * hh));
  } else if (bytes == 0) {
    return field_error("bytes", "a jpeg frame needs a payload");
  }
  return {};
}

FrameInfo frame_info(const Json& h) {
  FrameInfo f;
  f.cam = h.at("cam").get<std::string>();
  f.seq = h.at("seq").get<int64_t>();
  f.t_capture = h.at("t_capture").get<int64_t>();
  f.w = h.at("w").get<int>();
  f.h = h.at("h").get<int>();
  f.fmt = *parse_pixel_format(h.at("fmt").get<std::string>());
  f.stride = is_raw(f.fmt) ? h.at("stride").get<int64_t>() : 0;
  f.bytes = h.at("bytes").get<uint64_t>();
  return f;
}

Json make_frame_header(const FrameInfo& f) {
  Json h;
  h["type"] = "frame";
  h["cam"] = f.cam;
  h["seq"] = f.seq;
  h["t_capture"] = f.t_capture;
  h["w"] = f.w;
  h["h"] = f.h;
  h["fmt"] = to_string(f.fmt);
  if (is_raw(f.fmt)) h["stride"] = f.stride;
  h["bytes"] = f.bytes;
  return h;
}

std::string encode_header(const Json& h) {
  std::string s = h.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
  s.push_back('\n');
  return s;
}

}  // namespace rvkit
