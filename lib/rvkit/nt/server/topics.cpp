// rvkit ntserver: the topic store: topics, their properties and cached values, and which client
// gets what (server/topic_store.hpp, server/impl.hpp).
#include <msgpack.hpp>

#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/wire.hpp"

namespace rvkit::nt {

using namespace server;

bool server::sub_matches(const ClientSub& s, const Topic& t) {
  for (const auto& p : s.topics) {
    // Meta topics are only for subscriptions that name them ("$" or longer).
    if (t.hidden() && (p.empty() || p[0] != '$')) continue;
    if (s.prefix ? starts_with(t.name, p) : t.name == p) return true;
  }
  return false;
}

Topic* Server::Impl::find_topic(const std::string& name) {
  auto it = topic_by_name.find(name);
  if (it == topic_by_name.end()) return nullptr;
  return &topics.at(it->second);
}

Topic& Server::Impl::create_topic(const std::string& name, const std::string& type, const Json& props,
                                  bool server_owned) {
  int64_t id = next_topic_id++;
  Topic& t = topics[id];
  t.id = id;
  t.name = name;
  t.type = type;
  t.props = props.is_object() ? props : Json::object();
  t.server_owned = server_owned;
  topic_by_name[name] = id;
  n_topics = topics.size();
  for (auto& [cid, c] : conns)
    if (c->registered) refresh_client_topic(*c, t, false);
  if (!t.hidden()) update_topic_meta(t);
  if (t.persistent()) persist_dirty = true;
  return t;
}

void Server::Impl::delete_topic(int64_t id) {
  auto it = topics.find(id);
  if (it == topics.end()) return;
  Topic& t = it->second;
  Json un = control_message("unannounce", Json{{"name", t.name}, {"id", t.id}});
  for (auto& [cid, c] : conns) {
    auto st = c->state.find(id);
    if (st != c->state.end() && st->second.announced) c->queue_text(un);
    c->forget_topic(id);
  }
  std::string name = t.name;
  bool hidden = t.hidden();
  if (t.persistent()) persist_dirty = true;
  topic_by_name.erase(name);
  topics.erase(it);
  n_topics = topics.size();
  if (!hidden) {
    drop_meta("$sub$" + name);
    drop_meta("$pub$" + name);
  }
}

void Server::Impl::maybe_delete(int64_t id) {
  auto it = topics.find(id);
  if (it == topics.end()) return;
  Topic& t = it->second;
  if (t.publishers <= 0 && !t.server_owned && !t.persistent() && !t.retained()) delete_topic(id);
}


void Server::Impl::announce(Conn& c, Topic& t, std::optional<int64_t> pubuid) {
  Json p = {{"name", t.name}, {"id", t.id}, {"type", t.type}, {"properties", t.props}};
  if (pubuid) p["pubuid"] = *pubuid;
  c.state[t.id].announced = true;
  c.queue_text(control_message("announce", std::move(p)));
}

// Works out what client `c` wants of topic `t`; announces it when newly subscribed and, with
// send_cached, queues its current value.
void Server::Impl::refresh_client_topic(Conn& c, Topic& t, bool send_cached) {
  bool subscribed = false, values = false, all = false;
  for (const auto& [uid, s] : c.subs) {
    if (!sub_matches(s, t)) continue;
    subscribed = true;
    if (!s.topicsonly) {
      values = true;
      all = all || s.all;
    }
  }
  if (!subscribed) {
    auto it = c.state.find(t.id);
    if (it != c.state.end()) it->second.values = it->second.all = false;
    return;
  }
  TopicState& st = c.state[t.id];
  st.values = values;
  st.all = all;
  if (!st.announced) announce(c, t, std::nullopt);
  if (send_cached && values && t.value && t.cached()) c.queue_value(t.id, t.last_msg, all);
}

void Server::Impl::set_value(Topic& t, Value v, int64_t ts, Conn* from) {
  msgpack::sbuffer buf;
  append_value_message(buf, t.id, ts, v);
  std::string msg(buf.data(), buf.size());
  if (t.cached() && (!t.value || ts >= t.ts)) {
    t.value = std::move(v);
    t.ts = ts;
    t.last_msg = msg;
    if (t.persistent()) persist_dirty = true;
  }
  for (auto& [cid, c] : conns) {
    if (c.get() == from || !c->registered) continue;
    auto it = c->state.find(t.id);
    if (it == c->state.end() || !it->second.values) continue;
    c->queue_value(t.id, msg, it->second.all);
  }
}

}  // namespace rvkit::nt
