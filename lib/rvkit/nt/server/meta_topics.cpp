// rvkit ntserver: the meta topics of the NT4 spec ($clients, $serversub, $serverpub, $clientsub$NAME,
// $clientpub$NAME, $sub$TOPIC, $pub$TOPIC), kept up to date as clients subscribe and publish.
#include <msgpack.hpp>

#include "rvkit/core/clock.hpp"
#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"

namespace rvkit::nt {

using namespace server;

namespace {

void pack_json(msgpack::packer<msgpack::sbuffer>& pk, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      pk.pack_map(uint32_t(j.size()));
      for (auto it = j.begin(); it != j.end(); ++it) {
        pk.pack(it.key());
        pack_json(pk, *it);
      }
      break;
    case Json::value_t::array:
      pk.pack_array(uint32_t(j.size()));
      for (const auto& e : j) pack_json(pk, e);
      break;
    case Json::value_t::string: pk.pack(j.get<std::string>()); break;
    case Json::value_t::boolean: pk.pack(j.get<bool>()); break;
    case Json::value_t::number_integer: pk.pack_int64(j.get<int64_t>()); break;
    case Json::value_t::number_unsigned: pk.pack_uint64(j.get<uint64_t>()); break;
    case Json::value_t::number_float: pk.pack_double(j.get<double>()); break;
    default: pk.pack_nil(); break;
  }
}

Bytes json_to_msgpack(const Json& j) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pack_json(pk, j);
  const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
  return Bytes(p, p + buf.size());
}

}  // namespace

void Server::Impl::set_meta(const std::string& name, const Json& content) {
  auto mc = meta_cache.find(name);
  if (mc != meta_cache.end() && mc->second == content) return;
  meta_cache[name] = content;
  Topic* t = find_topic(name);
  if (!t) t = &create_topic(name, "msgpack", Json::object(), true);
  set_value(*t, Value::raw(json_to_msgpack(content)), mono_us(), nullptr);
}

void Server::Impl::drop_meta(const std::string& name) {
  meta_cache.erase(name);
  if (Topic* t = find_topic(name)) delete_topic(t->id);
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
    auto it = topics.find(tid);
    if (it != topics.end()) pubs.push_back(Json{{"uid", uid}, {"topic", it->second.name}});
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
  std::vector<int64_t> ids;
  for (const auto& [id, t] : topics)
    if (!t.hidden()) ids.push_back(id);
  for (int64_t id : ids) {
    auto it = topics.find(id);
    if (it != topics.end()) update_topic_meta(it->second);
  }
}

}  // namespace rvkit::nt
