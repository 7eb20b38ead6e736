// rvkit records: every record type this module defines (docs/records.md is their one reference).
//
// Tools read and write the type they deal with (records/detections.hpp, camera.hpp, nt.hpp, eos.hpp,
// summary.hpp, hub.hpp); Record and read_record are for code that handles any of them (the docs test, a
// recorder). A record type is added here, in the variant, and in docs/records.md with an example:
// tests/unit/test_records.cpp fails when a type of the variant has no example there, or an example
// names a type the variant does not have.
#pragma once
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/records/camera.hpp"
#include "rvkit/records/detections.hpp"
#include "rvkit/records/eos.hpp"
#include "rvkit/records/error.hpp"
#include "rvkit/records/hub.hpp"
#include "rvkit/records/nt.hpp"
#include "rvkit/records/summary.hpp"

namespace rvkit::records {

using Record = std::variant<Detections, Camera, Nt, NtSnapshot, Eos, Summary, Hub>;

// The "type" of every alternative of Record, in the variant's order.
std::vector<std::string> record_types();

// The record `j` holds, read by its type's from_json; nullopt when its type is not one of Record's
// (other records pass through the tools untouched). Throws RecordError when it is malformed.
std::optional<Record> read_record(const Json& j);
void to_json(Json& j, const Record& r);

}  // namespace rvkit::records
