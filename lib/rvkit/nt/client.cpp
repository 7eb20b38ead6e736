#include "rvkit/nt/client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/nt/wire.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit::nt {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

Json SubscribeOptions::to_json() const {
  Json o = Json::object();
  o["periodic"] = periodic;
  if (all) o["all"] = true;
  if (topicsonly) o["topicsonly"] = true;
  if (prefix) o["prefix"] = true;
  return o;
}

namespace {

constexpr size_t kFrameTarget = 1400;  // combine messages up to about one Ethernet MTU

struct Pub {
  std::string name, type;
  Json props;
  std::optional<Value> value;
  int64_t wall_time = 0;
  bool dirty = false;
  bool type_conflict = false;
};

struct Sub {
  std::vector<std::string> topics;
  SubscribeOptions opts;
};

struct Session;

// One server address being tried: name lookup, TCP connect, then the WebSocket handshake. All
// candidates race through the handshake; the first to finish it wins and the others are closed.
struct Candidate {
  Candidate(net::io_context& io, ServerAddress a) : stream(io), resolver(io), addr(std::move(a)) {}
  beast::tcp_stream stream;
  tcp::resolver resolver;
  ServerAddress addr;
  std::shared_ptr<Session> session;  // once TCP is connected, during the handshake
  bool done = false;
  void close();
};

// One connection attempt: every candidate server at once.
struct Attempt {
  uint64_t gen = 0;
  size_t pending = 0;
  bool won = false;
  std::vector<std::shared_ptr<Candidate>> cands;
  std::vector<std::string> errors;
};

// One established WebSocket connection. Used only on the network thread.
struct Session {
  Session(tcp::socket&& s, net::io_context& io) : ws(beast::tcp_stream(std::move(s))), rtt_timer(io) {}
  websocket::stream<beast::tcp_stream> ws;
  websocket::response_type res;
  beast::flat_buffer rbuf;
  ServerAddress addr;
  int version = 0;
  bool open = false;
  bool writing = false;
  bool live = false;  // time synchronised and control messages sent
  std::vector<Json> controls;
  msgpack::sbuffer rtt_out;
  std::string write_buf;
  std::unordered_map<int64_t, TopicInfo> topics;
  net::steady_timer rtt_timer;
  int64_t last_rtt_reply = 0;  // mono µs
  int64_t connected_at = 0;
  uint64_t bad = 0;
};

void Candidate::close() {
  resolver.cancel();
  stream.close();
  if (session) beast::get_lowest_layer(session->ws).close();
}

}  // namespace

struct Client::Impl {
  // Handlers capture `this`: the network thread is joined before an Impl is destroyed.
  explicit Impl(ClientOptions o) : opts(std::move(o)), work(net::make_work_guard(io)), retry_timer(io) {}

  ClientOptions opts;
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work;
  std::thread thread;
  net::steady_timer retry_timer;

  mutable std::mutex mu;
  mutable std::condition_variable idle_cv;
  std::vector<Pub> pubs;
  std::map<std::string, int> pub_by_name;
  std::map<int, Sub> subs;
  std::vector<Json> pending_controls;
  bool live = false;          // mirrors session->live, under mu
  bool writing_values = false;  // under mu

