// rvkit io, private: what the ZeroMQ transports share (see zmq_support.hpp).
#include "rvkit/io/zmq/zmq_support.hpp"

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::zmqio {

zmq::context_t& context() {
  static zmq::context_t ctx(1);
  return ctx;
}

Endpoint parse_endpoint(const std::string& spec, bool bind_default) {
  Endpoint e;
  std::string s = spec;
  e.bind = bind_default;
  if (!s.empty() && (s[0] == '@' || s[0] == '>')) {
    e.bind = s[0] == '@';
    s.erase(0, 1);
  }
  auto q = s.find('?');
  if (q != std::string::npos) {
    std::string query = s.substr(q + 1);
    s.erase(q);
    size_t p = 0;
    while (p <= query.size()) {
      size_t amp = query.find('&', p);
      std::string kv = query.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
      if (kv.rfind("topic=", 0) == 0)
        e.topics.push_back(kv.substr(6));
      else if (!kv.empty())
        throw Error(fmt::format("{}: unknown endpoint option '{}' (only topic=PREFIX)", spec, kv));
      if (amp == std::string::npos) break;
      p = amp + 1;
    }
  }
  e.address = s;
  if (e.topics.empty()) e.topics.push_back("");
  return e;
}

void attach(zmq::socket_t& sock, const Endpoint& e, const std::string& spec) {
  try {
    if (e.bind)
      sock.bind(e.address);
    else
      sock.connect(e.address);
  } catch (const zmq::error_t& err) {
    throw Error(fmt::format("{}: cannot {}: {}", spec, e.bind ? "bind" : "connect", err.what()));
  }
}

}  // namespace rvkit::zmqio
