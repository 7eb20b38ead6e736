// rvkit recording: what a recording is called, what the robot's FMS says about the match, and the
// pruning that keeps recordings from filling the disk.
//
// A name pattern is strftime(3) text (local time) with two more conversions: %event (the FMS event
// name, "noevent" when unknown) and %match (the match, e.g. "Q12", "P3", "E7"; "nomatch" when
// unknown), taken from the NetworkTables values /FMSInfo/EventName, MatchType and MatchNumber that
// ntsub writes as `nt` records (or `nt_snapshot`s). An existing file is never overwritten: "-1",
// "-2"... goes before the extension.
// Threading: plain values and functions; FmsInfo is used by one thread.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"

namespace rvkit::recording {

struct FmsInfo {
  std::string event;      // EventName ("" unknown)
  int match_type = -1;    // MatchType: 0 none, 1 practice, 2 qualification, 3 elimination (-1 unknown)
  int64_t match_number = -1;

  // Takes what an `nt` or `nt_snapshot` record says about /FMSInfo; true when something changed.
  bool update(const Json& record);
  std::string event_text() const;  // file-name safe
  std::string match_text() const;  // "Q12"; "nomatch" when unknown
  bool known() const { return !event.empty() || match_number >= 0; }
  bool operator==(const FmsInfo& o) const {
    return event == o.event && match_type == o.match_type && match_number == o.match_number;
  }
  bool operator!=(const FmsInfo& o) const { return !(*this == o); }
};

// True when the pattern uses %event or %match (the file then changes when the match does).
bool pattern_uses_fms(const std::string& pattern);
// Expands the pattern at `when` (local time). Does not look at the disk.
std::string expand_name(const std::string& pattern, const FmsInfo& fms, std::time_t when);
// The expanded name, or NAME-1.EXT, NAME-2.EXT... when it exists already.
std::string unique_name(const std::string& name);

// Recordings in the folder of `pattern` whose names end as the pattern's does (its extension, ".rvs"),
// oldest first (by modification time).
std::vector<std::string> list_recordings(const std::string& pattern);
// Deletes the oldest recordings of the pattern until they take at most keep_bytes, never `current`.
// Returns the deleted paths.
std::vector<std::string> prune_recordings(const std::string& pattern, uint64_t keep_bytes, const std::string& current);

}  // namespace rvkit::recording
