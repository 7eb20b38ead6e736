#include "rvkit/nt/server.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/nt/address.hpp"
#include "rvkit/nt/value.hpp"
#include "rvkit/nt/wire.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit::nt {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kFrameTarget = 1400;            // combine messages up to about one MTU
constexpr size_t kMaxQueuedAllBytes = 4u << 20;  // per client, for `all` subscriptions
constexpr size_t kMaxQueuedText = 100000;        // control messages waiting for one client
constexpr const char* kRttSubprotocol = "rtt.networktables.first.wpi.edu";

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

bool prop_true(const Json& props, const char* k) {
  auto it = props.find(k);
  return it != props.end() && it->is_boolean() && it->get<bool>();
}

struct Topic {
  int64_t id = 0;
  std::string name, type;
  Json props = Json::object();
  int publishers = 0;
  bool server_owned = false;  // meta topics
  std::optional<Value> value;
  int64_t ts = 0;
  std::string last_msg;  // the encoded value message of `value`
  bool persistent() const { return prop_true(props, "persistent"); }
  bool retained() const { return prop_true(props, "retained"); }
  bool cached() const {
    auto it = props.find("cached");
    return !(it != props.end() && it->is_boolean() && !it->get<bool>());
  }
  bool hidden() const { return !name.empty() && name[0] == '$'; }
};

struct ClientSub {
  std::vector<std::string> topics;
  bool prefix = false, all = false, topicsonly = false;
  double periodic = 0.1;
  Json options = Json::object();
};

struct TopicState {
  bool announced = false;
  bool values = false;  // some subscription wants its values
  bool all = false;     // ... every one of them
};

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

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

struct Conn;

struct Server::Impl {
  explicit Impl(ServerOptions o) : opts(std::move(o)), acceptor(io), persist_timer(io) {}

  ServerOptions opts;
  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer persist_timer;
  std::thread thread;
  int port = 0;
  bool stopping = false;

  int64_t next_topic_id = 1;
  std::map<int64_t, Topic> topics;
  std::unordered_map<std::string, int64_t> topic_by_name;
  int64_t next_conn_id = 1;
  std::map<int64_t, std::shared_ptr<Conn>> conns;  // every accepted connection
  std::set<std::string> client_names;
  std::map<std::string, Json> meta_cache;  // last content of each meta topic
  bool persist_dirty = false;

  std::atomic<uint64_t> n_clients{0}, n_topics{0}, n_in{0}, n_out{0}, n_bad{0}, n_conns{0};

  void log(const std::string& s) const { log_line(s); }

  // defined below
  void accept();
  void on_client_open(const std::shared_ptr<Conn>& c);
  void on_client_closed(Conn& c);
  void on_text(const std::shared_ptr<Conn>& c, std::string_view text);
  void on_binary(const std::shared_ptr<Conn>& c, const uint8_t* p, size_t n);
  void on_control(const std::shared_ptr<Conn>& c, const std::string& method, const Json& params);
  void on_value(const std::shared_ptr<Conn>& c, const BinaryMessage& m);
  void bad(Conn& c, const std::string& what);

  Topic* find_topic(const std::string& name);
  Topic& create_topic(const std::string& name, const std::string& type, const Json& props, bool server_owned);
  void delete_topic(int64_t id);
  void maybe_delete(int64_t id);
  void set_value(Topic& t, Value v, int64_t ts, Conn* from);
  void refresh_client_topic(Conn& c, Topic& t, bool send_cached);
  void announce(Conn& c, Topic& t, std::optional<int64_t> pubuid);

  void set_meta(const std::string& name, const Json& content);
  void drop_meta(const std::string& name);
  void update_clients_meta();
  void update_client_meta(Conn& c);
  void update_topic_meta(const Topic& t);

  void load_persistent();
  void save_persistent();
  void persist_tick();
};

