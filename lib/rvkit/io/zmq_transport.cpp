// Messages over ZeroMQ (docs/protocol.md, "ZeroMQ" and "Lossless streams").
//
// Each message is one multipart ZeroMQ message: [topic, header, payload?]. The topic is
// "<type>/<cam>/" (or "<type>/"), so a subscriber picks one camera or one record type by
// prefix. The header part is the same JSON line as on a byte stream (with its '\n').
//
// Live outputs are XPUB sockets used as PUBs, with a small send high-water mark: a slow subscriber
// loses whole messages instead of stalling the publisher or growing its memory (only the eos waits,
// briefly, for room). Lossless outputs are XPUB sockets with XPUB_NODROP: they see every
// subscription (XPUB_VERBOSER), wait for their subscribers before the first message, and past the
// high-water mark a send waits (in slices of kSliceMs, so a stop request ends the wait) instead of
// dropping. Inputs are SUB sockets; one that connects watches its connection (a socket monitor,
// ZMTP heartbeats) to say when its publisher went away without an end of stream. The lossless
// output to the hub is in zmq_hub_output.cpp.
#include <zmq.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/io/wire/header_line.hpp"
#include "rvkit/io/zmq/zmq_support.hpp"
#include "rvkit/records/eos.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit {

std::unique_ptr<Output> open_zmq_hub_lossless_output(const std::string& spec, const std::string& endpoint);

