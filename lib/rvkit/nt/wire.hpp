// rvkit: NetworkTables 4 messages on the wire (the NT4 spec, "Text Data Frames" and
// "Binary Data Frames"). WebSocket framing is Boost.Beast's; MessagePack is msgpack-cxx's;
// JSON is nlohmann's. This file only arranges their pieces as the spec says.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

constexpr int kDefaultPort = 5810;
constexpr const char* kSubprotocol41 = "v4.1.networktables.first.wpi.edu";
constexpr const char* kSubprotocol40 = "networktables.first.wpi.edu";
constexpr int64_t kRttId = -1;  // the topic id of time-synchronisation messages

// Appends one value message [id, timestamp, type, value] to `buf`.
void append_value_message(msgpack::sbuffer& buf, int64_t id, int64_t timestamp, const Value& v);
// Appends an RTT message [-1, timestamp, int, value].
void append_rtt_message(msgpack::sbuffer& buf, int64_t timestamp, int64_t value);

// One decoded binary message. `value` points into the frame being decoded.
struct BinaryMessage {
  int64_t id = 0;
  int64_t timestamp = 0;
  int64_t type_id = 0;
  const msgpack::object* value = nullptr;
};

// Decodes every MessagePack message of a binary frame, calling `on_message` for each well-formed
// one and `on_bad` (with a short reason) for each malformed one. Returns false when the rest of
// the frame could not be decoded (bad MessagePack); sizes are limited by the frame size.
bool decode_binary_frame(const uint8_t* data, size_t size,
                         const std::function<void(const BinaryMessage&)>& on_message,
                         const std::function<void(const std::string&)>& on_bad);

// Decodes a text frame: a JSON array of {"method": STRING, "params": OBJECT}. Calls `on_message`
// for each well-formed one and `on_bad` for each element (or a whole frame) that is not.
void decode_text_frame(std::string_view text,
                       const std::function<void(const std::string& method, const Json& params)>& on_message,
                       const std::function<void(const std::string&)>& on_bad);

// A JSON control message {"method":..., "params":...}.
Json control_message(const char* method, Json params);

}  // namespace rvkit::nt
