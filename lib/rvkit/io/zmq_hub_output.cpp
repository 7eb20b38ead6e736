// A lossless output through the hub (docs/protocol.md "Lossless streams"): a DEALER connected to the
// hub's lossless endpoint (its ROUTER), speaking the credit protocol:
//   to the hub    ["MSG", topic, header, payload?]  one message, only with credit left
//                 ["PING"]                          every kPingEveryMs while there is nothing to send
//                                                   or no credit (the hub forgets a publisher silent
//                                                   for 3 s), and at once on each new connection
//                 ["BYE"]                           after the last message, which is the eos
//   from the hub  ["CREDIT", "<n>"]                 n more MSGs may be sent
//                 ["DONE"]                          the answer to BYE: the hub has read everything
// The hub grants credit on the first part of a connection and for each message it passed on; it
// holds a publisher's first message until someone subscribes to it. So a replay through the hub
// waits for its subscribers and never drops.
//
// The PINGs must go on while the tool is busy elsewhere (detect between frames, an input that is
// quiet), so the DEALER lives in a thread of its own: write() hands each message to it over an inproc
// PAIR that holds at most kQueued messages (write() waits beyond that: the tool slows to the pace the
// hub grants). Every wait is stop-aware: a stop request (SIGINT) ends write() at once; the end of
// stream (eos per cam, the plain eos, BYE) then gets kStoppedEndUs, and is given up quietly after
// that. A connection that breaks loses the credit (the hub forgets us); the thread reconnects and
// starts again with a PING.
//
// Why DONE: ZeroMQ's linger only waits until the last bytes are in the kernel. Over TCP, closing a
// socket with unread data in its receive buffer (the hub's CREDITs keep coming) makes the kernel
// send a reset, and a reset makes the hub's kernel throw away what the hub had not read yet: the
// last frames, the eos and BYE. So after BYE the thread waits for DONE (reading and dropping
// CREDITs) before the socket closes: up to kLosslessLingerMs, or kStoppedEndUs after a stop.
#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/hub_address.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/io/zmq/zmq_support.hpp"

