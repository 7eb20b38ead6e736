// rvkit ntserver: the facade (rvkit/nt/server.hpp): binding, the network thread, accepting
// connections, clients coming and going. The parts are in server/ (see server/impl.hpp).
#include "rvkit/nt/server.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/nt/server/connection.hpp"
#include "rvkit/nt/server/impl.hpp"

namespace rvkit::nt {

using namespace server;

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
    Topic* t = topics.find(tid);
    if (!t) continue;
    t->publishers--;
    maybe_delete(tid);
  }
  if (stopping) return;
  drop_meta("$clientsub$" + c.name);
  drop_meta("$clientpub$" + c.name);
  update_clients_meta();
  update_topics_meta();
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
