// rvkit hub: the last-value cache, so a subscriber that joins late gets the state it needs at once.
//
// ZeroMQ delivers only what is published after a subscription arrives ("slow joiner"): a stage
// started after `stream` announced its cameras would never see a `camera` record, nor the robot's
// state until it next changes. The hub keeps the latest message of every state topic and, when a new
// subscription arrives (on its lossless XPUB, which every hub input connects to), re-sends the
// cached messages that subscription matches there, never dropped at the high-water mark. (XPUB sends
// to every matching subscriber, so those already subscribed see a repeat: harmless for state
// records, which say "this is how things are now".) libzmq's own XPUB_MANUAL_LAST_VALUE is a draft API, not in
// Debian's libzmq.
//
// The state record types (docs/protocol.md, "The hub"): `camera` (one per cam: topic camera/CAM/),
// `nt` (one per NetworkTables topic: the key is the record's `topic` field), `nt_snapshot`, `hub`.
// Never frames, never `eos` (a late subscriber must not end at somebody else's old end). At most
// kMaxEntries are kept; new keys beyond that are not cached. Messages are kept as copies of their
// parts (small records); pure, no sockets; one thread.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rvkit::hub {

// The record types whose latest message the hub caches, in documentation order.
const std::vector<std::string>& state_record_types();
// True when `topic` ("camera/front/", "nt/") is the topic of a state record type.
bool is_state_topic(std::string_view topic);

class LastValueCache {
 public:
  static constexpr size_t kMaxEntries = 4096;

  struct Entry {
    std::string topic;
    std::vector<std::string> parts;  // the whole message: topic, header[, payload]
  };
  using Key = std::pair<std::string, std::string>;  // topic, key within it (an nt record's topic)

  // Keeps `parts` as the latest message of (`topic`, the key of its header) when `topic` is a state
  // topic; `header` is the message's header part (JSON), read only for `nt` records. Returns whether
  // it was kept.
  bool store(std::string_view topic, std::string_view header, std::vector<std::string> parts);
  // The cached messages a subscription to `prefix` matches, in (topic, key) order.
  std::vector<const Entry*> matching(std::string_view prefix) const;
  // Their keys, to look up later (find: nullptr when gone), so a delayed send sends the latest.
  std::vector<Key> keys_matching(std::string_view prefix) const;
  const Entry* find(const Key& key) const;
  size_t size() const { return entries_.size(); }

 private:
  std::map<Key, Entry> entries_;
};

}  // namespace rvkit::hub
