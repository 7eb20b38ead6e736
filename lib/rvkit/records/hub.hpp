// rvkit records: `hub` (docs/records.md): what the message hub (`hub serve`) sees, per topic. The hub
// publishes it every second on topic `hub/` (so `probe --in 'hub?topic=hub/'` shows it) and, with
// --report-fd, writes it as a JSON line every 250 ms for the supervisor, which reads `topics[].topic`
// and `topics[].age_ms` to tell a live stage from a stalled one.
//
// to_json writes the fields in the documented order; rates are over the last second.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

struct HubTopic {
  std::string topic;               // the ZeroMQ topic, "frame/front/" (required)
  uint64_t messages = 0;           // since the hub started
  double msgs_per_s = 0;           // over the last second, 1 dp
  uint64_t bytes_per_s = 0;        // all parts, over the last second
  int subscribers = 0;             // subscriptions matching the topic
  std::optional<int> publishers;   // lossless publishers of the topic (unknown for live ones)
  uint64_t retries = 0;            // lossless sends a full subscriber refused, retried later
  uint64_t drops = 0;              // messages the hub itself lost (a vanished lossless publisher's queue,
                                   // cached records a full subscriber refused for a second)
  int64_t age_ms = 0;              // since the topic's last message (required)
};

struct HubSubscription {
  std::string prefix;  // "" is everything
  int count = 0;
};

struct Hub {
  static constexpr const char* kType = "hub";
  int64_t t = 0;                  // when, µs since the Unix epoch (required)
  double uptime_s = 0;            // 1 dp
  int publishers = 0;             // connections to the publish endpoint (live publishers)
  int lossless_publishers = 0;    // publishers on the lossless endpoint
  int subscribers = 0;            // connections to the subscribe endpoint
  std::vector<HubTopic> topics;   // by topic (required)
  std::vector<HubSubscription> subscriptions;  // by prefix
};

void to_json(Json& j, const Hub& h);
void from_json(const Json& j, Hub& h);  // throws RecordError("hub: FIELD: PROBLEM")

}  // namespace rvkit::records
