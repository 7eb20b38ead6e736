#include "rvkit/records/nt.hpp"

#include "rvkit/records/fields.hpp"

namespace rvkit::records {

namespace f = fields;

void to_json(Json& j, const Nt& n) {
  j = Json::object();
  j["type"] = Nt::kType;
  j["topic"] = n.topic;
  if (n.ntype) j["ntype"] = *n.ntype;
  j["value"] = n.value;
  if (n.t) j["t"] = *n.t;
  if (n.t_server) j["t_server"] = *n.t_server;
  if (n.t_recv) j["t_recv"] = *n.t_recv;
}

void from_json(const Json& j, Nt& n) {
  try {
    f::object(j, "");
    f::expect_type(j, Nt::kType);
    n = Nt{};
    n.topic = f::string(j, "topic", "");
    n.ntype = f::optional_string(j, "ntype", "");
    const Json* v = f::member(j, "value");
    if (!v) f::fail("value", "missing");
    n.value = *v;
    n.t = f::optional_integer(j, "t", "");
    n.t_server = f::optional_integer(j, "t_server", "");
    n.t_recv = f::optional_integer(j, "t_recv", "");
  } catch (const RecordError& e) {
    throw RecordError(std::string(Nt::kType) + ": " + e.what());
  }
}

void to_json(Json& j, const NtSnapshot& s) {
  j = Json::object();
  j["type"] = NtSnapshot::kType;
  j["t"] = s.t;
  Json values = Json::object();
  for (const auto& [topic, v] : s.values) values[topic] = v;
  j["values"] = std::move(values);
  if (s.times) {
    Json times = Json::object();
    for (const auto& [topic, t] : *s.times) times[topic] = t;
    j["times"] = std::move(times);
  }
}

void from_json(const Json& j, NtSnapshot& s) {
  try {
    f::object(j, "");
    f::expect_type(j, NtSnapshot::kType);
    s = NtSnapshot{};
    s.t = f::integer(j, "t", "");
    const Json* values = f::member(j, "values");
    if (!values || !values->is_object()) f::fail("values", "missing or not an object");
    for (const auto& [topic, v] : values->items()) s.values[topic] = v;
    if (const Json* times = f::member(j, "times")) {
      f::object(*times, "times");
      s.times.emplace();
      for (const auto& [topic, t] : times->items()) (*s.times)[topic] = f::as_integer(t, "times[\"" + topic + "\"]");
    }
  } catch (const RecordError& e) {
    throw RecordError(std::string(NtSnapshot::kType) + ": " + e.what());
  }
}

}  // namespace rvkit::records
