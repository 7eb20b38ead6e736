// rvkit hub: the subscriptions downstream of the hub, as a multiset of topic prefixes.
//
// The hub's XPUB socket runs with XPUB_VERBOSER, so it hands up every subscribe and every unsubscribe
// of every subscriber (a disconnecting subscriber unsubscribes each of its prefixes): counting them
// gives, for any topic, how many subscriptions match it (ZeroMQ matches by prefix, "" matches all).
// That number is the `subscribers` of a topic in the `hub` record, and "some subscription matches" is
// what a lossless publisher's first message waits for. Pure bookkeeping, no sockets; one thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rvkit::hub {

class SubscriptionSet {
 public:
  void add(const std::string& prefix);
  // A prefix never added is ignored (the count never goes below zero).
  void remove(const std::string& prefix);
  // A subscription message as XPUB delivers it: byte 1 (subscribe) or 0 (unsubscribe), then the
  // prefix. Returns the prefix of a subscribe (the hub then replays its cached state records for
  // it), nullopt for an unsubscribe or a message that is neither.
  std::optional<std::string> apply(const void* data, size_t size);

  // How many subscriptions (with repeats) are prefixes of `topic`.
  int matching(std::string_view topic) const;
  bool any_matching(std::string_view topic) const { return matching(topic) > 0; }
  // Prefix -> how many subscriptions, for the `hub` record.
  const std::map<std::string, int, std::less<>>& prefixes() const { return counts_; }
  int total() const { return total_; }

 private:
  std::map<std::string, int, std::less<>> counts_;
  int total_ = 0;
};

}  // namespace rvkit::hub