// One TCP connection: an HTTP upgrade request, then a WebSocket carrying NT4.
struct Conn : std::enable_shared_from_this<Conn> {
  Conn(Server::Impl& s, tcp::socket sock) : srv(s), http_stream(std::move(sock)), flush_timer(s.io) {}

  Server::Impl& srv;
  int64_t cid = 0;
  beast::tcp_stream http_stream;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buf;
  std::optional<http::request_parser<http::empty_body>> parser;
  std::string peer, name, proto;
  int version = 0;
  bool rtt_only = false;
  bool open = false;     // the WebSocket is up
  bool closed = false;   // torn down
  bool writing = false;
  bool registered = false;

  std::map<int64_t, ClientSub> subs;
  std::map<int64_t, int64_t> pubs;  // pubuid -> topic id
  std::unordered_map<int64_t, TopicState> state;

  // What goes out, in order: control messages and composed value frames. Values wait in
  // `latest`/`all_out` until the subscription period allows and are then appended as frames.
  struct OutItem {
    bool text = false;
    Json msg;         // text
    std::string bin;  // binary frame
  };
  std::deque<OutItem> out_q;
  size_t n_text_queued = 0;
  std::string rtt_out;
  std::vector<int64_t> latest_order;
  std::unordered_map<int64_t, std::string> latest;  // topic id -> encoded value message
  std::deque<std::string> all_out;
  size_t all_bytes = 0;
  std::string write_buf;
  int64_t period_us = 100000;
  int64_t last_flush = 0;
  bool timer_armed = false;
  net::steady_timer flush_timer;
  uint64_t n_bad = 0, n_dropped = 0;

  // ---------------------------------------------------------------- HTTP upgrade
  void start() {
    http_stream.expires_after(std::chrono::seconds(5));
    parser.emplace();
    parser->header_limit(16 * 1024);
    parser->body_limit(0);
    auto self = shared_from_this();
    http::async_read(http_stream, buf, *parser, [self](const error_code& ec, size_t) { self->on_request(ec); });
  }

