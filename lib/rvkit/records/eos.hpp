// rvkit records: `eos` (docs/records.md): the end of a ZeroMQ stream. A publisher that closes normally
// sends it, and a subscriber's input ends there, as a byte stream ends at end of file.
#pragma once
#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

struct Eos {
  static constexpr const char* kType = "eos";
};

void to_json(Json& j, const Eos& e);
void from_json(const Json& j, Eos& e);  // throws RecordError("eos: type: ...")

}  // namespace rvkit::records
