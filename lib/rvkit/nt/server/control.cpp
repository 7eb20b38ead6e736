// rvkit ntserver: what clients send: text frames of control messages (publish, unpublish,
// setproperties, subscribe, unsubscribe; one handler each, found by method name in
// kControlHandlers) and binary frames of values and RTT pings.
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
  Topic* tp = topics.find(pi->second);
  if (!tp) return;
  Topic& t = *tp;
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

namespace {

// The params of one control message. Absent or mistyped fields read as nothing; whole doubles
// count as integers (JavaScript peers send ids as doubles).
struct Params {
  const Json& j;

  std::optional<std::string> str(const char* k) const {
    auto it = j.find(k);
    if (it != j.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
  }
  std::optional<int64_t> integer(const char* k) const {
    auto it = j.find(k);
    if (it != j.end() && it->is_number_integer()) return it->get<int64_t>();
    if (it != j.end() && it->is_number_float()) {  // JavaScript peers
      double d = it->get<double>();
      if (d == double(int64_t(d))) return int64_t(d);
    }
    return std::nullopt;
  }
  Json object(const char* k) const {
    auto it = j.find(k);
    if (it != j.end() && it->is_object()) return *it;
    return Json::object();
  }
};

void on_publish(Server::Impl& s, Conn& c, const Params& params) {
  auto name = params.str("name");
  auto type = params.str("type");
  auto uid = params.integer("pubuid");
  if (!name || !type || !uid) return s.bad(c, "publish without name, type and pubuid");
  if (!name->empty() && (*name)[0] == '$') return s.bad(c, fmt::format("publish of reserved name {}", *name));
  if (c.pubs.count(*uid)) return s.bad(c, fmt::format("publish with pubuid {} already in use", *uid));
  Topic* t = s.topics.find(*name);
  if (!t) t = &s.create_topic(*name, *type, params.object("properties"), false);
  else if (t->type != *type && s.opts.verbose)
    s.log(fmt::format("client {} publishes {} as {}, but it is {}", c.name, *name, *type, t->type));
  t->publishers++;
  c.pubs[*uid] = t->id;
  s.announce(c, *t, *uid);  // always, even if announced before (the spec)
  s.refresh_client_topic(c, *t);
  s.update_client_meta(c);
  s.update_topic_meta(*t);
}

void on_unpublish(Server::Impl& s, Conn& c, const Params& params) {
  auto uid = params.integer("pubuid");
  if (!uid) return s.bad(c, "unpublish without pubuid");
  auto it = c.pubs.find(*uid);
  if (it == c.pubs.end()) return;
  int64_t tid = it->second;
  c.pubs.erase(it);
  if (Topic* t = s.topics.find(tid)) {
    t->publishers--;
    s.update_topic_meta(*t);
    s.maybe_delete(tid);
  }
  s.update_client_meta(c);
}

void on_setproperties(Server::Impl& s, Conn& c, const Params& params) {
  auto name = params.str("name");
  auto up = params.j.find("update");
  if (!name || up == params.j.end() || !up->is_object()) return s.bad(c, "setproperties without name and update");
  Topic* t = s.topics.find(*name);
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
  if (was_persistent || t->persistent()) s.topics.persist_dirty = true;
  Json others = control_message("properties", Json{{"name", t->name}, {"update", *up}});
  for (auto& [cid, o] : s.conns) {
    if (o.get() == &c || !o->registered) continue;
    auto st = o->state.find(t->id);
    if (st != o->state.end() && st->second.announced) o->queue_text(others);
  }
  c.queue_text(control_message("properties", Json{{"name", t->name}, {"ack", true}, {"update", *up}}));
  s.maybe_delete(t->id);
}

void on_subscribe(Server::Impl& s, Conn& c, const Params& params) {
  auto uid = params.integer("subuid");
  auto ti = params.j.find("topics");
  if (!uid || ti == params.j.end() || !ti->is_array()) return s.bad(c, "subscribe without subuid and topics");
  ClientSub sub;
  for (const auto& e : *ti) {
    if (!e.is_string()) return s.bad(c, "subscribe with a topic that is not a string");
    sub.topics.push_back(e.get<std::string>());
  }
  sub.options = params.object("options");
  auto flag = [&](const char* k) {
    auto it = sub.options.find(k);
    return it != sub.options.end() && it->is_boolean() && it->get<bool>();
  };
  sub.prefix = flag("prefix");
  sub.all = flag("all");
  sub.topicsonly = flag("topicsonly");
  if (auto it = sub.options.find("periodic"); it != sub.options.end() && it->is_number())
    sub.periodic = it->get<double>();
  if (!(sub.periodic > 0) || sub.periodic != sub.periodic) sub.periodic = 0.1;
  c.subs[*uid] = sub;
  c.recompute_period();
  // Announce what is newly matched; send the current values of the topics this subscription
  // matches (not again those of the client's other subscriptions).
  for (auto& [id, t] : s.topics) {
    s.refresh_client_topic(c, t);
    if (!sub.topicsonly && t.value && t.cached() && sub_matches(sub, t))
      c.queue_value(t.id, t.last_msg, c.state[t.id].all);
  }
  s.update_client_meta(c);
  s.update_topics_meta();
}

void on_unsubscribe(Server::Impl& s, Conn& c, const Params& params) {
  auto uid = params.integer("subuid");
  if (!uid) return s.bad(c, "unsubscribe without subuid");
  if (!c.subs.erase(*uid)) return;
  c.recompute_period();
  for (auto& [id, t] : s.topics) s.refresh_client_topic(c, t);
  s.update_client_meta(c);
  s.update_topics_meta();
}

// The control messages a client may send (the NT4 spec, "Client-to-Server Messages").
struct ControlHandler {
  const char* method;
  void (*handle)(Server::Impl&, Conn&, const Params&);
};
constexpr ControlHandler kControlHandlers[] = {
    {"publish", on_publish},
    {"unpublish", on_unpublish},
    {"setproperties", on_setproperties},
    {"subscribe", on_subscribe},
    {"unsubscribe", on_unsubscribe},
};

}  // namespace

void Server::Impl::on_control(const std::shared_ptr<Conn>& c, const std::string& method, const Json& params) {
  for (const auto& h : kControlHandlers)
    if (method == h.method) return h.handle(*this, *c, Params{params});
  bad(*c, fmt::format("unknown method '{}'", method.substr(0, 40)));
}

}  // namespace rvkit::nt