  void respond(http::status status, const std::string& text) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::server, "rvkit ntserver");
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->keep_alive(false);
    res->body() = text + "\n";
    res->prepare_payload();
    auto self = shared_from_this();
    http_stream.expires_after(std::chrono::seconds(2));
    http::async_write(http_stream, *res, [self, res](const error_code&, size_t) {
      error_code ec;
      self->http_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->http_stream.close();
      self->srv.conns.erase(self->cid);
    });
  }

  void on_request(const error_code& ec) {
    if (ec) {
      if (ec != http::error::end_of_stream && srv.opts.verbose)
        srv.log(fmt::format("{}: bad HTTP request: {}", peer, ec.message()));
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted) {
        http_stream.close();
        srv.conns.erase(cid);
        return;
      }
      return respond(http::status::bad_request, "bad HTTP request: " + ec.message());
    }
    auto& req = parser->get();
    std::string target(req.target());
    if (!websocket::is_upgrade(req)) {
      if (target == "/" || starts_with(target, "/nt/"))
        return respond(http::status::bad_request,
                       "This is a NetworkTables 4 server: connect a WebSocket to /nt/<client name>.");
      return respond(http::status::not_found, "not found");
    }
    if (!starts_with(target, "/nt/")) return respond(http::status::not_found, "NetworkTables 4 lives at /nt/<client name>");
    name = url_decode(target.substr(4));
    if (name.find('?') != std::string::npos) name = name.substr(0, name.find('?'));
    if (name.empty()) name = "client";
    if (name.size() > 200) name.resize(200);
    // Subprotocol negotiation: 4.1 preferred, then 4.0, then the RTT-only channel.
    std::vector<std::string> offered;
    std::string list(req[http::field::sec_websocket_protocol]);
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      offered.push_back(trim(list.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    auto has = [&](const char* p) { return std::find(offered.begin(), offered.end(), p) != offered.end(); };
    if (has(kSubprotocol41) && srv.opts.offer_v41) proto = kSubprotocol41, version = 41;
    else if (has(kSubprotocol40)) proto = kSubprotocol40, version = 40;
    else if (has(kRttSubprotocol)) proto = kRttSubprotocol, rtt_only = true, version = 41;
    else
      return respond(http::status::bad_request, std::string("no supported WebSocket subprotocol: offer ") +
                                                     kSubprotocol41 + " or " + kSubprotocol40);
    if (!rtt_only && srv.n_clients >= srv.opts.max_clients)
      return respond(http::status::service_unavailable, "too many clients");

    http_stream.expires_never();
    ws.emplace(std::move(http_stream));
    std::string chosen = proto;
    ws->set_option(websocket::stream_base::decorator([chosen](websocket::response_type& res) {
      res.set(http::field::sec_websocket_protocol, chosen);
      res.set(http::field::server, "rvkit ntserver");
    }));
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(5);
    if (version == 41) {
      t.idle_timeout = std::chrono::seconds(3);  // a ping after 1.5 s of silence
      t.keep_alive_pings = true;
    } else {
      t.idle_timeout = std::chrono::seconds(15);  // 4.0 clients send RTT messages every few seconds
      t.keep_alive_pings = false;                 // and must not get pings
    }
    ws->set_option(t);
    ws->read_message_max(srv.opts.max_message_bytes);
    auto self = shared_from_this();
    ws->async_accept(req, [self](const error_code& ec) {
      if (ec) {
        if (self->srv.opts.verbose) self->srv.log(fmt::format("{}: WebSocket handshake failed: {}", self->peer, ec.message()));
        self->teardown("");
        return;
      }
      self->open = true;
      self->srv.on_client_open(self);
      self->read();
    });
  }

  // ---------------------------------------------------------------- WebSocket
  void read() {
    auto self = shared_from_this();
    ws->async_read(buf, [self](const error_code& ec, size_t) {
      if (ec) {
        std::string why = ec == websocket::error::closed ? "closed by the client"
                          : ec == beast::error::timeout  ? "no answer to pings"
                          : ec == websocket::error::message_too_big
                              ? fmt::format("sent a message larger than {} bytes", self->srv.opts.max_message_bytes)
                              : ec.message();
        return self->teardown(why);
      }
      if (self->closed) return;
      auto data = self->buf.cdata();
      const auto* p = static_cast<const uint8_t*>(data.data());
      if (self->ws->got_text())
        self->srv.on_text(self, std::string_view(reinterpret_cast<const char*>(p), data.size()));
      else
        self->srv.on_binary(self, p, data.size());
      self->buf.consume(self->buf.size());
      if (!self->closed) self->read();
    });
  }

  void teardown(const std::string& why) {
    if (closed) return;
    closed = true;
    open = false;
    flush_timer.cancel();
    error_code ec;
    if (ws) {
      beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(*ws).close();
    } else {
      http_stream.close();
    }
    if (registered) {
      if (!srv.stopping) srv.log(fmt::format("client {} ({}) disconnected: {}", name, peer, why.empty() ? "closed" : why));
      srv.on_client_closed(*this);
    }
    auto self = shared_from_this();
    srv.conns.erase(cid);
  }

  // ---------------------------------------------------------------- sending
  void queue_text(Json m) {
    if (closed) return;
    if (n_text_queued >= kMaxQueuedText) {
      // Not torn down here: callers may be walking the connection list.
      auto self = shared_from_this();
      net::post(srv.io, [self] { self->teardown("too slow: too many control messages waiting"); });
      return;
    }
    // Values produced before an unannounce go out before it (the client would drop them after).
    if (values_pending() && m.value("method", "") == "unannounce") compose_value_frames();
    OutItem it;
    it.text = true;
    it.msg = std::move(m);
    out_q.push_back(std::move(it));
    ++n_text_queued;
    schedule();
  }

  void queue_value(int64_t topic_id, const std::string& msg, bool all) {
    if (closed) return;
    if (all) {
      all_out.push_back(msg);
      all_bytes += msg.size();
      while (all_bytes > kMaxQueuedAllBytes && !all_out.empty()) {
        all_bytes -= all_out.front().size();
        all_out.pop_front();
        ++n_dropped;
      }
      latest.erase(topic_id);  // the queued ones supersede a pending latest value
    } else {
      auto [it, fresh] = latest.emplace(topic_id, msg);
      if (fresh) latest_order.push_back(topic_id);
      else it->second = msg;
    }
    schedule();
  }

  void forget_topic(int64_t topic_id) {
    latest.erase(topic_id);
    state.erase(topic_id);
  }

  bool values_pending() const { return !latest.empty() || !all_out.empty(); }

  void compose_value_frames() {
    std::string frame;
    auto add = [&](const std::string& m) {
      if (!frame.empty() && frame.size() + m.size() > kFrameTarget) {
        OutItem it;
        it.bin = std::move(frame);
        out_q.push_back(std::move(it));
        frame.clear();
      }
      frame += m;
      srv.n_out++;
    };
    for (auto& m : all_out) add(m);
    all_out.clear();
    all_bytes = 0;
    for (int64_t id : latest_order) {
      auto it = latest.find(id);
      if (it != latest.end()) add(it->second);
    }
    latest.clear();
    latest_order.clear();
    if (!frame.empty()) {
      OutItem it;
      it.bin = std::move(frame);
      out_q.push_back(std::move(it));
    }
  }

  void schedule() {
    if (!open || closed || writing) return;
    if (!rtt_out.empty()) {
      write_buf.swap(rtt_out);
      rtt_out.clear();
      return write(false);
    }
    if (out_q.empty() && values_pending()) {
      int64_t now = mono_us();
      int64_t due = last_flush + period_us;
      if (now < due) {
        if (!timer_armed) {
          timer_armed = true;
          auto self = shared_from_this();
          flush_timer.expires_after(std::chrono::microseconds(due - now));
          flush_timer.async_wait([self](const error_code& ec) {
            self->timer_armed = false;
            if (!ec) self->schedule();
          });
        }
        return;
      }
      last_flush = now;
      compose_value_frames();
    }
    if (out_q.empty()) return;
    if (out_q.front().text) {
      // Consecutive control messages share a frame, up to about one MTU.
      Json batch = Json::array();
      size_t bytes = 2;
      while (!out_q.empty() && out_q.front().text) {
        size_t n = out_q.front().msg.dump().size() + 1;
        if (!batch.empty() && bytes + n > kFrameTarget) break;
        bytes += n;
        batch.push_back(std::move(out_q.front().msg));
        out_q.pop_front();
        --n_text_queued;
      }
      write_buf = batch.dump();
      return write(true);
    }
    write_buf = std::move(out_q.front().bin);
    out_q.pop_front();
    write(false);
  }

  void write(bool text) {
    writing = true;
    ws->text(text);
    auto self = shared_from_this();
    ws->async_write(net::buffer(write_buf), [self](const error_code& ec, size_t) {
      self->writing = false;
      if (ec) return self->teardown("write failed: " + ec.message());
      self->schedule();
    });
  }

  void recompute_period() {
    double p = 10.0;
    bool any = false;
    for (const auto& [uid, s] : subs)
      if (!s.topicsonly) {
        p = std::min(p, s.periodic);
        any = true;
      }
    if (!any) p = 0.1;
    p = std::clamp(p, 0.005, 10.0);
    period_us = int64_t(p * 1e6);
  }
};

