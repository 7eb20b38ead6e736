// rvkit ntserver: the meta topics of the NT4 spec ($clients, $serversub, $serverpub, $clientsub$NAME,
// $clientpub$NAME, $sub$TOPIC, $pub$TOPIC), kept up to date as clients subscribe and publish.
#include "rvkit/core/clock.hpp"
#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

using namespace server;

void Server::Impl::set_meta(const std::string& name, const Json& content) {
  auto mc = meta_cache.find(name);
  if (mc != meta_cache.end() && mc->second == content) return;
  meta_cache[name] = content;
  Topic* t = topics.find(name);
  if (!t) t = &create_topic(name, "msgpack", Json::object(), true);
  set_value(*t, Value::raw(json_to_msgpack(content)), mono_us(), nullptr);
}

void Server::Impl::drop_meta(const std::string& name) {
  meta_cache.erase(name);
  if (Topic* t = topics.find(name)) delete_topic(t->id);
}

void Server::Impl::update_clients_meta() {
  Json a = Json::array();
  for (auto& [cid, c] : conns)
    if (c->registered) a.push_back(Json{{"id", c->name}, {"conn", c->peer}});
  set_meta("$clients", a);
}

void Server::Impl::update_client_meta(Conn& c) {
  Json subs = Json::array();
  for (const auto& [uid, s] : c.subs) subs.push_back(Json{{"uid", uid}, {"topics", s.topics}, {"options", s.options}});
  set_meta("$clientsub$" + c.name, subs);
  Json pubs = Json::array();
  for (const auto& [uid, tid] : c.pubs) {
    if (const Topic* t = topics.find(tid)) pubs.push_back(Json{{"uid", uid}, {"topic", t->name}});
  }
  set_meta("$clientpub$" + c.name, pubs);
}

void Server::Impl::update_topic_meta(const Topic& t) {
  Json subs = Json::array(), pubs = Json::array();
  for (auto& [cid, c] : conns) {
    if (!c->registered) continue;
    for (const auto& [uid, s] : c->subs)
      if (sub_matches(s, t)) subs.push_back(Json{{"client", c->name}, {"subuid", uid}, {"options", s.options}});
    for (const auto& [uid, tid] : c->pubs)
      if (tid == t.id) pubs.push_back(Json{{"client", c->name}, {"pubuid", uid}});
  }
  set_meta("$sub$" + t.name, subs);
  set_meta("$pub$" + t.name, pubs);
}


// update_topic_meta() of every topic but the meta topics. Their ids are taken first: updating
// creates and deletes meta topics, which would disturb a walk over `topics`.
void Server::Impl::update_topics_meta() {
  for (int64_t id : topics.visible_ids())
    if (const Topic* t = topics.find(id)) update_topic_meta(*t);
}

}  // namespace rvkit::nt
