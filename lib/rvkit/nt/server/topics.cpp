// rvkit ntserver: topics as clients see them: creating, deleting and setting a topic in the
// store and telling the clients that subscribe to it; which client gets what (server/impl.hpp).
#include <msgpack.hpp>

#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/wire.hpp"

namespace rvkit::nt {

using namespace server;

Topic& Server::Impl::create_topic(const std::string& name, const std::string& type, const Json& props,
                                  bool server_owned) {
  Topic& t = topics.add(name, type, props, server_owned);
  n_topics = topics.size();
  for (auto& [cid, c] : conns)
    if (c->registered) refresh_client_topic(*c, t);
  if (!t.hidden()) update_topic_meta(t);
  return t;
}

void Server::Impl::delete_topic(int64_t id) {
  Topic* tp = topics.find(id);
  if (!tp) return;
  Topic& t = *tp;
  Json un = control_message("unannounce", Json{{"name", t.name}, {"id", t.id}});
  for (auto& [cid, c] : conns) {
    auto st = c->state.find(id);
    if (st != c->state.end() && st->second.announced) c->queue_text(un);
    c->forget_topic(id);
  }
  std::string name = t.name;
  bool hidden = t.hidden();
  topics.erase(id);
  n_topics = topics.size();
  if (!hidden) {
    drop_meta("$sub$" + name);
    drop_meta("$pub$" + name);
  }
}

void Server::Impl::maybe_delete(int64_t id) {
  Topic* t = topics.find(id);
  if (t && t->unused()) delete_topic(id);
}

void Server::Impl::announce(Conn& c, Topic& t, std::optional<int64_t> pubuid) {
  Json p = {{"name", t.name}, {"id", t.id}, {"type", t.type}, {"properties", t.props}};
  if (pubuid) p["pubuid"] = *pubuid;
  c.state[t.id].announced = true;
  c.queue_text(control_message("announce", std::move(p)));
}

// Works out what client `c` wants of topic `t` and announces it when newly subscribed. Its
// cached value is the caller's to send (subscribe sends it for the new subscription only).
void Server::Impl::refresh_client_topic(Conn& c, Topic& t) {
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
}

void Server::Impl::set_value(Topic& t, Value v, int64_t ts, Conn* from) {
  msgpack::sbuffer buf;
  append_value_message(buf, t.id, ts, v);
  std::string msg(buf.data(), buf.size());
  topics.keep_value(t, std::move(v), ts, msg);
  for (auto& [cid, c] : conns) {
    if (c.get() == from || !c->registered) continue;
    auto it = c->state.find(t.id);
    if (it == c->state.end() || !it->second.values) continue;
    c->queue_value(t.id, msg, it->second.all);
  }
}

}  // namespace rvkit::nt
