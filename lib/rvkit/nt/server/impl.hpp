// rvkit ntserver internals: the server's state and the functions that change it, shared by the
// files of lib/rvkit/nt/server/ (the public API is rvkit/nt/server.hpp). The parts with a class
// of their own are the topics (server/topic_store.hpp), one connection (server/connection.hpp)
// and what it has yet to send (server/send_queue.hpp); the functions below, grouped by the file
// that defines them, tie those together.
//
// Threading: everything here is touched only on the network thread (the one thread running `io`),
// except the counters, atomics that Server::counters() reads from any thread. Topics and
// connections refer to each other by id; a function that walks `conns` or `topics` must not erase
// from them while it does (a connection that must go is torn down from a posted handler).
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/nt/server.hpp"
#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/topic_store.hpp"
#include "rvkit/nt/wire.hpp"

namespace rvkit::nt {

struct Server::Impl {
  using Conn = server::Conn;
  using Topic = server::Topic;

  explicit Impl(ServerOptions o) : opts(std::move(o)), acceptor(io), persist_timer(io) {}

  ServerOptions opts;
  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer persist_timer;
  std::thread thread;
  int port = 0;
  bool stopping = false;

  server::TopicStore topics;
  int64_t next_conn_id = 1;
  std::map<int64_t, std::shared_ptr<Conn>> conns;  // every accepted connection
  std::set<std::string> client_names;
  std::map<std::string, Json> meta_cache;  // last content of each meta topic

  std::atomic<uint64_t> n_clients{0}, n_topics{0}, n_in{0}, n_out{0}, n_bad{0}, n_conns{0};

  void log(const std::string& s) const { log_line(s); }

  // nt/server.cpp: accepting connections; clients come and go
  void accept();
  void on_client_open(const std::shared_ptr<Conn>& c);
  void on_client_closed(Conn& c);

  // server/control.cpp: what clients send
  void on_text(const std::shared_ptr<Conn>& c, std::string_view text);
  void on_binary(const std::shared_ptr<Conn>& c, const uint8_t* p, size_t n);
  void on_control(const std::shared_ptr<Conn>& c, const std::string& method, const Json& params);
  void on_value(const std::shared_ptr<Conn>& c, const BinaryMessage& m);
  void bad(Conn& c, const std::string& what);

  // server/topics.cpp: changes to the topic store, told to the clients; which client gets what
  Topic& create_topic(const std::string& name, const std::string& type, const Json& props, bool server_owned);
  void delete_topic(int64_t id);
  void maybe_delete(int64_t id);
  void set_value(Topic& t, Value v, int64_t ts, Conn* from);
  void refresh_client_topic(Conn& c, Topic& t);
  void announce(Conn& c, Topic& t, std::optional<int64_t> pubuid);

  // server/meta_topics.cpp: $clients, $serverpub, $sub$NAME, ...
  void set_meta(const std::string& name, const Json& content);
  void drop_meta(const std::string& name);
  void update_clients_meta();
  void update_client_meta(Conn& c);
  void update_topic_meta(const Topic& t);
  void update_topics_meta();  // of every topic

  // server/persistence.cpp: the --persist file
  void load_persistent();
  void save_persistent();
  void persist_tick();
};

}  // namespace rvkit::nt
