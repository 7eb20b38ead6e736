// rvkit records: `nt` and `nt_snapshot` (docs/records.md): NetworkTables values as ntsub writes them,
// read by overlay's text templates and field map.
//
// A value is kept as JSON: NT's types map onto it (docs/nt.md: numbers, strings, booleans, arrays,
// struct:Pose3d as a pose object, other raw data as base64 text). Required: an nt record's `topic`
// and `value`, a snapshot's `t` and `values`; the times are optional for readers (ntsub always
// writes them).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

// One value of one topic.
struct Nt {
  static constexpr const char* kType = "nt";
  std::string topic;                 // "/SmartDashboard/x"
  std::optional<std::string> ntype;  // the topic's NT type ("double", "struct:Pose3d", ...)
  Json value;
  std::optional<int64_t> t;          // the value's timestamp in our wall clock, µs since the Unix epoch
  std::optional<int64_t> t_server;   // the same in the server's clock, µs
  std::optional<int64_t> t_recv;     // when it arrived, µs since the Unix epoch
};

// The latest value of every topic (ntsub --latest).
struct NtSnapshot {
  static constexpr const char* kType = "nt_snapshot";
  int64_t t = 0;                                         // when it was taken, µs since the Unix epoch
  std::map<std::string, Json> values;                    // topic -> value (written sorted by topic)
  std::optional<std::map<std::string, int64_t>> times;   // topic -> the value's timestamp (as Nt::t)
};

void to_json(Json& j, const Nt& n);
void from_json(const Json& j, Nt& n);  // throws RecordError("nt: FIELD: PROBLEM")
void to_json(Json& j, const NtSnapshot& s);
void from_json(const Json& j, NtSnapshot& s);  // throws RecordError("nt_snapshot: FIELD: PROBLEM")

}  // namespace rvkit::records
