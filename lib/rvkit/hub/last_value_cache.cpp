// rvkit hub: the last-value cache (see last_value_cache.hpp).
#include "rvkit/hub/last_value_cache.hpp"

#include "rvkit/core/json.hpp"

namespace rvkit::hub {

const std::vector<std::string>& state_record_types() {
  static const std::vector<std::string> types{"camera", "nt", "nt_snapshot", "hub"};
  return types;
}

bool is_state_topic(std::string_view topic) {
  auto slash = topic.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view type = topic.substr(0, slash);
  for (const std::string& t : state_record_types())
    if (type == t) return true;
  return false;
}

namespace {

// nt records share the ZeroMQ topic "nt/": one cache entry per NetworkTables topic.
std::string key_of(std::string_view topic, std::string_view header) {
  if (topic != "nt/") return "";
  Json h = Json::parse(header, nullptr, false);
  if (!h.is_object()) return "";
  auto t = h.find("topic");
  return t != h.end() && t->is_string() ? t->get<std::string>() : "";
}

}  // namespace

bool LastValueCache::store(std::string_view topic, std::string_view header, std::vector<std::string> parts) {
  if (!is_state_topic(topic)) return false;
  std::pair<std::string, std::string> key{std::string(topic), key_of(topic, header)};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxEntries) return false;
    it = entries_.emplace(key, Entry{key.first, {}}).first;
  }
  it->second.parts = std::move(parts);
  return true;
}

std::vector<const LastValueCache::Entry*> LastValueCache::matching(std::string_view prefix) const {
  std::vector<const Entry*> out;
  // Keys sort by topic, so the matches are one run starting at the prefix.
  for (auto it = entries_.lower_bound({std::string(prefix), ""}); it != entries_.end(); ++it) {
    if (it->first.first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(&it->second);
  }
  return out;
}

std::vector<LastValueCache::Key> LastValueCache::keys_matching(std::string_view prefix) const {
  std::vector<Key> out;
  for (auto it = entries_.lower_bound({std::string(prefix), ""}); it != entries_.end(); ++it) {
    if (it->first.first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

const LastValueCache::Entry* LastValueCache::find(const Key& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace rvkit::hub
