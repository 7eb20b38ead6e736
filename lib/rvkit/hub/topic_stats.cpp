// rvkit hub: per-topic counters (see topic_stats.hpp).
#include "rvkit/hub/topic_stats.hpp"

#include <algorithm>

#include "rvkit/hub/subscriptions.hpp"

namespace rvkit::hub {

TopicStats::Topic& TopicStats::topic(std::string_view name, int64_t now_us) {
  auto it = topics_.find(name);
  if (it == topics_.end() && topics_.size() >= kMaxTopics) {
    name = kOtherTopics;
    it = topics_.find(name);
  }
  if (it == topics_.end()) {
    it = topics_.emplace(std::string(name), Topic{}).first;
    it->second.first_us = it->second.last_us = now_us;
    it->second.samples.push_back({now_us, 0, 0});
  }
  return it->second;
}

void TopicStats::message(std::string_view name, uint64_t bytes, int64_t now_us) {
  Topic& t = topic(name, now_us);
  ++t.messages;
  t.bytes += bytes;
  t.last_us = now_us;
}

void TopicStats::retry(std::string_view name, uint64_t n) {
  auto it = topics_.find(name);
  if (it != topics_.end()) it->second.retries += n;
}

void TopicStats::drop(std::string_view name, uint64_t n) {
  auto it = topics_.find(name);
  if (it != topics_.end()) it->second.drops += n;
}

std::vector<records::HubTopic> TopicStats::report(int64_t now_us, const SubscriptionSet& subs,
                                                  const std::map<std::string, int>& lossless_publishers) {
  std::vector<records::HubTopic> out;
  out.reserve(topics_.size());
  for (auto& [name, t] : topics_) {
    t.samples.push_back({now_us, t.messages, t.bytes});
    // Keep one sample at least a window old as the reference, and nothing older.
    while (t.samples.size() > 2 && t.samples[1].t <= now_us - window_us_) t.samples.pop_front();
    const Sample& ref = t.samples.front();
    double seconds = double(std::max(now_us - ref.t, window_us_)) / 1e6;
    records::HubTopic r;
    r.topic = name;
    r.messages = t.messages;
    r.msgs_per_s = double(t.messages - ref.messages) / seconds;
    r.bytes_per_s = uint64_t(double(t.bytes - ref.bytes) / seconds + 0.5);
    r.subscribers = subs.matching(name);
    auto p = lossless_publishers.find(name);
    if (p != lossless_publishers.end()) r.publishers = p->second;
    r.retries = t.retries;
    r.drops = t.drops;
    r.age_ms = std::max<int64_t>(0, (now_us - t.last_us) / 1000);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rvkit::hub
