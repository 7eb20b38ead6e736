// Messages over ZeroMQ PUB/SUB (docs/protocol.md, "ZeroMQ").
//
// Each message is one multipart ZeroMQ message: [topic, header, payload?]. The topic is
// "<type>/<cam>/" (or "<type>/"), so a subscriber picks one camera or one record type by
// prefix. The header part is the same JSON line as on a byte stream (with its '\n').
// Publishers keep a small send high-water mark: a slow subscriber loses whole messages
// instead of stalling the publisher or growing its memory.
#include <zmq.hpp>

#include <fmt/format.h>

#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/io/zmq/zmq_support.hpp"
#include "rvkit/records/eos.hpp"

namespace rvkit {
namespace {

using zmqio::attach;
using zmqio::context;
using zmqio::Endpoint;
using zmqio::parse_endpoint;

constexpr int kHighWaterMark = 4;  // messages queued per peer before dropping

class ZmqInput final : public Input {
 public:
  ZmqInput(const std::string& spec, const InputOptions& opts)
      : opts_(opts), sock_(context(), zmq::socket_type::sub) {
    name_ = spec;
    Endpoint e = parse_endpoint(spec, false);
    sock_.set(zmq::sockopt::rcvhwm, kHighWaterMark);
    sock_.set(zmq::sockopt::maxmsgsize, int64_t(opts_.max_payload + kMaxHeaderBytes + 1024));
    for (auto& t : e.topics) sock_.set(zmq::sockopt::subscribe, t);
    // Filtered subscribers still hear the publisher's end of stream.
    if (e.topics.size() != 1 || !e.topics[0].empty())
      sock_.set(zmq::sockopt::subscribe, zmq_topic(Json(records::Eos{})));
    attach(sock_, e, spec);
  }

  bool read(Message& m) override {
    for (;;) {
      if (stop_requested()) return false;
      if (!wait_readable(200)) continue;
      zmq::message_t topic, head, body;
      if (!recv_part(topic)) return false;
      ++count_;
      if (!topic.more()) fail("a message with one part (expected topic, header[, payload])");
      if (!recv_part(head)) return false;
      bool has_payload = head.more();
      if (has_payload && !recv_part(body)) return false;
      while (body.more()) {  // swallow unexpected extra parts
        zmq::message_t extra;
        if (!recv_part(extra)) return false;
        if (!extra.more()) fail("more than three parts");
      }
      std::string_view text(static_cast<const char*>(head.data()), head.size());
      if (text.size() > kMaxHeaderBytes) fail(fmt::format("header is longer than {} bytes", kMaxHeaderBytes));
      try {
        m.header = Json::parse(text);
      } catch (const Json::parse_error& e) {
        std::string w = e.what();
        auto p = w.find("parse error");
        fail("bad JSON: " + (p == std::string::npos ? w : w.substr(p)));
      }
      std::string problem = validate_header(m.header, opts_.max_payload);
      if (!problem.empty()) fail(problem);
      uint64_t n = m.header.value("bytes", uint64_t(0));
      if (n != body.size())
        fail(fmt::format("field 'bytes': {} but the payload part has {} bytes", n, body.size()));
      m.payload.assign(body.data(), body.size());
      if (m.type() == records::Eos::kType) return false;  // a publisher's normal end (docs/records.md)
      return true;
    }
  }

  bool wait_readable(int timeout_ms) override {
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      return zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) > 0;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return false;
      throw;
    }
  }

  uint64_t count() const override { return count_; }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw StreamError(fmt::format("{}: message {}: {}", name_, count_, problem));
  }
  bool recv_part(zmq::message_t& part) {
    for (;;) {
      try {
        if (sock_.recv(part, zmq::recv_flags::none)) return true;
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
  zmq::socket_t sock_;
  uint64_t count_ = 0;
};

class ZmqOutput final : public Output {
 public:
  explicit ZmqOutput(const std::string& spec) : sock_(context(), zmq::socket_type::pub) {
    name_ = spec;
    Endpoint e = parse_endpoint(spec, true);
    if (e.topics.size() != 1 || !e.topics[0].empty())
      throw Error(fmt::format("{}: topic= only applies to inputs", spec));
    sock_.set(zmq::sockopt::sndhwm, kHighWaterMark);
    sock_.set(zmq::sockopt::linger, 500);
    attach(sock_, e, spec);
  }

  ~ZmqOutput() override {
    // Tell subscribers the stream ended normally.
    write(Json(records::Eos{}), nullptr, 0);
  }

  bool write(const Json& header, const uint8_t* payload, size_t n) override {
    std::string topic = zmq_topic(header);
    std::string head = encode_header(header);
    try {
      // PUB never blocks: past the high-water mark a subscriber's message is dropped whole.
      sock_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
      sock_.send(zmq::buffer(head), n ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (n) sock_.send(zmq::const_buffer(payload, n), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return !stop_requested();
      throw Error(fmt::format("{}: send failed: {}", name_, e.what()));
    }
    return true;
  }

 private:
  zmq::socket_t sock_;
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
std::unique_ptr<Output> open_zmq_output(const std::string& spec) {
  return std::make_unique<ZmqOutput>(spec);
}

}  // namespace rvkit