namespace rvkit {
namespace {

using namespace zmqio;

constexpr int kPingEveryMs = 250;              // the protocol asks for at least every 500 ms
constexpr int kQueued = 1;                     // each side of the PAIR holds one message
constexpr int kDealerHwm = 64;                 // more than the credit the hub grants, plus PINGs
constexpr int64_t kSayWaitingUs = 1000000;     // unconnected this long: "waiting for the hub at X"
constexpr int64_t kSayHeldUs = 2000000;        // no credit this long: the hub holds our messages

bool is_part(const zmq::message_t& m, std::string_view text) {
  return m.size() == text.size() && std::string_view(m.data<char>(), m.size()) == text;
}

class HubLosslessOutput final : public Output {
 public:
  HubLosslessOutput(const std::string& spec, const std::string& endpoint)
      : endpoint_(endpoint),
        dealer_(context(), zmq::socket_type::dealer),
        to_io_(context(), zmq::socket_type::pair),
        from_writer_(context(), zmq::socket_type::pair) {
    name_ = spec;
    if (spec != "hub") throw Error(fmt::format("{}: options after '?' only apply to inputs", spec));
    // Parts go only to a connection whose handshake is done: without one a send says EAGAIN, which
    // is how the thread knows the hub is not there (instead of queueing for a hub that may never come).
    dealer_.set(zmq::sockopt::immediate, true);
    dealer_.set(zmq::sockopt::sndhwm, kDealerHwm);
    dealer_.set(zmq::sockopt::linger, kLosslessLingerMs);
    set_heartbeats(dealer_);
    monitor_.emplace(dealer_, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    static std::atomic<uint64_t> next{0};
    std::string inproc = fmt::format("inproc://rvkit-hub-output-{}", next++);
    from_writer_.set(zmq::sockopt::rcvhwm, kQueued);
    from_writer_.bind(inproc);
    to_io_.set(zmq::sockopt::sndhwm, kQueued);
    to_io_.set(zmq::sockopt::sndtimeo, kSliceMs);
    to_io_.set(zmq::sockopt::linger, 0);
    to_io_.connect(inproc);
    try {
      dealer_.connect(endpoint_);
    } catch (const zmq::error_t& e) {
      throw Error(fmt::format("{}: cannot connect to the hub at {}: {}", name_, endpoint_, e.what()));
    }
    io_ = start_worker([this] { run(); });
  }

  ~HubLosslessOutput() override {
    ending_ = true;
    try {
      bool ok = true;
      for (const Json& eos : eos_records(cams_.cams()))
        if (ok) ok = hand_over(zmq_topic(eos), encode_header(eos), nullptr, 0);
      if (ok) hand_over_bye();
    } catch (const std::exception&) {
      // the thread's failure was reported by write(), or the eos cannot go: nothing more to say
    }
    io_.join();
    dealer_.set(zmq::sockopt::linger, stop_requested() ? kStoppedLingerMs : kLosslessLingerMs);
  }

  bool write(const Json& header, const uint8_t* payload, size_t n) override {
    cams_.note(header);
    return hand_over(zmq_topic(header), encode_header(header), payload, n);
  }

 private:
  // --- the writer's side (the tool's thread) ---

  // Hands ["MSG", topic, head, payload?] to the I/O thread, waiting while it holds kQueued messages.
  bool hand_over(const std::string& topic, const std::string& head, const uint8_t* payload, size_t n) {
    if (!send_to_io(zmq::buffer(std::string_view("MSG")), zmq::send_flags::sndmore)) return false;
    send_to_io(zmq::buffer(topic), zmq::send_flags::sndmore);
    send_to_io(zmq::buffer(head), n ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (n) send_to_io(zmq::const_buffer(payload, n), zmq::send_flags::none);
    return true;
  }
  bool hand_over_bye() { return send_to_io(zmq::buffer(std::string_view("BYE")), zmq::send_flags::none); }

  // False when the message cannot be handed over: a stop request (at once while streaming, after
  // kStoppedEndUs at the end), or the thread has ended. Throws the thread's failure.
  bool send_to_io(zmq::const_buffer part, zmq::send_flags flags) {
    int64_t stopped_at = 0;
    for (;;) {
      if (std::string f = failure(); !f.empty()) throw Error(f);
      if (io_done_) return false;
      try {
        if (to_io_.send(part, flags)) return true;
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw Error(fmt::format("{}: {}", name_, e.what()));
      }
      if (!stop_requested()) continue;
      if (!ending_) return false;
      if (!stopped_at) stopped_at = mono_us();
      if (mono_us() - stopped_at > kStoppedEndUs) return false;
    }
  }

  std::string failure() {
    std::lock_guard<std::mutex> lock(failure_mu_);
    return failure_;
  }

  // --- the I/O thread ---

  void run() {
    try {
      talk_to_hub();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(failure_mu_);
      failure_ = fmt::format("{}: the hub at {}: {}", name_, endpoint_, e.what());
    }
    io_done_ = true;
  }

  void talk_to_hub() {
    std::vector<zmq::message_t> pending;  // a message taken from the writer, not sent yet
    int64_t credit = 0;
    bool connected = false, said_unconnected = false, said_held = false;
    int64_t last_part = 0;  // when our last part went to the hub (0: none on this connection)
    int64_t unconnected_since = mono_us(), no_credit_since = 0, stopped_at = 0;
    for (;;) {
      const int64_t now = mono_us();
      if (stop_requested()) {
        if (!stopped_at) stopped_at = now;
        if (now - stopped_at > kStoppedEndUs) return;  // the end of stream could not go: give up quietly
      }
      for (int ev; (ev = monitor_->next_event()) != 0;) {
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
          connected = true;
          said_unconnected = false;
          last_part = 0;  // a new connection is a new publisher to the hub: it grants on our first part
        } else if (ev == ZMQ_EVENT_DISCONNECTED) {
          connected = false;
          unconnected_since = now;
          credit = 0;  // the hub forgets a connection that is gone, and the credit it granted on it
        }
      }
      (void)read_credit(credit);  // (a DONE before our BYE means nothing)
      if (pending.empty()) take_from_writer(pending);

      if (!pending.empty()) {
        const bool bye = is_part(pending[0], "BYE");
        if ((bye || credit > 0) && send_to_hub(pending)) {
          last_part = now;
          if (bye) return wait_for_done(connected);
          --credit;
          no_credit_since = 0;
          continue;
        }
        if (connected && credit == 0) {
          if (!no_credit_since) no_credit_since = now;
          if (!said_held && now - no_credit_since > kSayHeldUs) {
            said_held = true;
            log_line(fmt::format("waiting for the hub at {} to pass messages on (it holds them until they have a subscriber)",
                                 endpoint_));
          }
        }
      }
      if (last_part == 0 || now - last_part >= kPingEveryMs * 1000) {
        std::vector<zmq::message_t> ping;
        ping.emplace_back(std::string_view("PING"));
        // Not connected: the next try in kSliceMs, not at once.
        last_part = send_to_hub(ping) ? now : now - int64_t(kPingEveryMs - kSliceMs) * 1000;
      }
      if (!connected && !said_unconnected && now - unconnected_since > kSayWaitingUs) {
        said_unconnected = true;
        log_line(fmt::format("waiting for the hub at {}", endpoint_));
      }

      std::vector<zmq::pollitem_t> items{{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                                         {monitor_->socket().handle(), 0, ZMQ_POLLIN, 0}};
      if (pending.empty()) items.push_back({from_writer_.handle(), 0, ZMQ_POLLIN, 0});
      int64_t next_ping_ms = last_part ? (last_part + kPingEveryMs * 1000 - mono_us()) / 1000 : 0;
      poll_items(items, int(std::clamp<int64_t>(next_ping_ms, 0, kSliceMs)));
    }
  }

  // After BYE: until the hub's DONE, the connection breaking, or the time allowed. Says once when
  // the end may not have reached the hub.
  void wait_for_done(bool connected) {
    const int64_t start = mono_us();
    int64_t credit = 0;
    for (;;) {
      const int64_t now = mono_us();
      const int64_t allowed = stop_requested() ? kStoppedEndUs : int64_t(kLosslessLingerMs) * 1000;
      for (int ev; (ev = monitor_->next_event()) != 0;)
        if (ev == ZMQ_EVENT_DISCONNECTED) connected = false;
      if (read_credit(credit)) return;
      if (!connected || now - start > allowed) {
        if (!stop_requested())
          log_line(fmt::format("{}: the hub at {} did not confirm the end of the stream{}: its last messages may be lost",
                               name_, endpoint_, connected ? fmt::format(" within {} s", allowed / 1000000) : " (the connection broke)"));
        return;
      }
      std::vector<zmq::pollitem_t> items{{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                                         {monitor_->socket().handle(), 0, ZMQ_POLLIN, 0}};
      poll_items(items, kSliceMs);
    }
  }

  // CREDIT messages add to `credit`; returns whether DONE came. Anything else from the hub is said
  // once and ignored.
  bool read_credit(int64_t& credit) {
    for (;;) {
      std::vector<zmq::message_t> parts;
      if (!recv_all(dealer_, parts)) return false;
      if (parts.size() == 1 && is_part(parts[0], "DONE")) return true;
      if (parts.size() == 2 && is_part(parts[0], "CREDIT")) {
        std::string n(parts[1].data<char>(), parts[1].size());
        char* end = nullptr;
        long long v = std::strtoll(n.c_str(), &end, 10);
        if (!n.empty() && *end == 0 && v > 0) {
          credit += v;
          continue;
        }
      }
      if (!said_odd_) {
        said_odd_ = true;
        log_line(fmt::format("{}: the hub at {} sent a message that is neither [\"CREDIT\", \"<n>\"] nor [\"DONE\"]: ignored",
                             name_, endpoint_));
      }
    }
  }

  void take_from_writer(std::vector<zmq::message_t>& parts) { recv_all(from_writer_, parts); }

  // All parts of one message, if one is waiting.
  static bool recv_all(zmq::socket_t& sock, std::vector<zmq::message_t>& parts) {
    parts.clear();
    zmq::message_t part;
    try {
      if (!sock.recv(part, zmq::recv_flags::dontwait)) return false;
      bool more = part.more();
      parts.push_back(std::move(part));
      while (more) {
        zmq::message_t next;
        (void)sock.recv(next, zmq::recv_flags::none);  // the rest of a message is there with its first part
        more = next.more();
        parts.push_back(std::move(next));
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR || parts.empty()) return false;
      throw;
    }
    return true;
  }

  // Sends every part without waiting; false (nothing sent) when the hub is not connected or its
  // queue is full. The parts are kept for a retry: they are sent as copies.
  bool send_to_hub(std::vector<zmq::message_t>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      zmq::message_t copy;
      copy.copy(parts[i]);  // shares the data (reference counted), no byte is copied
      auto flags = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      try {
        if (!dealer_.send(copy, flags | zmq::send_flags::dontwait)) {
          if (i == 0) return false;
          --i;  // the rest of a message never waits (the high-water mark counts whole messages)
        }
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
        if (i == 0) return false;
        --i;
      }
    }
    parts.clear();
    return true;
  }

  std::string endpoint_;
  zmq::socket_t dealer_;                  // the I/O thread's (after the constructor)
  std::optional<SocketMonitor> monitor_;  // the I/O thread's; after dealer_: closed before it
  zmq::socket_t to_io_;                   // the writer's end of the PAIR
  zmq::socket_t from_writer_;             // the I/O thread's end
  CamList cams_;                          // the writer's
  std::atomic<bool> ending_{false}, io_done_{false};
  bool said_odd_ = false;                 // the I/O thread's
  std::mutex failure_mu_;
  std::string failure_;
  std::thread io_;
};

}  // namespace

std::unique_ptr<Output> open_zmq_hub_lossless_output(const std::string& spec, const std::string& endpoint) {
  return std::make_unique<HubLosslessOutput>(spec, endpoint);
}

}  // namespace rvkit
