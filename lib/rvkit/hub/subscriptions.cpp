// rvkit hub: the subscriptions downstream of the hub (see subscriptions.hpp).
#include "rvkit/hub/subscriptions.hpp"

namespace rvkit::hub {

void SubscriptionSet::add(const std::string& prefix) {
  ++counts_[prefix];
  ++total_;
}

void SubscriptionSet::remove(const std::string& prefix) {
  auto it = counts_.find(prefix);
  if (it == counts_.end()) return;
  --total_;
  if (--it->second == 0) counts_.erase(it);
}

std::optional<std::string> SubscriptionSet::apply(const void* data, size_t size) {
  if (size < 1) return std::nullopt;
  const char* p = static_cast<const char*>(data);
  std::string prefix(p + 1, size - 1);
  if (p[0] == 1) {
    add(prefix);
    return prefix;
  }
  if (p[0] == 0) remove(prefix);
  return std::nullopt;
}

int SubscriptionSet::matching(std::string_view topic) const {
  // A handful of prefixes on a robot: a scan is simpler than a trie and fast enough per message.
  int n = 0;
  for (const auto& [prefix, count] : counts_)
    if (topic.substr(0, prefix.size()) == prefix) n += count;
  return n;
}

}  // namespace rvkit::hub
