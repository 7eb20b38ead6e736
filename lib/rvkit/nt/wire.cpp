#include "rvkit/nt/wire.hpp"

#include <fmt/format.h>

namespace rvkit::nt {

void append_value_message(msgpack::sbuffer& buf, int64_t id, int64_t timestamp, const Value& v) {
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(4);
  pk.pack_int64(id);
  pk.pack_int64(timestamp);
  pk.pack_uint8(uint8_t(v.type()));
  pack_value(pk, v);
}

void append_rtt_message(msgpack::sbuffer& buf, int64_t timestamp, int64_t value) {
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(4);
  pk.pack_int64(kRttId);
  pk.pack_int64(timestamp);
  pk.pack_uint8(uint8_t(NtType::Int));
  pk.pack_int64(value);
}

namespace {
bool get_int(const msgpack::object& o, int64_t& out) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > uint64_t(INT64_MAX)) return false;
    out = int64_t(o.via.u64);
    return true;
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    out = o.via.i64;
    return true;
  }
  // Some clients send whole numbers as doubles (JavaScript); accept exact ones.
  if (o.type == msgpack::type::FLOAT64 || o.type == msgpack::type::FLOAT32) {
    double d = o.via.f64;
    if (d != d || d < -9.0e18 || d > 9.0e18 || double(int64_t(d)) != d) return false;
    out = int64_t(d);
    return true;
  }
  return false;
}
}  // namespace

bool decode_binary_frame(const uint8_t* data, size_t size,
                         const std::function<void(const BinaryMessage&)>& on_message,
                         const std::function<void(const std::string&)>& on_bad) {
  const char* p = reinterpret_cast<const char*>(data);
  size_t off = 0;
  // No container or string can have more elements than the frame has bytes; this keeps
  // msgpack-cxx from reserving memory for a size a garbage header claims.
  size_t lim = std::max<size_t>(size, 1);
  msgpack::unpack_limit limit(lim, lim, lim, lim, lim, 16);
  while (off < size) {
    msgpack::object_handle oh;
    try {
      oh = msgpack::unpack(p, size, off, nullptr, nullptr, limit);
    } catch (const std::exception& e) {
      on_bad(fmt::format("undecodable MessagePack at byte {} of a {}-byte frame ({})", off, size, e.what()));
      return false;
    }
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 4) {
      on_bad("a binary message that is not a 4-element array");
      continue;
    }
    BinaryMessage m;
    const msgpack::object* a = o.via.array.ptr;
    if (!get_int(a[0], m.id) || !get_int(a[1], m.timestamp) || !get_int(a[2], m.type_id)) {
      on_bad("a binary message whose id, timestamp or type is not an integer");
      continue;
    }
    m.value = &a[3];
    on_message(m);
  }
  return true;
}

void decode_text_frame(std::string_view text,
                       const std::function<void(const std::string&, const Json&)>& on_message,
                       const std::function<void(const std::string&)>& on_bad) {
  // Nesting is limited so a hostile frame cannot make later recursive walks run out of stack.
  bool too_deep = false;
  Json::parser_callback_t cb = [&too_deep](int depth, Json::parse_event_t, Json&) {
    if (depth > 64) too_deep = true;
    return !too_deep;
  };
  Json j = Json::parse(text.begin(), text.end(), cb, false);
  if (too_deep) {
    on_bad("a text frame nested more than 64 levels deep");
    return;
  }
  if (j.is_discarded()) {
    on_bad(fmt::format("a text frame that is not JSON ({} bytes)", text.size()));
    return;
  }
  if (!j.is_array()) {
    on_bad("a text frame that is not a JSON array");
    return;
  }
  for (const auto& m : j) {
    if (!m.is_object()) {
      on_bad("a JSON message that is not an object");
      continue;
    }
    auto mi = m.find("method");
    auto pi = m.find("params");
    if (mi == m.end() || pi == m.end() || !mi->is_string() || !pi->is_object()) {
      on_bad("a JSON message without a string \"method\" and an object \"params\"");
      continue;
    }
    on_message(mi->get<std::string>(), *pi);
  }
}

Json control_message(const char* method, Json params) {
  Json m = Json::object();
  m["method"] = method;
  m["params"] = std::move(params);
  return m;
}

}  // namespace rvkit::nt
