// rvkit records: `eos` (docs/records.md): the end of a ZeroMQ stream. A publisher that closes normally
// sends one per camera it published (`cam` set, topic `eos/CAM/`), then a plain one (topic `eos/`); a
// direct subscriber's input ends at the first, as a byte stream ends at end of file, and a hub input
// ends when every camera its topic filters name has ended (rvkit/io/transport.hpp). `error` says the
// stream did not end normally (the hub's "publisher vanished"): the input ends with that error.
//
// Both fields are optional; `cam`, when present, is non-empty (it names a camera as frames do).
#pragma once
#include <optional>
#include <string>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

struct Eos {
  static constexpr const char* kType = "eos";
  std::optional<std::string> cam;    // the camera whose stream ended; absent: the publisher's last message
  std::optional<std::string> error;  // why the stream ended abnormally; absent: a normal end
};

void to_json(Json& j, const Eos& e);
void from_json(const Json& j, Eos& e);  // throws RecordError("eos: FIELD: PROBLEM")

}  // namespace rvkit::records
