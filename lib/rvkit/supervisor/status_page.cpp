// rvkit supervisor: the HTTP status page of hub run (see status_page.hpp).
#include "rvkit/supervisor/status_page.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::supervisor {
namespace {

namespace http = boost::beast::http;

struct Answer {
  http::status status = http::status::ok;
  std::string type = "text/plain; charset=utf-8";
  std::string body;
  bool close = false;       // an error that leaves the stream unparseable: hang up after it
  bool allow = false;       // 405: say which methods are served
};

Answer error_answer(http::status status, const std::string& text, bool close) {
  return Answer{status, "text/plain; charset=utf-8", text + "\n", close, status == http::status::method_not_allowed};
}

// The response bytes: Beast's serializer writes the status line and headers.
std::string serialize(const Answer& a, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> res(a.status, version);
  res.set(http::field::server, "rvkit-hub/" RVKIT_VERSION);
  res.set(http::field::content_type, a.type);
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::access_control_allow_origin, "*");
  if (a.allow) res.set(http::field::allow, "GET, HEAD");
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(a.body.size());  // what GET would send
  } else {
    res.body() = a.body;
    res.prepare_payload();
  }
  std::ostringstream os;
  os << res;
  return os.str();
}

Answer answer(const http::request<http::empty_body>& req, Control& control) {
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return error_answer(http::status::method_not_allowed,
                        fmt::format("method {} is not served (use GET)", std::string(req.method_string())), false);
  std::string_view target(req.target().data(), req.target().size());
  if (target.empty() || target.front() != '/')
    return error_answer(http::status::bad_request, "the request target is not a path", true);
  target = target.substr(0, target.find('?'));  // a cache-busting query changes nothing
  if (target == "/" || target == "/index.html")
    return Answer{http::status::ok, "text/html; charset=utf-8", status_page_html()};
  if (target == "/status.json") return Answer{http::status::ok, "application/json", status_json(control)};
  std::string shown(target.substr(0, 100));
  return error_answer(http::status::not_found, fmt::format("no such page: {} (pages: /, /status.json)", shown),
                      false);
}

// Handles the complete requests at the front of the client's input, in order.
void serve_requests(SocketServer::Client& c, Control& control) {
  while (!c.in.empty() && !c.close_after_reply) {
    // A fresh parser over the whole buffer each time: Beast needs a request's header in one
    // contiguous buffer anyway, and the buffer is bounded, so parsing a partial header again when
    // more bytes come is cheap and leaves no state between reads.
    http::request_parser<http::empty_body> parser;
    parser.header_limit(uint32_t(kMaxRequestHeader));
    parser.eager(false);
    boost::beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(c.in.data(), c.in.size()), ec);
    if (ec == http::error::need_more && !parser.is_header_done()) {
      if (c.eof) c.close_after_reply = true;  // half a request, and nothing more will come
      return;
    }
    Answer a;
    unsigned version = 11;
    bool keep_alive = false, head = false;
    if (ec == http::error::header_limit) {
      a = error_answer(http::status::request_header_fields_too_large,
                       fmt::format("the request line and headers exceed {} bytes", kMaxRequestHeader), true);
    } else if (ec && ec != http::error::need_more) {
      a = error_answer(http::status::bad_request, "malformed HTTP request: " + ec.message(), true);
    } else if (parser.chunked() || parser.content_length().value_or(0) > 0) {
      a = error_answer(http::status::payload_too_large, "request bodies are not accepted", true);
    } else {
      const auto& req = parser.get();
      version = req.version() == 10 ? 10 : 11;
      keep_alive = req.keep_alive();
      head = req.method() == http::verb::head;
      try {
        a = answer(req, control);
      } catch (const std::exception& e) {
        a = error_answer(http::status::internal_server_error, e.what(), false);
      }
      c.in.erase(0, used);
    }
    if (a.close) keep_alive = false;
    c.out += serialize(a, version, keep_alive, head);
    if (!keep_alive) {
      c.close_after_reply = true;
      c.in.clear();
    }
  }
  if (c.eof && !c.close_after_reply) c.close_after_reply = true;
}

// A listening TCP socket on host:port and the port it got.
std::pair<int, int> listen_tcp(const std::string& host, int port) {
  const std::string where = fmt::format("{}:{}", host.empty() ? "*" : host, port);
  if (port < 0 || port > 65535) throw Error(fmt::format("status page {}: the port must be 0..65535", where));
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) throw Error(fmt::format("status page {}: {}", where, ::gai_strerror(rc)));
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    int got = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    ::freeaddrinfo(res);
    return {fd, got};
  }
  ::freeaddrinfo(res);
  throw Error(fmt::format("status page: cannot listen on {}: {}", where, last_error));
}

}  // namespace

