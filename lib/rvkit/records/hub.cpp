#include "rvkit/records/hub.hpp"

#include <climits>

#include "rvkit/geometry/pose.hpp"
#include "rvkit/records/fields.hpp"

namespace rvkit::records {

namespace f = fields;

void to_json(Json& j, const Hub& h) {
  j = Json::object();
  j["type"] = Hub::kType;
  j["t"] = h.t;
  j["uptime_s"] = geometry::round_to(h.uptime_s, 1);
  j["publishers"] = h.publishers;
  j["lossless_publishers"] = h.lossless_publishers;
  j["subscribers"] = h.subscribers;
  Json topics = Json::array();
  for (const HubTopic& t : h.topics) {
    Json o = Json::object();
    o["topic"] = t.topic;
    o["messages"] = t.messages;
    o["msgs_per_s"] = geometry::round_to(t.msgs_per_s, 1);
    o["bytes_per_s"] = t.bytes_per_s;
    o["subscribers"] = t.subscribers;
    if (t.publishers) o["publishers"] = *t.publishers;
    o["retries"] = t.retries;
    o["drops"] = t.drops;
    o["age_ms"] = t.age_ms;
    topics.push_back(std::move(o));
  }
  j["topics"] = std::move(topics);
  Json subs = Json::array();
  for (const HubSubscription& s : h.subscriptions) subs.push_back({{"prefix", s.prefix}, {"count", s.count}});
  j["subscriptions"] = std::move(subs);
}

void from_json(const Json& j, Hub& h) {
  try {
    f::object(j, "");
    f::expect_type(j, Hub::kType);
    h = Hub{};
    h.t = f::integer(j, "t", "");
    h.uptime_s = f::optional_number(j, "uptime_s", "").value_or(0);
    h.publishers = int(f::optional_integer(j, "publishers", "", 0, INT_MAX).value_or(0));
    h.lossless_publishers = int(f::optional_integer(j, "lossless_publishers", "", 0, INT_MAX).value_or(0));
    h.subscribers = int(f::optional_integer(j, "subscribers", "", 0, INT_MAX).value_or(0));
    const Json* topics = f::member(j, "topics");
    if (!topics || !topics->is_array()) f::fail("topics", "missing or not an array");
    for (size_t i = 0; i < topics->size(); ++i) {
      std::string where = f::at("topics", i);
      const Json& o = f::object((*topics)[i], where);
      HubTopic t;
      t.topic = f::string(o, "topic", where);
      t.messages = uint64_t(f::optional_integer(o, "messages", where, 0).value_or(0));
      t.msgs_per_s = f::optional_number(o, "msgs_per_s", where).value_or(0);
      t.bytes_per_s = uint64_t(f::optional_integer(o, "bytes_per_s", where, 0).value_or(0));
      t.subscribers = int(f::optional_integer(o, "subscribers", where, 0, INT_MAX).value_or(0));
      if (auto p = f::optional_integer(o, "publishers", where, 0, INT_MAX)) t.publishers = int(*p);
      t.retries = uint64_t(f::optional_integer(o, "retries", where, 0).value_or(0));
      t.drops = uint64_t(f::optional_integer(o, "drops", where, 0).value_or(0));
      t.age_ms = f::integer(o, "age_ms", where, 0);
      h.topics.push_back(std::move(t));
    }
    if (const Json* subs = f::member(j, "subscriptions")) {
      if (!subs->is_array()) f::fail("subscriptions", "not an array");
      for (size_t i = 0; i < subs->size(); ++i) {
        std::string where = f::at("subscriptions", i);
        const Json& o = f::object((*subs)[i], where);
        h.subscriptions.push_back({f::string(o, "prefix", where), int(f::integer(o, "count", where, 0, INT_MAX))});
      }
    }
  } catch (const RecordError& e) {
    throw RecordError(std::string(Hub::kType) + ": " + e.what());
  }
}

}  // namespace rvkit::records
