// rvkit ntserver: what clients send: text frames of control messages (publish, unpublish,
// setproperties, subscribe, unsubscribe) and binary frames of values and RTT pings.
#include <optional>

#include <fmt/format.h>
#include <msgpack.hpp>

#include "rvkit/core/clock.hpp"
#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/wire.hpp"

namespace rvkit::nt {

using namespace server;

void Server::Impl::bad(Conn& c, const std::string& what) {
  n_bad++;
  if (++c.n_bad <= 5 || opts.verbose)
    log(fmt::format("client {}: ignoring a bad message: {}{}", c.name, what,
                    c.n_bad == 5 && !opts.verbose ? " (further ones not shown)" : ""));
}

void Server::Impl::on_text(const std::shared_ptr<Conn>& c, std::string_view text) {
  if (c->rtt_only) return bad(*c, "a text frame on the RTT channel");
  decode_text_frame(
      text, [&](const std::string& method, const Json& params) { if (!c->closed) on_control(c, method, params); },
      [&](const std::string& why) { bad(*c, why); });
}

void Server::Impl::on_binary(const std::shared_ptr<Conn>& c, const uint8_t* p, size_t n) {
  decode_binary_frame(
      p, n,
      [&](const BinaryMessage& m) {
        if (c->closed) return;
        if (m.id == kRttId) {
          // Answer at once, ahead of anything else queued: [-1, server time, type, their value].
          msgpack::sbuffer buf;
          msgpack::packer<msgpack::sbuffer> pk(buf);
          pk.pack_array(4);
          pk.pack_int64(kRttId);
          pk.pack_int64(mono_us());
          pk.pack_int64(m.type_id);
          pk.pack(*m.value);
          c->rtt_out.append(buf.data(), buf.size());
          c->schedule();
          return;
        }
        if (c->rtt_only) return bad(*c, "a value message on the RTT channel");
        on_value(c, m);
      },
      [&](const std::string& why) { bad(*c, why); });
}

void Server::Impl::on_value(const std::shared_ptr<Conn>& c, const BinaryMessage& m) {
  auto pi = c->pubs.find(m.id);
  if (pi == c->pubs.end()) return;  // the spec: ignore unknown publisher ids
  auto ti = topics.find(pi->second);
  if (ti == topics.end()) return;
  Topic& t = ti->second;
  NtType want = type_of(t.type);
  if (m.type_id != int64_t(want)) {
    bool numeric = (want == NtType::Double || want == NtType::Int || want == NtType::Float) &&
                   (m.type_id == 1 || m.type_id == 2 || m.type_id == 3);
    if (!numeric)
      return bad(*c, fmt::format("a value of type {} for {} topic {}", m.type_id, t.type, t.name));
  }
  auto v = value_from_msgpack(want, *m.value);
  if (!v) return bad(*c, fmt::format("an undecodable {} value for {}", t.type, t.name));
  if (m.timestamp < 0) return bad(*c, fmt::format("a negative timestamp for {}", t.name));
  n_in++;
  set_value(t, std::move(*v), m.timestamp, c.get());
}

void Server::Impl::on_control(const std::shared_ptr<Conn>& cp, const std::string& method, const Json& params) {
  Conn& c = *cp;
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = params.find(k);
    if (it != params.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
  };
  auto integer = [&](const char* k) -> std::optional<int64_t> {
    auto it = params.find(k);
    if (it != params.end() && it->is_number_integer()) return it->get<int64_t>();
    if (it != params.end() && it->is_number_float()) {  // JavaScript peers
      double d = it->get<double>();
      if (d == double(int64_t(d))) return int64_t(d);
    }
    return std::nullopt;
  };
  auto object = [&](const char* k) -> Json {
    auto it = params.find(k);
    if (it != params.end() && it->is_object()) return *it;
    return Json::object();
  };

  if (method == "publish") {
    auto name = str("name");
    auto type = str("type");
    auto uid = integer("pubuid");
    if (!name || !type || !uid) return bad(c, "publish without name, type and pubuid");
    if (!name->empty() && (*name)[0] == '$') return bad(c, fmt::format("publish of reserved name {}", *name));
    if (c.pubs.count(*uid)) return bad(c, fmt::format("publish with pubuid {} already in use", *uid));
    Topic* t = find_topic(*name);
    if (!t) t = &create_topic(*name, *type, object("properties"), false);
    else if (t->type != *type && opts.verbose)
      log(fmt::format("client {} publishes {} as {}, but it is {}", c.name, *name, *type, t->type));
    t->publishers++;
    c.pubs[*uid] = t->id;
    announce(c, *t, *uid);  // always, even if announced before (the spec)
    refresh_client_topic(c, *t, false);
    update_client_meta(c);
    update_topic_meta(*t);
  } else if (method == "unpublish") {
    auto uid = integer("pubuid");
    if (!uid) return bad(c, "unpublish without pubuid");
    auto it = c.pubs.find(*uid);
    if (it == c.pubs.end()) return;
    int64_t tid = it->second;
    c.pubs.erase(it);
    auto ti = topics.find(tid);
    if (ti != topics.end()) {
      ti->second.publishers--;
      update_topic_meta(ti->second);
      maybe_delete(tid);
    }
    update_client_meta(c);
  } else if (method == "setproperties") {
    auto name = str("name");
    auto up = params.find("update");
    if (!name || up == params.end() || !up->is_object()) return bad(c, "setproperties without name and update");
    Topic* t = find_topic(*name);
    if (!t || t->server_owned) return;  // the spec: ignored if the topic is not published
    bool was_persistent = t->persistent();
    for (auto it = up->begin(); it != up->end(); ++it) {
      if (it->is_null()) t->props.erase(it.key());
      else t->props[it.key()] = *it;
    }
    if (!t->cached()) {
      t->value.reset();
      t->last_msg.clear();
    }
    if (was_persistent || t->persistent()) persist_dirty = true;
    Json others = control_message("properties", Json{{"name", t->name}, {"update", *up}});
    for (auto& [cid, o] : conns) {
      if (o.get() == &c || !o->registered) continue;
      auto st = o->state.find(t->id);
      if (st != o->state.end() && st->second.announced) o->queue_text(others);
    }
    c.queue_text(control_message("properties", Json{{"name", t->name}, {"ack", true}, {"update", *up}}));
    maybe_delete(t->id);
  } else if (method == "subscribe") {
    auto uid = integer("subuid");
    auto ti = params.find("topics");
    if (!uid || ti == params.end() || !ti->is_array()) return bad(c, "subscribe without subuid and topics");
    ClientSub s;
    for (const auto& e : *ti) {
      if (!e.is_string()) return bad(c, "subscribe with a topic that is not a string");
      s.topics.push_back(e.get<std::string>());
    }
    s.options = object("options");
    auto flag = [&](const char* k) {
      auto it = s.options.find(k);
      return it != s.options.end() && it->is_boolean() && it->get<bool>();
    };
    s.prefix = flag("prefix");
    s.all = flag("all");
    s.topicsonly = flag("topicsonly");
    if (auto it = s.options.find("periodic"); it != s.options.end() && it->is_number()) s.periodic = it->get<double>();
    if (!(s.periodic > 0) || s.periodic != s.periodic) s.periodic = 0.1;
    c.subs[*uid] = s;
    c.recompute_period();
    // Announce what is newly matched; send the current values of the topics this subscription
    // matches (not again those of the client's other subscriptions).
    for (auto& [id, t] : topics) {
      refresh_client_topic(c, t, false);
      if (!s.topicsonly && t.value && t.cached() && sub_matches(s, t)) c.queue_value(t.id, t.last_msg, c.state[t.id].all);
    }
    update_client_meta(c);
    std::vector<int64_t> ids;
    for (const auto& [id, t] : topics)
      if (!t.hidden()) ids.push_back(id);
    for (int64_t id : ids) {
      auto it = topics.find(id);
      if (it != topics.end()) update_topic_meta(it->second);
    }
  } else if (method == "unsubscribe") {
    auto uid = integer("subuid");
    if (!uid) return bad(c, "unsubscribe without subuid");
    if (!c.subs.erase(*uid)) return;
    c.recompute_period();
    for (auto& [id, t] : topics) refresh_client_topic(c, t, false);
    update_client_meta(c);
    std::vector<int64_t> ids;
    for (const auto& [id, t] : topics)
      if (!t.hidden()) ids.push_back(id);
    for (int64_t id : ids) {
      auto it = topics.find(id);
      if (it != topics.end()) update_topic_meta(it->second);
    }
  } else {
    bad(c, fmt::format("unknown method '{}'", method.substr(0, 40)));
  }
}

}  // namespace rvkit::nt