  std::atomic<bool> kick_posted{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> connected_{false};
  std::atomic<int> version_{0};
  std::string server_name;  // under mu
  TimeSync ts;

  std::shared_ptr<Session> session;  // network thread only
  uint64_t gen = 0;
  std::shared_ptr<Attempt> attempt;
  int backoff_ms = 0;
  bool failing = false;  // inside a series of failed attempts (logged once)
  std::map<std::string, bool> resolving;

  std::atomic<uint64_t> n_sent{0}, n_replaced{0}, n_received{0}, n_connects{0}, n_bad{0};

  void log(const std::string& s) const { log_line(s); }

  // ------------------------------------------------------------ connecting
  void start_attempt() {
    if (stopping) return;
    Impl* self = this;
    auto att = std::make_shared<Attempt>();
    att->gen = ++gen;
    attempt = att;
    att->pending = opts.servers.size();
    for (const auto& a : opts.servers) {
      auto c = std::make_shared<Candidate>(io, a);
      att->cands.push_back(c);
      error_code ec;
      auto ip = net::ip::make_address(a.host, ec);
      if (!ec) {
        std::vector<tcp::endpoint> eps{tcp::endpoint(ip, uint16_t(a.port))};
        connect_candidate(att, c, eps);
        continue;
      }
      if (resolving[a.host]) {  // an earlier lookup of this name is still running
        candidate_failed(att, c, "name lookup still running");
        continue;
      }
      resolving[a.host] = true;
      c->resolver.async_resolve(a.host, std::to_string(a.port),
                                [self, att, c](const error_code& ec, tcp::resolver::results_type results) {
                                  self->resolving[c->addr.host] = false;
                                  if (ec) return self->candidate_failed(att, c, ec.message());
                                  std::vector<tcp::endpoint> eps;
                                  for (const auto& r : results) eps.push_back(r.endpoint());
                                  self->connect_candidate(att, c, eps);
                                });
    }
    // A name lookup cannot be cancelled; give up on the attempt if it takes too long.
    retry_timer.expires_after(std::chrono::milliseconds(2 * opts.connect_timeout_ms + 500));
    retry_timer.async_wait([self, att](const error_code& ec) {
      if (ec || att->won || att->gen != self->gen) return;
      for (auto& c : att->cands) {
        c->done = true;
        c->close();
      }
      att->errors.push_back("timed out");
      self->attempt_failed(att);
    });
  }

  void connect_candidate(const std::shared_ptr<Attempt>& att, const std::shared_ptr<Candidate>& c,
                         const std::vector<tcp::endpoint>& eps) {
    if (att->won || att->gen != gen || stopping) return candidate_failed(att, c, "cancelled");
    Impl* self = this;
    c->stream.expires_after(std::chrono::milliseconds(opts.connect_timeout_ms));
    c->stream.async_connect(eps, [self, att, c](const error_code& ec, const tcp::endpoint&) {
      if (ec) return self->candidate_failed(att, c, ec == beast::error::timeout ? "timed out" : ec.message());
      self->candidate_connected(att, c);
    });
  }

  void candidate_failed(const std::shared_ptr<Attempt>& att, const std::shared_ptr<Candidate>& c,
                        const std::string& why) {
    if (c->done) return;
    c->done = true;
    att->errors.push_back(fmt::format("{}: {}", c->addr.to_string(), why));
    if (--att->pending == 0 && !att->won && att->gen == gen) attempt_failed(att);
  }

  void attempt_failed(const std::shared_ptr<Attempt>& att) {
    if (att->gen != gen || stopping) return;
    ++gen;  // late answers of this attempt are ignored
    std::string why;
    for (size_t i = 0; i < att->errors.size() && i < 5; ++i) why += (i ? "; " : "") + att->errors[i];
    schedule_retry(why);
  }

  void schedule_retry(const std::string& why) {
    if (stopping) return;
    backoff_ms = backoff_ms == 0 ? opts.retry_min_ms : std::min(opts.retry_max_ms, backoff_ms * 2);
    if (!failing || opts.verbose) {
      std::string where;
      for (size_t i = 0; i < opts.servers.size(); ++i) where += (i ? ", " : "") + opts.servers[i].to_string();
      log(fmt::format("cannot connect to {} ({}); retrying every {:.1f} s", where, why, opts.retry_max_ms / 1000.0));
    }
    failing = true;
    Impl* self = this;
    retry_timer.expires_after(std::chrono::milliseconds(backoff_ms));
    retry_timer.async_wait([self](const error_code& ec) {
      if (!ec) self->start_attempt();
    });
  }

  void candidate_connected(const std::shared_ptr<Attempt>& att, const std::shared_ptr<Candidate>& c) {
    if (att->won || att->gen != gen || stopping) return candidate_failed(att, c, "cancelled");
    error_code ec;
    c->stream.socket().set_option(tcp::no_delay(true), ec);
    c->session = std::make_shared<Session>(c->stream.release_socket(), io);
    c->session->addr = c->addr;
    handshake(att, c);
  }

  // The WebSocket handshake is part of the race: an address that accepts TCP but is not an NT
  // server (or answers slowly) does not keep the others from winning.
  void handshake(const std::shared_ptr<Attempt>& att, const std::shared_ptr<Candidate>& c) {
    Impl* self = this;
    std::shared_ptr<Session> s = c->session;
    beast::get_lowest_layer(s->ws).expires_after(std::chrono::milliseconds(opts.connect_timeout_ms));
    s->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, std::string(kSubprotocol41) + ", " + kSubprotocol40);
      req.set(http::field::user_agent, "rvkit/" RVKIT_VERSION);
    }));
    std::string host = s->addr.to_string();
    s->ws.async_handshake(s->res, host, "/nt/" + url_encode(opts.name), [self, att, c, s](const error_code& ec) {
      c->session.reset();
      if (ec) {
        beast::get_lowest_layer(s->ws).close();
        return self->candidate_failed(att, c, fmt::format("WebSocket handshake failed: {}", ec.message()));
      }
      std::string proto(s->res[http::field::sec_websocket_protocol]);
      if (proto == kSubprotocol41) s->version = 41;
      else if (proto == kSubprotocol40) s->version = 40;
      else {
        beast::get_lowest_layer(s->ws).close();
        return self->candidate_failed(att, c, fmt::format("the server chose no NetworkTables 4 subprotocol ('{}')", proto));
      }
      if (att->won || att->gen != self->gen || self->stopping) {
        beast::get_lowest_layer(s->ws).close();
        return self->candidate_failed(att, c, "cancelled");
      }
      att->won = true;
      c->done = true;
      self->retry_timer.cancel();
      for (auto& o : att->cands)
        if (o != c && !o->done) {
          o->done = true;
          o->close();
        }
      self->session_open(s);
    });
  }

  void session_open(const std::shared_ptr<Session>& s) {
    if (stopping) {
      beast::get_lowest_layer(s->ws).close();
      return;
    }
    beast::get_lowest_layer(s->ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(2);
    if (s->version == 41) {
      // 4.1: WebSocket pings keep the connection honest (Beast pings after half the idle time).
      t.idle_timeout = std::chrono::seconds(2);
      t.keep_alive_pings = true;
    } else {
      // 4.0: no pings (4.0 peers mishandle them); RTT messages are the aliveness check.
      t.idle_timeout = websocket::stream_base::none();
      t.keep_alive_pings = false;
    }
    s->ws.set_option(t);
    s->ws.read_message_max(opts.max_message_bytes);
    s->open = true;
    s->connected_at = mono_us();
    s->last_rtt_reply = s->connected_at;
    session = s;
    ts.reset();
    backoff_ms = 0;
    failing = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      server_name = s->addr.to_string();
    }
    version_ = s->version;
    connected_ = true;
    ++n_connects;
    log(fmt::format("connected to {} (NT {})", s->addr.to_string(), s->version == 41 ? "4.1" : "4.0"));
    if (opts.on_connection) opts.on_connection(true);
    read(s);
    send_rtt(s);
    rtt_tick(s);
  }

  void session_failed(const std::shared_ptr<Session>& s, const std::string& why) {
    if (!s->open) return;
    s->open = false;
    s->rtt_timer.cancel();
    error_code ec;
    beast::get_lowest_layer(s->ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(s->ws).close();
    if (session == s) session.reset();
    connected_ = false;
    version_ = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      live = false;
      writing_values = false;
      pending_controls.clear();
      // After a reconnect the latest value of every topic goes out again.
      for (auto& p : pubs)
        if (p.value) p.dirty = true;
    }
    idle_cv.notify_all();
    if (opts.on_connection) opts.on_connection(false);
    for (auto& [id, info] : s->topics)
      if (opts.on_topic) opts.on_topic(info, false);
    if (stopping) return;
    log(fmt::format("lost connection to {} ({}); reconnecting", s->addr.to_string(), why));
    failing = true;  // the reconnect attempts that follow are not logged again
    backoff_ms = 0;
    schedule_retry(why);
  }

  // ------------------------------------------------------------ time synchronisation
  void send_rtt(const std::shared_ptr<Session>& s) {
    s->rtt_out.clear();
    append_rtt_message(s->rtt_out, 0, mono_us());
    kick(s);
  }

  void rtt_tick(const std::shared_ptr<Session>& s) {
    Impl* self = this;
    // 4.0 relies on RTT messages for aliveness: every second, 3 s timeout (the spec's advice).
    // 4.1 resynchronises every 2 s; pings watch the connection.
    int period_ms = s->version == 41 ? 2000 : 1000;
    if (!s->live) period_ms = 250;
    s->rtt_timer.expires_after(std::chrono::milliseconds(period_ms));
    s->rtt_timer.async_wait([self, s](const error_code& ec) {
      if (ec || !s->open) return;
      int64_t silent = mono_us() - s->last_rtt_reply;
      if (silent > 3'000'000) return self->session_failed(s, "no answer to time synchronisation for 3 s");
      self->send_rtt(s);
      self->rtt_tick(s);
    });
  }

  void on_rtt(const std::shared_ptr<Session>& s, int64_t server_time, const msgpack::object& v) {
    int64_t sent = 0;
    if (v.type == msgpack::type::POSITIVE_INTEGER) sent = int64_t(v.via.u64);
    else if (v.type == msgpack::type::NEGATIVE_INTEGER) sent = v.via.i64;
    else if (v.type == msgpack::type::FLOAT64 || v.type == msgpack::type::FLOAT32) sent = int64_t(v.via.f64);
    else return bad(s, "an RTT answer without an integer value");
    int64_t now_m = mono_us();
    s->last_rtt_reply = now_m;
    ts.update(sent, server_time, now_m, now_us());
    if (!s->live && ts.synced()) go_live(s);
  }

  // Time is synchronised: announce publishers and subscriptions, then values.
  void go_live(const std::shared_ptr<Session>& s) {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (size_t i = 0; i < pubs.size(); ++i) s->controls.push_back(publish_message(int(i)));
      for (const auto& [uid, sub] : subs) s->controls.push_back(subscribe_message(uid, sub));
      for (auto& p : pubs)
        if (p.value) p.dirty = true;
      pending_controls.clear();
      live = true;
    }
    s->live = true;
    kick(s);
  }

  Json publish_message(int i) const {
    const Pub& p = pubs[size_t(i)];
    return control_message("publish", Json{{"name", p.name}, {"pubuid", i + 1}, {"type", p.type},
                                          {"properties", p.props.is_object() ? p.props : Json::object()}});
  }
  static Json subscribe_message(int uid, const Sub& sub) {
    return control_message("subscribe", Json{{"topics", sub.topics}, {"subuid", uid}, {"options", sub.opts.to_json()}});
  }

  // ------------------------------------------------------------ reading
  void read(const std::shared_ptr<Session>& s) {
    Impl* self = this;
    s->ws.async_read(s->rbuf, [self, s](const error_code& ec, size_t) {
      if (ec) {
        std::string why = ec == websocket::error::closed ? "closed by the server"
                          : ec == beast::error::timeout  ? "no answer to WebSocket pings"
                          : ec == websocket::error::message_too_big
                              ? fmt::format("a message larger than {} bytes", self->opts.max_message_bytes)
                              : ec.message();
        return self->session_failed(s, why);
      }
      if (!s->open) return;
      self->on_frame(s);
      s->rbuf.consume(s->rbuf.size());
      self->read(s);
    });
  }

  void bad(const std::shared_ptr<Session>& s, const std::string& what) {
    ++n_bad;
    if (++s->bad <= 5 || opts.verbose)
      log(fmt::format("ignoring a bad message from {}: {}{}", s->addr.to_string(), what,
                      s->bad == 5 && !opts.verbose ? " (further ones not shown)" : ""));
  }

  void on_frame(const std::shared_ptr<Session>& s) {
    const auto data = s->rbuf.cdata();
    const auto* p = static_cast<const uint8_t*>(data.data());
    size_t n = data.size();
    if (s->ws.got_text()) {
      decode_text_frame(
          std::string_view(reinterpret_cast<const char*>(p), n),
          [&](const std::string& method, const Json& params) { on_control(s, method, params); },
          [&](const std::string& why) { bad(s, why); });
      return;
    }
    decode_binary_frame(
        p, n,
        [&](const BinaryMessage& m) {
          if (m.id == kRttId) return on_rtt(s, m.timestamp, *m.value);
          auto it = s->topics.find(m.id);
          if (it == s->topics.end()) return;  // the spec: ignore unknown ids
          NtType want = type_of(it->second.type);
          if (m.type_id != int64_t(want)) {
            // int and double are interchangeable for numeric topics in some peers
            bool numeric = (want == NtType::Double || want == NtType::Int || want == NtType::Float) &&
                           (m.type_id == 1 || m.type_id == 2 || m.type_id == 3);
            if (!numeric) return bad(s, fmt::format("value of type {} for {} topic {}", m.type_id, it->second.type, it->second.name));
          }
          auto v = value_from_msgpack(want, *m.value);
          if (!v) return bad(s, fmt::format("undecodable {} value for {}", it->second.type, it->second.name));
          ++n_received;
          if (opts.on_value) opts.on_value(it->second, *v, m.timestamp);
        },
        [&](const std::string& why) { bad(s, why); });
  }

  void on_control(const std::shared_ptr<Session>& s, const std::string& method, const Json& params) {
    auto str = [&](const char* k) -> const Json* {
      auto it = params.find(k);
      return it != params.end() && it->is_string() ? &*it : nullptr;
    };
    auto integer = [&](const char* k) -> std::optional<int64_t> {
      auto it = params.find(k);
      if (it != params.end() && it->is_number_integer()) return it->get<int64_t>();
      return std::nullopt;
    };
    if (method == "announce") {
      const Json* name = str("name");
      const Json* type = str("type");
      auto id = integer("id");
      if (!name || !type || !id) return bad(s, "announce without name, id and type");
      TopicInfo info;
      info.id = *id;
      info.name = name->get<std::string>();
      info.type = type->get<std::string>();
      if (auto pr = params.find("properties"); pr != params.end() && pr->is_object()) info.properties = *pr;
      if (auto pubuid = integer("pubuid")) {
        std::lock_guard<std::mutex> lock(mu);
        size_t i = size_t(*pubuid - 1);
        if (*pubuid >= 1 && i < pubs.size() && pubs[i].name == info.name && pubs[i].type != info.type &&
            !pubs[i].type_conflict) {
          pubs[i].type_conflict = true;
          log(fmt::format("the server has {} as {}, not {}: not publishing it", info.name, info.type, pubs[i].type));
        }
      }
      s->topics[info.id] = info;
      if (opts.on_topic) opts.on_topic(info, true);
    } else if (method == "unannounce") {
      auto id = integer("id");
      if (!id) return bad(s, "unannounce without an id");
      auto it = s->topics.find(*id);
      if (it == s->topics.end()) return;
      TopicInfo info = it->second;
      s->topics.erase(it);
      if (opts.on_topic) opts.on_topic(info, false);
    } else if (method == "properties") {
      const Json* name = str("name");
      auto up = params.find("update");
      if (!name || up == params.end() || !up->is_object()) return bad(s, "properties without name and update");
      for (auto& [id, info] : s->topics) {
        if (info.name != name->get<std::string>()) continue;
        for (auto it = up->begin(); it != up->end(); ++it) {
          if (it->is_null()) info.properties.erase(it.key());
          else info.properties[it.key()] = *it;
        }
      }
    } else {
      bad(s, fmt::format("unknown method '{}'", method.substr(0, 40)));
    }
  }

  // ------------------------------------------------------------ writing
  void kick(const std::shared_ptr<Session>& s) {
    if (!s->open || s->writing) return;
    if (s->rtt_out.size()) {
      s->write_buf.assign(s->rtt_out.data(), s->rtt_out.size());
      s->rtt_out.clear();
      return write(s, false);
    }
    if (!s->live) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& c : pending_controls) s->controls.push_back(std::move(c));
      pending_controls.clear();
    }
    if (!s->controls.empty()) {
      // Several messages per frame, up to about one MTU (one bigger message goes alone).
      Json batch = Json::array();
      size_t bytes = 2, taken = 0;
      for (; taken < s->controls.size(); ++taken) {
        size_t n = s->controls[taken].dump().size() + 1;
        if (taken > 0 && bytes + n > kFrameTarget) break;
        bytes += n;
        batch.push_back(std::move(s->controls[taken]));
      }
      s->controls.erase(s->controls.begin(), s->controls.begin() + long(taken));
      s->write_buf = batch.dump();
      return write(s, true);
    }
    msgpack::sbuffer buf;
    uint64_t n = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (size_t i = 0; i < pubs.size(); ++i) {
        Pub& p = pubs[i];
        if (!p.dirty || !p.value) continue;
        if (p.type_conflict) {
          p.dirty = false;
          continue;
        }
        if (n > 0 && buf.size() > kFrameTarget) break;  // the rest goes in the next frame
        // Timestamps 0 and 1 have special meanings; real ones are larger.
        int64_t t = std::max<int64_t>(2, ts.to_server(p.wall_time));
        append_value_message(buf, int64_t(i) + 1, t, *p.value);
        p.dirty = false;
        ++n;
      }
      writing_values = n > 0;
    }
    if (n == 0) {
      idle_cv.notify_all();
      return;
    }
    n_sent += n;
    s->write_buf.assign(buf.data(), buf.size());
    write(s, false);
  }

  void write(const std::shared_ptr<Session>& s, bool text) {
    Impl* self = this;
    s->writing = true;
    s->ws.text(text);
    s->ws.async_write(net::buffer(s->write_buf), [self, s](const error_code& ec, size_t) {
      s->writing = false;
      if (ec) return self->session_failed(s, ec.message());
      {
        std::lock_guard<std::mutex> lock(self->mu);
        self->writing_values = false;
      }
      self->kick(s);
    });
  }

  bool idle_locked() const {
    if (writing_values) return false;
    for (const auto& p : pubs)
      if (p.dirty && p.value && !p.type_conflict) return false;
    return true;
  }

  void post_kick() {
    if (kick_posted.exchange(true)) return;
    Impl* self = this;
    net::post(io, [self] {
      self->kick_posted = false;
      if (self->session) self->kick(self->session);
    });
  }

  void shutdown_on_io(std::shared_ptr<std::promise<void>> done) {
    retry_timer.cancel();
    ++gen;
    if (attempt)
      for (auto& c : attempt->cands) {
        c->done = true;
        c->resolver.cancel();
        c->stream.close();
      }
    auto s = session;
    if (!s || !s->open) {
      done->set_value();
      return;
    }
    s->rtt_timer.cancel();
    beast::get_lowest_layer(s->ws).expires_after(std::chrono::milliseconds(300));
    s->ws.async_close(websocket::close_code::normal, [s, done](const error_code&) {
      beast::get_lowest_layer(s->ws).close();
      done->set_value();
    });
  }
};

