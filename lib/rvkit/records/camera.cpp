#include "rvkit/records/camera.hpp"

#include "rvkit/geometry/pose.hpp"
#include "rvkit/records/fields.hpp"

namespace rvkit::records {

namespace f = fields;

void to_json(Json& j, const Camera& c) {
  j = Json::object();
  j["type"] = Camera::kType;
  j["cam"] = c.cam;
  j["urls"] = c.urls;
  if (c.description) j["description"] = *c.description;
  if (c.source) j["source"] = *c.source;
  if (c.mode) j["mode"] = *c.mode;
  if (c.w) j["w"] = *c.w;
  if (c.h) j["h"] = *c.h;
  if (c.fps) j["fps"] = geometry::round_to(*c.fps, 1);
  if (c.connected) j["connected"] = *c.connected;
}

void from_json(const Json& j, Camera& c) {
  try {
    f::object(j, "");
    f::expect_type(j, Camera::kType);
    c = Camera{};
    c.cam = f::string(j, "cam", "");
    if (c.cam.empty()) f::fail("cam", "empty");
    const Json* urls = f::member(j, "urls");
    if (!urls || !urls->is_array()) f::fail("urls", "missing or not an array of strings");
    for (size_t i = 0; i < urls->size(); ++i) {
      if (!(*urls)[i].is_string()) f::fail(f::at("urls", i), "not a string");
      c.urls.push_back((*urls)[i].get<std::string>());
    }
    c.description = f::optional_string(j, "description", "");
    c.source = f::optional_string(j, "source", "");
    c.mode = f::optional_string(j, "mode", "");
    if (auto w = f::optional_integer(j, "w", "", 0, 65535)) c.w = int(*w);
    if (auto h = f::optional_integer(j, "h", "", 0, 65535)) c.h = int(*h);
    c.fps = f::optional_number(j, "fps", "");
    c.connected = f::optional_boolean(j, "connected", "");
  } catch (const RecordError& e) {
    throw RecordError(std::string(Camera::kType) + ": " + e.what());
  }
}

}  // namespace rvkit::records
