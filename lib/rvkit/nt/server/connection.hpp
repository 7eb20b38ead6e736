// rvkit ntserver internals: one client connection (the NT4 spec, "Connection Establishment" and
// "Server Behavior"): the HTTP upgrade request and subprotocol choice, then the WebSocket, its
// text and binary frames, and what the client has subscribed to and publishes.
//
// What the server sends a client waits in its SendQueue (server/send_queue.hpp); the connection
// flushes pending values at most once per the client's shortest subscription period (the first
// change after a quiet period at once). What the client sends goes to Server::Impl (on_text,
// on_binary). Threading: a Conn is touched only on the network thread; handlers hold a
// shared_ptr to it, so it lives until the last one has run after teardown().
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/nt/server.hpp"
#include "rvkit/nt/server/send_queue.hpp"
#include "rvkit/nt/server/topic_store.hpp"

namespace rvkit::nt {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

}  // namespace rvkit::nt

namespace rvkit::nt::server {

// One TCP connection: an HTTP upgrade request, then a WebSocket carrying NT4.
struct Conn : std::enable_shared_from_this<Conn> {
  Conn(Server::Impl& s, tcp::socket sock);

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

  SendQueue out;        // what goes out, in order
  std::string rtt_out;  // RTT answers: they go ahead of everything in `out`
  std::string write_buf;
  int64_t period_us = 100000;
  int64_t last_flush = 0;
  bool timer_armed = false;
  net::steady_timer flush_timer;
  uint64_t n_bad = 0;

  // HTTP upgrade
  void start();
  void respond(http::status status, const std::string& text);
  void on_request(const error_code& ec);

  // WebSocket
  void read();
  void teardown(const std::string& why);

  // sending
  void queue_text(Json m);
  void queue_value(int64_t topic_id, const std::string& msg, bool all);
  void forget_topic(int64_t topic_id);
  void schedule();
  void write(bool text);
  void recompute_period();
};

}  // namespace rvkit::nt::server