namespace {

using namespace zmqio;

// "frame/front/" names the cam "front"; "frame/", "frame/fr" and "" name none.
std::string cam_of_filter(const std::string& topic) {
  auto first = topic.find('/');
  if (first == std::string::npos || first == 0 || topic.size() < first + 3 || topic.back() != '/') return "";
  std::string cam = topic.substr(first + 1, topic.size() - first - 2);
  return cam.find('/') == std::string::npos ? cam : "";
}

class ZmqInput final : public Input {
 public:
  ZmqInput(const std::string& spec, const InputOptions& opts)
      : opts_(opts), sock_(context(), zmq::socket_type::sub) {
    name_ = opts.display_name.empty() ? spec : opts.display_name;
    Endpoint e = parse_endpoint(spec, false);
    // A hub input names the hub's live and lossless subscribe endpoints: each gets a socket of its
    // own, so that a message's socket says whether it may be skipped for a newer one.
    Endpoint lossless_e;
    if (opts_.from_hub && !e.bind) {
      if (auto comma = e.address.find(','); comma != std::string::npos) {
        lossless_e = e;
        lossless_e.address = e.address.substr(comma + 1);
        e.address.resize(comma);
        lossless_.emplace(context(), zmq::socket_type::sub);
      }
    }
    for (zmq::socket_t* s : sockets()) {
      s->set(zmq::sockopt::rcvhwm, kHighWaterMark);
      s->set(zmq::sockopt::maxmsgsize, int64_t(opts_.max_payload + kMaxHeaderBytes + 1024));
      for (const std::string& t : subscriptions(e.topics)) s->set(zmq::sockopt::subscribe, t);
    }
    for (const std::string& t : e.topics)
      if (std::string cam = cam_of_filter(t); !cam.empty()) waiting_cams_.insert(cam);
    if (!e.bind) {
      // A publisher that vanishes (killed, or its machine gone: the heartbeats notice that) is said.
      set_heartbeats(sock_);
      monitor_.emplace(sock_, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    }
    attach(sock_, e, spec);
    if (lossless_) {
      set_heartbeats(*lossless_);
      attach(*lossless_, lossless_e, spec);
    }
  }

  bool read(Message& m) override {
    for (;;) {
      if (has_pending_) {  // a message read while looking for a newer frame
        std::swap(m, pending_);
        has_pending_ = false;
        return true;
      }
      if (ended_ || stop_requested()) return false;
      zmq::socket_t* s = readable(200);
      if (!s) continue;
      Got g = receive(*s, m);
      if (g == Got::none) return false;
      if (g == Got::skip) continue;
      if (s == &sock_ && lossless_ && opts_.newest_frames && m.is_frame()) take_newest(m);
      return true;
    }
  }

  bool wait_readable(int timeout_ms) override {
    if (ended_ || has_pending_) return true;  // read() answers at once
    return readable(timeout_ms) != nullptr;
  }

  uint64_t count() const override { return count_; }

 private:
  enum class Got { message, skip, none };  // skip: another publisher's eos; none: the end, or a stop

  std::vector<zmq::socket_t*> sockets() {
    std::vector<zmq::socket_t*> v{&sock_};
    if (lossless_) v.push_back(&*lossless_);
    return v;
  }

  // The socket with a message, waiting up to timeout_ms (the monitor watched meanwhile); null if none.
  zmq::socket_t* readable(int timeout_ms) {
    std::vector<zmq::pollitem_t> items{{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    if (lossless_) items.push_back({lossless_->handle(), 0, ZMQ_POLLIN, 0});
    const size_t n_data = items.size();
    if (monitor_) items.push_back({monitor_->socket().handle(), 0, ZMQ_POLLIN, 0});
    const int64_t end = mono_us() + int64_t(timeout_ms) * 1000;
    for (;;) {
      poll_items(items, int(std::max<int64_t>(0, (end - mono_us() + 999) / 1000)));
      // Lossless first: a recorded stream's publisher waits for this reader.
      for (size_t i = n_data; i-- > 0;)
        if (items[i].revents & ZMQ_POLLIN) return i == 0 ? &sock_ : &*lossless_;
      if (monitor_) watch_connection();
      if (mono_us() >= end || stop_requested()) return nullptr;
    }
  }

  // m is a live frame: while the live socket already holds more, a frame of the same camera replaces
  // it (the older one is skipped, counted); anything else is kept for the next read().
  void take_newest(Message& m) {
    const std::string cam = m.header.value("cam", std::string());
    while (!ended_ && (sock_.get(zmq::sockopt::events) & ZMQ_POLLIN)) {
      Got g = receive(sock_, pending_);
      if (g == Got::none) return;
      if (g == Got::skip) continue;
      if (pending_.is_frame() && pending_.header.value("cam", std::string()) == cam) {
        std::swap(m, pending_);
        ++skipped_;
        continue;
      }
      has_pending_ = true;
      return;
    }
  }

  // One whole message from s into m, checked; an eos is handled here.
  Got receive(zmq::socket_t& s, Message& m) {
    zmq::message_t topic, head, body;
    if (!recv_part(s, topic)) return Got::none;
    ++count_;
    if (!topic.more()) fail("a message with one part (expected topic, header[, payload])");
    if (!recv_part(s, head)) return Got::none;
    bool has_payload = head.more();
    if (has_payload && !recv_part(s, body)) return Got::none;
    while (body.more()) {  // swallow unexpected extra parts
      zmq::message_t extra;
      if (!recv_part(s, extra)) return Got::none;
      if (!extra.more()) fail("more than three parts");
    }
    std::string_view text(static_cast<const char*>(head.data()), head.size());
    if (text.size() > kMaxHeaderBytes) fail(fmt::format("header is longer than {} bytes", kMaxHeaderBytes));
    std::string problem = wire::parse_header_line(text, m.header, opts_.max_payload);
    if (!problem.empty()) fail(problem);
    uint64_t n = m.header.value("bytes", uint64_t(0));
    if (n != body.size()) fail(fmt::format("field 'bytes': {} but the payload part has {} bytes", n, body.size()));
    m.payload.assign(body.data(), body.size());
    if (m.type() == records::Eos::kType) {
      if (end_of_stream(m.header)) {
        end();
        return Got::none;
      }
      return Got::skip;  // another publisher's end, on a shared hub: not this input's
    }
    return Got::message;
  }

  // What the SUB socket subscribes to: the filters, and "eos/" (sent last) when they do not take
  // everything, so filtered subscribers still hear the end of stream. A lossless publisher counts a
  // subscriber when its "" or "eos/" subscription arrives: each input sends exactly one of them,
  // after its filters (docs/protocol.md "Lossless streams").
  static std::vector<std::string> subscriptions(const std::vector<std::string>& topics) {
    const std::string eos = zmq_topic(Json(records::Eos{}));
    if (std::find(topics.begin(), topics.end(), "") != topics.end()) return {""};
    std::vector<std::string> out;
    for (const std::string& t : topics)
      if (t != eos && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    out.push_back(eos);
    return out;
  }

  // An eos arrived: true when it ends this input. Direct inputs end at the first; hub inputs when
  // every cam their filters name has ended (never, when they name none). An eos with an error that
  // ends the input throws.
  bool end_of_stream(const Json& header) {
    records::Eos e;
    try {
      e = header.get<records::Eos>();
    } catch (const records::RecordError& err) {
      fail(err.what());
    }
    std::string whose = e.cam ? fmt::format("camera '{}'", *e.cam) : std::string("its publisher");
    if (!opts_.from_hub) {
      if (e.error) throw StreamError(fmt::format("{}: the stream of {} ended with an error: {}", name_, whose, *e.error));
      return true;
    }
    if (!e.cam) return false;  // one publisher's last message
    if (!waiting_cams_.count(*e.cam)) {
      if (e.error && !ends_by_cam()) log_line(fmt::format("{}: the stream of {} ended with an error: {}", name_, whose, *e.error));
      return false;
    }
    if (e.error) throw StreamError(fmt::format("{}: the stream of {} ended with an error: {}", name_, whose, *e.error));
    waiting_cams_.erase(*e.cam);
    ended_cams_.insert(*e.cam);
    return waiting_cams_.empty();
  }
  bool ends_by_cam() const { return !waiting_cams_.empty() || !ended_cams_.empty(); }

  // The end of this input's stream: the socket closes at once, so a lossless publisher sees this
  // subscriber leave (it waits for that before it closes; see LosslessZmqOutput).
  void end() {
    ended_ = true;
    monitor_.reset();
    for (zmq::socket_t* s : sockets()) {
      s->set(zmq::sockopt::linger, 0);
      s->close();
    }
  }

  // Connection events: a publisher that went away after messages and before its eos is said once
  // (it may come back: live publishers are restarted by their supervisor, so the input waits).
  // Called when nothing is readable: the messages it sent before it went are read first.
  void watch_connection() {
    for (int ev; (ev = monitor_->next_event()) != 0;) {
      if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) said_gone_ = gone_ = false;
      if (ev == ZMQ_EVENT_DISCONNECTED) gone_ = true;
    }
    if (!gone_ || said_gone_ || count_ == 0) return;
    std::vector<zmq::pollitem_t> item{{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    if (poll_items(item, 0) > 0) return;  // still a message to read: the next call says it
    said_gone_ = true;
    log_line(fmt::format("{}: the publisher went away without an end of stream after {} messages; waiting for it",
                         name_, count_));
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw StreamError(fmt::format("{}: message {}: {}", name_, count_, problem));
  }
  bool recv_part(zmq::socket_t& s, zmq::message_t& part) {
    for (;;) {
      try {
        if (s.recv(part, zmq::recv_flags::none)) return true;
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) {
          if (stop_requested()) return false;
          continue;
        }
        throw Error(fmt::format("{}: receive failed: {}", name_, e.what()));
      }
    }
  }

  InputOptions opts_;
  zmq::socket_t sock_;                    // a hub input's live messages; a direct input's all
  std::optional<zmq::socket_t> lossless_;  // a hub input's lossless messages
  std::optional<SocketMonitor> monitor_;  // after sock_: closed before it
  Message pending_;                       // read by take_newest(), returned next
  bool has_pending_ = false;
  uint64_t skipped_ = 0;                  // older live frames skipped for a newer one
  uint64_t count_ = 0;
  bool ended_ = false;
  std::set<std::string> waiting_cams_, ended_cams_;  // hub inputs: the cams whose eos ends the input
  bool gone_ = false, said_gone_ = false;  // disconnected; and said so
};

// What every direct ZeroMQ output shares: its topics, and its end of stream (an eos per cam it
// published, then the plain one). A derived class calls end_stream() in its destructor.
class ZmqOutputBase : public Output {
 public:
  using Output::write;
  bool write(const Json& header, const uint8_t* payload, size_t n) final {
    cams_.note(header);
    return send(zmq_topic(header), encode_header(header), payload, n);
  }

 protected:
  virtual bool send(const std::string& topic, const std::string& head, const uint8_t* payload, size_t n) = 0;
  // per_cam false: the plain eos only (a live output to the shared hub, below).
  void end_stream(bool per_cam = true) {
    for (const Json& eos : eos_records(per_cam ? cams_.cams() : std::vector<std::string>{}))
      if (!send(zmq_topic(eos), encode_header(eos), nullptr, 0)) break;
  }

 private:
  CamList cams_;
};

// A live output: past a subscriber's high-water mark its messages are dropped whole, the publisher
// never waits. An XPUB rather than a PUB only for the end: its eos is sent with XPUB_NODROP, waiting
// up to kLiveEosUs for room, so a subscriber that is behind still hears the end of the stream.
class ZmqOutput final : public ZmqOutputBase {
 public:
  // wait_for_subscription_ms > 0 (the hub's live output): the first message waits (at most that
  // long) until the peer's subscription has arrived, instead of going into a connection not yet up.
  ZmqOutput(const std::string& spec, int wait_for_subscription_ms)
      : sock_(context(), zmq::socket_type::xpub), to_hub_(wait_for_subscription_ms > 0) {
    name_ = spec;
    Endpoint e = parse_endpoint(spec, true);
    if (e.topics.size() != 1 || !e.topics[0].empty())
      throw Error(fmt::format("{}: topic= only applies to inputs", spec));
    sock_.set(zmq::sockopt::sndhwm, kHighWaterMark);
    sock_.set(zmq::sockopt::linger, kLiveLingerMs);
    attach(sock_, e, spec);
    if (wait_for_subscription_ms > 0) wait_for_subscription(wait_for_subscription_ms);
  }

  ~ZmqOutput() override {
    // Tell subscribers the stream ended normally; none of them loses it unless stuck for kLiveEosUs.
    ending_at_ = mono_us();
    try {
      sock_.set(zmq::sockopt::xpub_nodrop, true);
      sock_.set(zmq::sockopt::sndtimeo, kSliceMs);
    } catch (const zmq::error_t&) {
    }
    // A live stream through the shared hub has no end its subscribers should act on: its stage is
    // restarted, or another takes its place (hub run), and ending the hub inputs of every stage after
    // it would restart them all. So only the plain eos, which hub inputs ignore; a recorded stream's
    // end (a lossless output) is per cam and ends them (docs/protocol.md "The end of a stream").
    end_stream(/*per_cam=*/!to_hub_);
  }

 private:
  static constexpr int64_t kLiveEosUs = 1000000;
  // After the eos, what is queued for a subscriber that is behind gets this long to leave.
  static constexpr int kLiveLingerMs = 1500;

  bool send(const std::string& topic, const std::string& head, const uint8_t* payload, size_t n) override {
    discard_subscriptions();
    try {
      if (!send_part(zmq::buffer(topic), zmq::send_flags::sndmore)) return true;  // the eos: dropped after all
      sock_.send(zmq::buffer(head), n ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (n) sock_.send(zmq::const_buffer(payload, n), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return !stop_requested();
      throw Error(fmt::format("{}: send failed: {}", name_, e.what()));
    }
    return true;
  }

  // While streaming, a send never waits (no NODROP: a full subscriber loses the message). The eos
  // waits up to kLiveEosUs, then goes without NODROP to whoever has room.
  bool send_part(zmq::const_buffer part, zmq::send_flags flags) {
    for (;;) {
      try {
        if (sock_.send(part, flags)) return true;
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
      if (!ending_at_) return false;
      if (mono_us() - ending_at_ > kLiveEosUs) {
        sock_.set(zmq::sockopt::xpub_nodrop, false);
        return bool(sock_.send(part, flags | zmq::send_flags::dontwait));
      }
    }
  }

  void wait_for_subscription(int timeout_ms) {
    const int64_t deadline = mono_us() + int64_t(timeout_ms) * 1000;
    while (!stop_requested() && mono_us() < deadline) {
      zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) > 0) return;  // kept: discarded at the first send
      } catch (const zmq::error_t& err) {
        if (err.num() != EINTR) throw;
      }
    }
    if (!stop_requested())
      log_line(fmt::format("{}: no subscriber after {} ms (is the hub running?): sending anyway", name_, timeout_ms));
  }

  // The XPUB passes subscriptions up; nobody needs them here, and unread they would pile up.
  void discard_subscriptions() {
    zmq::message_t m;
    try {
      while (sock_.recv(m, zmq::recv_flags::dontwait)) {
      }
    } catch (const zmq::error_t&) {
    }
  }

  zmq::socket_t sock_;
  bool to_hub_;
  int64_t ending_at_ = 0;
};

// A lossless direct output (docs/protocol.md "Lossless streams"): an XPUB that never drops. It counts
// its subscribers from their subscriptions: a subscriber is there once its "" or "eos/" subscription
// arrived (every rvkit input sends one of them, after its filters), and gone when that one is
// unsubscribed (XPUB_VERBOSER passes every unsubscription, also those of a closed connection).
class LosslessZmqOutput final : public ZmqOutputBase {
 public:
  LosslessZmqOutput(const std::string& spec, const OutputOptions& o)
      : sock_(context(), zmq::socket_type::xpub), wanted_(std::max(1, o.subscribers)) {
    name_ = spec;
    Endpoint e = parse_endpoint(spec, true);
    if (e.topics.size() != 1 || !e.topics[0].empty())
      throw Error(fmt::format("{}: topic= only applies to inputs", spec));
    sock_.set(zmq::sockopt::sndhwm, kHighWaterMark);
    sock_.set(zmq::sockopt::xpub_nodrop, true);
    sock_.set(zmq::sockopt::xpub_verboser, true);
    sock_.set(zmq::sockopt::sndtimeo, kSliceMs);
    sock_.set(zmq::sockopt::linger, kLosslessLingerMs);
    // A subscriber that stops answering (its machine gone) is dropped instead of blocking us forever.
    set_heartbeats(sock_);
    attach(sock_, e, spec);
  }

  ~LosslessZmqOutput() override {
    ending_ = true;
    end_stream();
    wait_for_subscribers_to_leave();
    // What is still queued gets a bounded time to reach the subscribers (when the context ends).
    sock_.set(zmq::sockopt::linger, stop_requested() ? kStoppedLingerMs : kLosslessLingerMs);
  }

 private:
  bool send(const std::string& topic, const std::string& head, const uint8_t* payload, size_t n) override {
    if (!wait_for_subscribers()) return false;
    if (!send_part(zmq::buffer(topic), zmq::send_flags::sndmore)) return false;
    // The rest of a message never waits: the high-water mark counts whole messages.
    send_part(zmq::buffer(head), n ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (n) send_part(zmq::const_buffer(payload, n), zmq::send_flags::none);
    ++sent_;
    return true;
  }

  // Before the first message: until `wanted_` subscribers are there. Later: while none is (a message
  // nobody subscribed to would be lost). The eos at the end waits only if nothing was sent yet (an
  // empty stream still reaches its subscribers), and not after a stop.
  bool wait_for_subscribers() {
    read_subscriptions();
    int need = ending_ ? (sent_ == 0 && !stop_requested() ? wanted_ : 0) : sent_ == 0 ? wanted_ : 1;
    if (subscribers_ >= need) return true;
    if (sent_ == 0) {
      if (!said_waiting_)
        log_line(fmt::format("waiting for {} subscriber{} on {}", need, need == 1 ? "" : "s", name_));
      said_waiting_ = true;
    } else {
      log_line(fmt::format("{}: every subscriber left after {} messages; waiting for one", name_, sent_));
    }
    while (subscribers_ < need) {
      if (stop_requested()) return false;
      std::vector<zmq::pollitem_t> item{{sock_.handle(), 0, ZMQ_POLLIN, 0}};
      poll_items(item, kSliceMs);
      read_subscriptions();
    }
    return true;
  }

  // After the eos: until every subscriber has unsubscribed (an rvkit input closes its socket at the
  // eos, after reading everything before it), at most kLosslessLingerMs, kStoppedEndUs after a stop.
  // Not politeness: ZeroMQ's linger ends when the last bytes are in the kernel, and over TCP a socket
  // closed while a subscriber's heartbeat comes in is reset, which throws away what the kernel still
  // had to send to a slow subscriber: the end of the stream.
  void wait_for_subscribers_to_leave() {
    const int64_t start = mono_us();
    read_subscriptions();
    while (subscribers_ > 0) {
      const int64_t allowed = stop_requested() ? kStoppedEndUs : int64_t(kLosslessLingerMs) * 1000;
      if (mono_us() - start > allowed) return;
      std::vector<zmq::pollitem_t> item{{sock_.handle(), 0, ZMQ_POLLIN, 0}};
      poll_items(item, kSliceMs);
      read_subscriptions();
    }
  }

  void read_subscriptions() {
    for (;;) {
      zmq::message_t m;
      try {
        if (!sock_.recv(m, zmq::recv_flags::dontwait)) return;
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) return;
        throw Error(fmt::format("{}: receive failed: {}", name_, e.what()));
      }
      if (m.size() == 0) continue;
      const char* d = m.data<char>();
      std::string_view topic(d + 1, m.size() - 1);
      if (topic.empty() || topic == "eos/") subscribers_ += d[0] == 1 ? 1 : d[0] == 0 ? -1 : 0;
    }
  }

  // Sends one part, waiting while a subscriber's queue is full. A stop request ends the wait
  // (false: nothing of the part was sent); at the end after a stop, the eos waits at most
  // kStoppedEndUs, then goes to whoever has room (the stuck subscriber loses it).
  bool send_part(zmq::const_buffer part, zmq::send_flags flags) {
    for (;;) {
      try {
        if (sock_.send(part, flags)) return true;
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw Error(fmt::format("{}: send failed: {}", name_, e.what()));
      }
      read_subscriptions();  // a stuck subscriber that leaves unblocks the send
      if (!stop_requested()) continue;
      if (!ending_) return false;
      if (!stopped_at_) stopped_at_ = mono_us();
      if (mono_us() - stopped_at_ > kStoppedEndUs) {
        sock_.set(zmq::sockopt::xpub_nodrop, false);
        try {
          return bool(sock_.send(part, flags | zmq::send_flags::dontwait));
        } catch (const zmq::error_t&) {
          return false;
        }
      }
    }
  }

  zmq::socket_t sock_;
  int wanted_;
  int subscribers_ = 0;
  uint64_t sent_ = 0;
  bool ending_ = false, said_waiting_ = false;
  int64_t stopped_at_ = 0;
};

}  // namespace

std::string zmq_topic(const Json& header) {
  std::string t = header.value("type", std::string());
  t.push_back('/');
  auto cam = header.find("cam");
  if (cam != header.end() && cam->is_string()) {
    t += cam->get<std::string>();
    t.push_back('/');
  }
  return t;
}

bool is_zmq_endpoint(const std::string& spec) {
  std::string s = spec;
  if (!s.empty() && (s[0] == '@' || s[0] == '>')) s.erase(0, 1);
  for (const char* scheme : {"tcp://", "ipc://", "inproc://", "pgm://", "epgm://"})
    if (s.rfind(scheme, 0) == 0) return true;
  return false;
}

std::unique_ptr<Input> open_zmq_input(const std::string& spec, const InputOptions& opts) {
  return std::make_unique<ZmqInput>(spec, opts);
}
std::unique_ptr<Output> open_zmq_output(const std::string& spec, const OutputOptions& opts,
                                        int wait_for_subscription_ms) {
  if (opts.lossless) return std::make_unique<LosslessZmqOutput>(spec, opts);
  return std::make_unique<ZmqOutput>(spec, wait_for_subscription_ms);
}

}  // namespace rvkit