// ====================================================================== topics

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

namespace {
bool sub_matches(const ClientSub& s, const Topic& t) {
  for (const auto& p : s.topics) {
    // Meta topics are only for subscriptions that name them ("$" or longer).
    if (t.hidden() && (p.empty() || p[0] != '$')) continue;
    if (s.prefix ? starts_with(t.name, p) : t.name == p) return true;
  }
  return false;
}
}  // namespace

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

// ====================================================================== meta topics

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

// ====================================================================== clients

void Server::Impl::on_client_open(const std::shared_ptr<Conn>& c) {
  if (c->rtt_only) return;  // the RTT channel is not a client
  std::string base = c->name;
  for (int n = 1; client_names.count(c->name); ++n) c->name = fmt::format("{}@{}", base, n);
  client_names.insert(c->name);
  c->registered = true;
  c->last_flush = 0;
  n_clients++;
  log(fmt::format("client {} connected from {} (NT {})", c->name, c->peer, c->version == 41 ? "4.1" : "4.0"));
  update_clients_meta();
  update_client_meta(*c);
}

void Server::Impl::on_client_closed(Conn& c) {
  c.registered = false;
  client_names.erase(c.name);
  n_clients--;
  // Losing a client unpublishes everything it published.
  std::vector<int64_t> tids;
  for (const auto& [uid, tid] : c.pubs) tids.push_back(tid);
  c.pubs.clear();
  c.subs.clear();
  for (int64_t tid : tids) {
    auto it = topics.find(tid);
    if (it == topics.end()) continue;
    it->second.publishers--;
    maybe_delete(tid);
  }
  if (stopping) return;
  drop_meta("$clientsub$" + c.name);
  drop_meta("$clientpub$" + c.name);
  update_clients_meta();
  std::vector<int64_t> ids;
  for (const auto& [id, t] : topics)
    if (!t.hidden()) ids.push_back(id);
  for (int64_t id : ids) {
    auto it = topics.find(id);
    if (it != topics.end()) update_topic_meta(it->second);
  }
}

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

