// rvkit ntserver: one client connection (server/connection.hpp).
#include "rvkit/nt/server/connection.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/nt/address.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/wire.hpp"

namespace rvkit::nt::server {

namespace {

constexpr const char* kRttSubprotocol = "rtt.networktables.first.wpi.edu";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

Conn::Conn(Server::Impl& s, tcp::socket sock) : srv(s), http_stream(std::move(sock)), out(s.n_out), flush_timer(s.io) {}

// ---------------------------------------------------------------- HTTP upgrade

void Conn::start() {
  http_stream.expires_after(std::chrono::seconds(5));
  parser.emplace();
  parser->header_limit(16 * 1024);
  parser->body_limit(0);
  auto self = shared_from_this();
  http::async_read(http_stream, buf, *parser, [self](const error_code& ec, size_t) { self->on_request(ec); });
}

void Conn::respond(http::status status, const std::string& text) {
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

void Conn::on_request(const error_code& ec) {
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
void Conn::read() {
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

void Conn::teardown(const std::string& why) {
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
void Conn::queue_text(Json m) {
  if (closed) return;
  if (!out.push_text(std::move(m))) {
    // Not torn down here: callers may be walking the connection list.
    auto self = shared_from_this();
    net::post(srv.io, [self] { self->teardown("too slow: too many control messages waiting"); });
    return;
  }
  schedule();
}

void Conn::queue_value(int64_t topic_id, const std::string& msg, bool all) {
  if (closed) return;
  out.push_value(topic_id, msg, all);
  schedule();
}

void Conn::forget_topic(int64_t topic_id) {
  out.forget(topic_id);
  state.erase(topic_id);
}

void Conn::schedule() {
  if (!open || closed || writing) return;
  if (!rtt_out.empty()) {
    write_buf.swap(rtt_out);
    rtt_out.clear();
    return write(false);
  }
  if (out.empty() && out.values_pending()) {
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
    out.compose_value_frames();
  }
  if (out.empty()) return;
  auto frame = out.pop_frame();
  write_buf = std::move(frame.data);
  write(frame.text);
}

void Conn::write(bool text) {
  writing = true;
  ws->text(text);
  auto self = shared_from_this();
  ws->async_write(net::buffer(write_buf), [self](const error_code& ec, size_t) {
    self->writing = false;
    if (ec) return self->teardown("write failed: " + ec.message());
    self->schedule();
  });
}

void Conn::recompute_period() {
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

}  // namespace rvkit::nt::server