Client::Client(ClientOptions opts) : impl_(std::make_shared<Impl>(std::move(opts))) {
  if (impl_->opts.servers.empty()) impl_->opts.servers.push_back({"localhost", kDefaultPort});
}

Client::~Client() { stop(); }

void Client::start() {
  if (impl_->thread.joinable()) return;
  Impl* impl = impl_.get();
  net::post(impl->io, [impl] { impl->start_attempt(); });
  impl->thread = start_worker([impl] {
    for (;;) {
      try {
        impl->io.run();
        return;
      } catch (const std::exception& e) {
        impl->log(fmt::format("network error: {}", e.what()));
      }
    }
  });
}

void Client::stop(int linger_ms) {
  auto& impl = *impl_;
  if (!impl.thread.joinable()) return;
  if (linger_ms > 0) {
    flush();
    wait_idle(linger_ms);
  }
  impl.stopping = true;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  Impl* self = impl_.get();
  net::post(impl.io, [self, done] { self->shutdown_on_io(done); });
  fut.wait_for(std::chrono::milliseconds(500));
  impl.work.reset();
  impl.io.stop();
  impl.thread.join();
  impl.connected_ = false;
}

int Client::publish(const std::string& name, const std::string& type, const Json& properties) {
  auto& impl = *impl_;
  std::lock_guard<std::mutex> lock(impl.mu);
  auto it = impl.pub_by_name.find(name);
  if (it != impl.pub_by_name.end()) return it->second;
  int h = int(impl.pubs.size());
  Pub p;
  p.name = name;
  p.type = type;
  p.props = properties.is_object() ? properties : Json::object();
  impl.pubs.push_back(std::move(p));
  impl.pub_by_name[name] = h;
  if (impl.live) impl.pending_controls.push_back(impl.publish_message(h));
  return h;
}