// ====================================================================== persistence

void Server::Impl::load_persistent() {
  if (opts.persist_file.empty()) return;
  std::ifstream in(opts.persist_file);
  if (!in) return;  // nothing saved yet
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    log(fmt::format("{}: not a JSON array of topics; starting without persistent topics", opts.persist_file));
    return;
  }
  size_t n = 0;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("type") ||
        !e["type"].is_string() || !e.contains("value")) {
      log(fmt::format("{}: skipping an entry without name, type and value", opts.persist_file));
      continue;
    }
    std::string name = e["name"], type = e["type"];
    std::optional<Value> v;
    if (type_of(type) == NtType::String) {
      if (e["value"].is_string()) v = Value::string(e["value"].get<std::string>());
    } else {
      v = value_from_json(type, e["value"]);
    }
    if (!v || find_topic(name) || name.empty() || name[0] == '$') {
      log(fmt::format("{}: skipping topic {} (bad value or duplicate)", opts.persist_file, name));
      continue;
    }
    Json props = e.contains("properties") && e["properties"].is_object() ? e["properties"] : Json::object();
    props["persistent"] = true;
    Topic& t = create_topic(name, type, props, false);
    set_value(t, std::move(*v), mono_us(), nullptr);
    ++n;
  }
  persist_dirty = false;
  log(fmt::format("loaded {} persistent topics from {}", n, opts.persist_file));
}

void Server::Impl::save_persistent() {
  if (opts.persist_file.empty() || !persist_dirty) return;
  Json a = Json::array();
  for (const auto& [id, t] : topics) {
    if (!t.persistent() || !t.value) continue;
    a.push_back(Json{{"name", t.name}, {"type", t.type}, {"value", value_to_json(*t.value)}, {"properties", t.props}});
  }
  std::string tmp = opts.persist_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << a.dump(2) << "\n";
    if (!out) {
      log(fmt::format("cannot write {}", tmp));
      return;
    }
  }
  if (std::rename(tmp.c_str(), opts.persist_file.c_str()) != 0) {
    log(fmt::format("cannot replace {}", opts.persist_file));
    return;
  }
  persist_dirty = false;
}

