// rvkit hub: per-topic counters of the hub, turned into the `topics` of the `hub` record.
//
// The proxy calls message() for every message it forwards (live or lossless) and report() every
// 250 ms; rates are over the last `window_us` (1 s): the oldest sample at least a window old is the
// reference, and a topic younger than a window is averaged over a whole window, so a first burst is
// never reported as a huge rate. Topics are never forgotten: a stalled one stays with a growing
// `age_ms`, which is what the supervisor's stall watchdog looks for; past kMaxTopics, new topics
// are counted together under the topic kOtherTopics. Pure, no sockets; one thread.
// Times are microseconds on any one monotonic clock.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rvkit/records/hub.hpp"

namespace rvkit::hub {

class SubscriptionSet;

class TopicStats {
 public:
  static constexpr size_t kMaxTopics = 4096;
  static constexpr const char* kOtherTopics = "*";

  explicit TopicStats(int64_t window_us = 1'000'000) : window_us_(window_us) {}

  // One message of `bytes` (all its parts) on `topic` at `now_us`.
  void message(std::string_view topic, uint64_t bytes, int64_t now_us);
  // A lossless send refused by a full subscriber (retried later).
  void retry(std::string_view topic, uint64_t n = 1);
  // Messages the hub lost itself.
  void drop(std::string_view topic, uint64_t n = 1);

  // Every topic seen, in topic order; `subscribers` from `subs`, `publishers` from
  // `lossless_publishers` (topic -> count) where the topic is there.
  std::vector<records::HubTopic> report(int64_t now_us, const SubscriptionSet& subs,
                                        const std::map<std::string, int>& lossless_publishers);

  size_t size() const { return topics_.size(); }

 private:
  struct Sample {
    int64_t t;
    uint64_t messages, bytes;
  };
  struct Topic {
    uint64_t messages = 0, bytes = 0, retries = 0, drops = 0;
    int64_t first_us = 0, last_us = 0;
    std::deque<Sample> samples;  // taken by report(), the oldest first
  };
  Topic& topic(std::string_view name, int64_t now_us);

  int64_t window_us_;
  std::map<std::string, Topic, std::less<>> topics_;
};

}  // namespace rvkit::hub
