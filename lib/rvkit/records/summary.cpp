#include "rvkit/records/summary.hpp"

#include "rvkit/records/fields.hpp"

namespace rvkit::records {

namespace f = fields;

void to_json(Json& j, const Summary& s) {
  j = Json::object();
  j["type"] = Summary::kType;
  if (s.frames)
    j["cam"] = s.cam;
  else
    j["record_type"] = s.record_type;
  j["messages"] = s.messages;
  if (s.frames) {
    const FrameSummary& fs = *s.frames;
    j["first_seq"] = fs.first_seq;
    j["last_seq"] = fs.last_seq;
    j["dropped"] = fs.dropped;
    j["duration_s"] = fs.duration_s;
    j["fps"] = fs.fps;
    j["fmt"] = fs.fmt;
    j["w"] = fs.w;
    j["h"] = fs.h;
    j["min_bytes"] = fs.min_bytes;
    j["max_bytes"] = fs.max_bytes;
    j["mean_bytes"] = fs.mean_bytes;
    j["age_ms"] = {{"median", fs.age_ms.median}, {"p99", fs.age_ms.p99}, {"max", fs.age_ms.max}};
  }
  j["total_bytes"] = s.total_bytes;
}

void from_json(const Json& j, Summary& s) {
  try {
    f::object(j, "");
    f::expect_type(j, Summary::kType);
    s = Summary{};
    bool camera = f::member(j, "cam") != nullptr;
    if (camera)
      s.cam = f::string(j, "cam", "");
    else
      s.record_type = f::string(j, "record_type", "");
    s.messages = uint64_t(f::integer(j, "messages", "", 0));
    if (camera) {
      FrameSummary fs;
      fs.first_seq = f::integer(j, "first_seq", "");
      fs.last_seq = f::integer(j, "last_seq", "");
      fs.dropped = uint64_t(f::integer(j, "dropped", "", 0));
      fs.duration_s = f::number(j, "duration_s", "");
      fs.fps = f::number(j, "fps", "");
      fs.fmt = f::string(j, "fmt", "");
      fs.w = int(f::integer(j, "w", "", 0, 65535));
      fs.h = int(f::integer(j, "h", "", 0, 65535));
      fs.min_bytes = uint64_t(f::integer(j, "min_bytes", "", 0));
      fs.max_bytes = uint64_t(f::integer(j, "max_bytes", "", 0));
      fs.mean_bytes = uint64_t(f::integer(j, "mean_bytes", "", 0));
      const Json* age = f::member(j, "age_ms");
      if (!age || !age->is_object()) f::fail("age_ms", "missing or not an object");
      fs.age_ms = {f::number(*age, "median", "age_ms"), f::number(*age, "p99", "age_ms"), f::number(*age, "max", "age_ms")};
      s.frames = fs;
    }
    s.total_bytes = uint64_t(f::integer(j, "total_bytes", "", 0));
  } catch (const RecordError& e) {
    throw RecordError(std::string(Summary::kType) + ": " + e.what());
  }
}

}  // namespace rvkit::records
