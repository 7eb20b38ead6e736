// rvkit ntserver: the topic store (server/topic_store.hpp).
#include "rvkit/nt/server/topic_store.hpp"

namespace rvkit::nt::server {

bool sub_matches(const ClientSub& s, const Topic& t) {
  for (const auto& p : s.topics) {
    // Meta topics are only for subscriptions that name them ("$" or longer).
    if (t.hidden() && (p.empty() || p[0] != '$')) continue;
    if (s.prefix ? starts_with(t.name, p) : t.name == p) return true;
  }
  return false;
}

Topic* TopicStore::find(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  return &topics_.at(it->second);
}

Topic* TopicStore::find(int64_t id) {
  auto it = topics_.find(id);
  return it == topics_.end() ? nullptr : &it->second;
}

Topic& TopicStore::add(const std::string& name, const std::string& type, const Json& props, bool server_owned) {
  int64_t id = next_id_++;
  Topic& t = topics_[id];
  t.id = id;
  t.name = name;
  t.type = type;
  t.props = props.is_object() ? props : Json::object();
  t.server_owned = server_owned;
  by_name_[name] = id;
  if (t.persistent()) persist_dirty = true;
  return t;
}

void TopicStore::erase(int64_t id) {
  auto it = topics_.find(id);
  if (it == topics_.end()) return;
  if (it->second.persistent()) persist_dirty = true;
  by_name_.erase(it->second.name);
  topics_.erase(it);
}

void TopicStore::keep_value(Topic& t, Value&& v, int64_t ts, const std::string& msg) {
  if (t.cached() && (!t.value || ts >= t.ts)) {
    t.value = std::move(v);
    t.ts = ts;
    t.last_msg = msg;
    if (t.persistent()) persist_dirty = true;
  }
}

std::vector<int64_t> TopicStore::visible_ids() const {
  std::vector<int64_t> ids;
  for (const auto& [id, t] : topics_)
    if (!t.hidden()) ids.push_back(id);
  return ids;
}

}  // namespace rvkit::nt::server
