// rvkit records: the `camera` record (docs/records.md): stream announces each camera it serves, ntpub
// publishes the announcements under /CameraPublisher/<cam> for dashboards.
//
// Required: `cam` and `urls`; the rest may be absent (ntpub then publishes its defaults: description
// = cam, source = rvkit:<cam>, connected = true, mode from w, h and fps). to_json writes the fields in
// the documented order, present ones only, `fps` with one decimal.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

struct Camera {
  static constexpr const char* kType = "camera";
  std::string cam;                         // non-empty
  std::vector<std::string> urls;           // MJPEG stream URLs, one per interface
  std::optional<std::string> description;  // shown by dashboards
  std::optional<std::string> source;       // cscore-style source name
  std::optional<std::string> mode;         // e.g. "640x480 MJPEG 30 fps"
  std::optional<int> w, h;                 // px
  std::optional<double> fps;               // 0: not yet measured
  std::optional<bool> connected;           // false: the camera went away
};

void to_json(Json& j, const Camera& c);
void from_json(const Json& j, Camera& c);  // throws RecordError("camera: FIELD: PROBLEM")

}  // namespace rvkit::records
