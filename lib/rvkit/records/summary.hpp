// rvkit records: `summary` (docs/records.md): what probe --summary writes at the end, one record per
// camera (its frames) and one per record type (its count).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

// The frames of one camera.
struct FrameSummary {
  int64_t first_seq = 0, last_seq = 0;
  uint64_t dropped = 0;        // seq numbers skipped
  double duration_s = 0;       // from the first to the last t_capture
  double fps = 0;              // from t_capture
  std::string fmt;             // of the last frame
  int w = 0, h = 0;            // of the last frame
  uint64_t min_bytes = 0, max_bytes = 0, mean_bytes = 0;
  struct Age {
    double median = 0, p99 = 0, max = 0;
  } age_ms;                    // arrival at probe minus t_capture: capture-to-probe latency
};

struct Summary {
  static constexpr const char* kType = "summary";
  // One of the two: the camera whose frames are summed up (with `frames`), or a record type.
  std::string cam;
  std::string record_type;
  uint64_t messages = 0;
  std::optional<FrameSummary> frames;  // for a camera
  uint64_t total_bytes = 0;            // payload bytes
};

void to_json(Json& j, const Summary& s);
void from_json(const Json& j, Summary& s);  // throws RecordError("summary: FIELD: PROBLEM")

}  // namespace rvkit::records