void Client::set(int handle, Value v, int64_t wall_time_us) {
  auto& impl = *impl_;
  std::lock_guard<std::mutex> lock(impl.mu);
  if (handle < 0 || size_t(handle) >= impl.pubs.size()) return;
  Pub& p = impl.pubs[size_t(handle)];
  if (p.dirty && impl.live) ++impl.n_replaced;
  p.value = std::move(v);
  p.wall_time = wall_time_us ? wall_time_us : now_us();
  p.dirty = true;
}

void Client::flush() {
  impl_->post_kick();
}

bool Client::idle() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->live && impl_->idle_locked();
}

bool Client::wait_idle(int timeout_ms) const {
  auto& impl = *impl_;
  std::unique_lock<std::mutex> lock(impl.mu);
  return impl.idle_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                               [&] { return impl.live && impl.idle_locked(); });
}

int Client::subscribe(const std::vector<std::string>& topics, const SubscribeOptions& o) {
  auto& impl = *impl_;
  int uid;
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    uid = int(impl.subs.size()) + 1;
    impl.subs[uid] = Sub{topics, o};
    if (impl.live) impl.pending_controls.push_back(Impl::subscribe_message(uid, impl.subs[uid]));
  }
  flush();
  return uid;
}

bool Client::connected() const { return impl_->connected_; }
int Client::version() const { return impl_->version_; }
std::string Client::server() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->server_name;
}
const TimeSync& Client::time() const { return impl_->ts; }

bool Client::wait_synced(int timeout_ms) const {
  int64_t end = mono_us() + int64_t(timeout_ms) * 1000;
  while (mono_us() < end) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      if (impl_->live) return true;
    }
    if (stop_requested()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

Client::Counters Client::counters() const {
  Counters c;
  c.values_sent = impl_->n_sent;
  c.values_replaced = impl_->n_replaced;
  c.values_received = impl_->n_received;
  c.connects = impl_->n_connects;
  c.bad_messages = impl_->n_bad;
  return c;
}

}  // namespace rvkit::nt