void Server::Impl::persist_tick() {
  if (opts.persist_file.empty()) return;
  persist_timer.expires_after(std::chrono::seconds(1));
  persist_timer.async_wait([this](const error_code& ec) {
    if (ec || stopping) return;
    save_persistent();
    persist_tick();
  });
}

// ====================================================================== accepting

void Server::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
    if (stopping) return;
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      log(fmt::format("accept failed: {}", ec.message()));
      // Out of descriptors and the like: try again shortly instead of spinning.
      auto t = std::make_shared<net::steady_timer>(io, std::chrono::milliseconds(100));
      t->async_wait([this, t](const error_code&) { if (!stopping) accept(); });
      return;
    }
    error_code e2;
    sock.set_option(tcp::no_delay(true), e2);
    auto c = std::make_shared<Conn>(*this, std::move(sock));
    c->cid = next_conn_id++;
    auto ep = c->http_stream.socket().remote_endpoint(e2);
    c->peer = e2 ? "?" : (ep.address().is_v6() && !ep.address().to_v6().is_v4_mapped()
                              ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().is_v6() ? ep.address().to_v6().to_v4().to_string()
                                                                          : ep.address().to_string(),
                                            ep.port()));
    conns[c->cid] = c;
    n_conns++;
    c->start();
    accept();
  });
}

// ====================================================================== Server

Server::Server(ServerOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {
  auto& s = *impl_;
  error_code ec;
  auto addr = net::ip::make_address(s.opts.bind, ec);
  if (ec) throw Error(fmt::format("bad --bind address '{}': {}", s.opts.bind, ec.message()));
  tcp::endpoint ep(addr, uint16_t(s.opts.port));
  s.acceptor.open(ep.protocol(), ec);
  if (ec && addr.is_v6() && addr.to_v6().is_unspecified()) {  // no IPv6 here: listen on IPv4
    ep = tcp::endpoint(net::ip::address_v4::any(), uint16_t(s.opts.port));
    s.acceptor.open(ep.protocol(), ec);
  }
  if (ec) throw Error(fmt::format("cannot listen on {}: {}", s.opts.bind, ec.message()));
  if (ep.address().is_v6()) s.acceptor.set_option(net::ip::v6_only(false), ec);
  s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  s.acceptor.bind(ep, ec);
  if (ec)
    throw Error(fmt::format("cannot listen on port {} of {}: {}", s.opts.port, s.opts.bind, ec.message()));
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw Error(fmt::format("cannot listen on port {}: {}", s.opts.port, ec.message()));
  s.port = s.acceptor.local_endpoint().port();
  s.set_meta("$serversub", Json::array());
  s.set_meta("$serverpub", Json::array());
  s.set_meta("$clients", Json::array());
  s.load_persistent();
}

Server::~Server() { stop(); }

int Server::port() const { return impl_->port; }

void Server::start() {
  auto& s = *impl_;
  if (s.thread.joinable()) return;
  net::post(s.io, [&s] {
    s.accept();
    s.persist_tick();
  });
  s.thread = start_worker([&s] {
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {
        s.log(fmt::format("internal error: {}", e.what()));
      }
    }
  });
}

void Server::stop() {
  auto& s = *impl_;
  if (!s.thread.joinable()) return;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  net::post(s.io, [&s, done] {
    s.stopping = true;
    error_code ec;
    s.acceptor.close(ec);
    s.persist_timer.cancel();
    auto conns = s.conns;  // teardown() erases from s.conns
    for (auto& [cid, c] : conns) c->teardown("server stopping");
    s.save_persistent();
    done->set_value();
  });
  fut.wait_for(std::chrono::seconds(2));
  s.io.stop();
  s.thread.join();
}

Server::Counters Server::counters() const {
  Counters c;
  c.clients = impl_->n_clients;
  c.topics = impl_->n_topics;
  c.values_in = impl_->n_in;
  c.values_out = impl_->n_out;
  c.bad_messages = impl_->n_bad;
  c.connections = impl_->n_conns;
  return c;
}

}  // namespace rvkit::nt