std::string status_json(Control& control) {
  Json list = Json::array();
  for (const ProcessStatus& p : control.status()) list.push_back(to_json(p));
  return Json{{"processes", std::move(list)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

SocketServer::Limits StatusPage::default_limits() {
  SocketServer::Limits l;
  l.max_clients = 64;
  l.max_input = 2 * kMaxRequestHeader;
  l.idle_timeout_s = 15;
  return l;
}

StatusPage::StatusPage(const std::string& host, int port, SocketServer::Limits limits)
    : StatusPage(listen_tcp(host, port), limits) {}

StatusPage::StatusPage(std::pair<int, int> fd_and_port, SocketServer::Limits limits)
    : port_(fd_and_port.second),
      server_(fd_and_port.first, limits,
              serialize(error_answer(http::status::service_unavailable, "too many clients: try again", true), 11,
                        false, false)) {}

bool StatusPage::on_ready(int fd, short revents, Control& control) {
  return server_.on_ready(fd, revents, [&](SocketServer::Client& c) { serve_requests(c, control); });
}

const std::string& status_page_html() {
  static const std::string page = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rvkit hub</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 12px; background: #15171a; color: #e6e6e6; }
 h1 { font-size: 18px; margin: 0 0 10px; }
 #status { color: #a8b0ba; font-size: 12px; }
 table { border-collapse: collapse; margin-top: 12px; background: #202328; }
 td, th { padding: 3px 10px; text-align: right; border-bottom: 1px solid #333; white-space: nowrap; }
 td:nth-child(-n+2), th:nth-child(-n+2), td:nth-child(6), th:nth-child(6), td:last-child, th:last-child { text-align: left; }
 th { color: #a8b0ba; font-weight: 600; }
 td:last-child { white-space: normal; color: #a8b0ba; }
 .state-running, .state-ready { color: #7bd88f; }
 .state-starting, .state-waiting, .state-backoff, .state-stopping { color: #f0c674; }
 .state-failed { color: #ff6b6b; font-weight: 600; }
 .state-stopped { color: #a8b0ba; }
</style></head>
<body>
<h1>rvkit hub</h1>
<div id="status">loading&hellip;</div>
<table id="processes"></table>
<script>
"use strict";
// The same cells as `hub status` (lib/rvkit/supervisor/status.cpp).
function duration(s) {
  if (s === null || s === undefined || !isFinite(s) || s < 0) return "-";
  if (s < 10) return s.toFixed(1) + "s";
  const t = Math.floor(s), two = (n) => String(n).padStart(2, "0");
  if (t < 60) return t + "s";
  if (t < 3600) return Math.floor(t / 60) + "m" + two(t % 60) + "s";
  if (t < 86400) return Math.floor(t / 3600) + "h" + two(Math.floor(t % 3600 / 60)) + "m";
  return Math.floor(t / 86400) + "d" + two(Math.floor(t % 86400 / 3600)) + "h";
}
function bytes(b) {
  if (b < 1024) return b + "B";
  const units = ["K", "M", "G", "T"];
  let v = b / 1024, u = 0;
  while (v >= 1024 && u < 3) { v /= 1024; ++u; }
  return (v < 100 ? v.toFixed(1) : v.toFixed(0)) + units[u];
}
function row(cells, tag, stateClass) {
  const tr = document.createElement("tr");
  cells.forEach((v, i) => {
    const td = document.createElement(tag);
    td.textContent = v;
    if (i === 1 && stateClass) td.className = "state-" + stateClass;
    tr.append(td);
  });
  return tr;
}
async function refresh() {
  try {
    const r = await fetch("/status.json", { cache: "no-store" });
    const s = await r.json();
    const t = document.getElementById("processes");
    t.replaceChildren(row(["name", "state", "pid", "uptime", "restarts", "last exit", "CPU", "RSS", "last message", ""], "th"));
    let failed = 0;
    for (const p of s.processes) {
      const up = p.pid > 0;
      if (p.state === "failed") ++failed;
      t.append(row([p.name, p.state, up ? p.pid : "-", up ? duration(p.uptime_s) : "-", p.restarts,
                    p.last_exit || "-", up ? p.cpu_percent.toFixed(1) + "%" : "-", up ? bytes(p.rss_bytes) : "-",
                    duration(p.last_message_age_s), p.reason], "td", p.state));
    }
    document.getElementById("status").textContent = s.processes.length + " process(es)" +
      (failed ? ", " + failed + " failed" : "") + " \u00b7 updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("status").textContent = "hub run not answering: " + e;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body></html>
)HTML";
  return page;
}

}  // namespace rvkit::supervisor
