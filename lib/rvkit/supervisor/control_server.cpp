// rvkit supervisor: the control socket's server (see control_server.hpp).
#include "rvkit/supervisor/control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/core/json_error.hpp"

namespace rvkit::supervisor {
namespace {

constexpr const char* kWhat = "control socket";

Json error_reply(const std::string& message) { return Json{{"ok", false}, {"error", message}}; }

// The default socket's folder: created 0700, or already there and safe to put a socket in (the
// user's own, writable by nobody else: someone else could replace the socket otherwise).
void ensure_private_folder(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return;
  if (errno != EEXIST)
    throw Error(fmt::format("{} folder {}: cannot create it: {}", kWhat, dir, std::strerror(errno)));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw Error(fmt::format("{} folder {}: {}", kWhat, dir, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) throw Error(fmt::format("{} folder {}: exists and is not a folder", kWhat, dir));
  if (st.st_uid != ::getuid())
    throw Error(fmt::format("{} folder {}: belongs to another user (uid {})", kWhat, dir, st.st_uid));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw Error(fmt::format("{} folder {}: other users may write to it (mode {:o}): chmod go-w it", kWhat, dir,
                            st.st_mode & 07777));
}

// What answers at `addr`: true when a server accepts (or its backlog is full), false when the
// socket file is there but nobody listens (ECONNREFUSED: a hub run that died left it).
bool something_listens(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: do not remove it
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(fd);
  return rc == 0 || err != ECONNREFUSED;
}

// The request's "name" ("" when absent); sets `error` to the reply when it is missing but
// required, or not a string.
std::string request_name(const Json& req, const std::string& cmd, bool required, Json& error) {
  auto it = req.find("name");
  if (it == req.end() || it->is_null()) {
    if (required) error = error_reply(fmt::format("'{}' needs a \"name\"", cmd));
    return "";
  }
  if (!it->is_string()) {
    error = error_reply("\"name\" is not a string");
    return "";
  }
  std::string name = it->get<std::string>();
  if (required && name.empty())
    error = error_reply(fmt::format("'{}' needs a \"name\"", cmd));
  return name;
}

Json reply_to(const Json& req, Control& control) {
  if (!req.is_object()) return error_reply("a request is a JSON object such as {\"cmd\":\"status\"}");
  auto cmd_it = req.find("cmd");
  if (cmd_it == req.end() || !cmd_it->is_string())
    return error_reply("a request needs \"cmd\": \"status\", \"restart\", \"stop\", \"logs\" or \"save\"");
  const std::string cmd = cmd_it->get<std::string>();
  Json error;
  if (cmd == "status") {
    Json list = Json::array();
    for (const ProcessStatus& p : control.status()) list.push_back(to_json(p));
    return Json{{"ok", true}, {"processes", std::move(list)}};
  }
  if (cmd == "restart" || cmd == "stop") {
    std::string name = request_name(req, cmd, cmd == "restart", error);
    if (!error.is_null()) return error;
    std::string problem = cmd == "restart" ? control.restart(name) : control.stop(name);
    return problem.empty() ? Json{{"ok", true}} : error_reply(problem);
  }
  if (cmd == "logs") {
    std::string name = request_name(req, cmd, true, error);
    if (!error.is_null()) return error;
    size_t lines = 0;
    auto it = req.find("lines");
    if (it != req.end() && !it->is_null()) {
      if (!it->is_number_unsigned()) return error_reply("\"lines\" is not a count (0 or more)");
      lines = it->get<size_t>();
    }
    std::string problem;
    std::vector<std::string> got = control.logs(name, lines, problem);
    if (!problem.empty()) return error_reply(problem);
    return Json{{"ok", true}, {"lines", std::move(got)}, {"total", control.log_total(name)}};
  }
  if (cmd == "save") {
    std::string name = request_name(req, cmd, false, error);
    if (!error.is_null()) return error;
    std::string problem;
    std::vector<SaveSignal> got = control.save(name, problem);
    if (!problem.empty()) return error_reply(problem);
    Json list = Json::array();
    for (const SaveSignal& s : got) list.push_back(Json{{"name", s.name}, {"pid", s.pid}, {"log_total", s.log_total}});
    return Json{{"ok", true}, {"signalled", std::move(list)}};
  }
  std::string shown = cmd.size() > 40 ? cmd.substr(0, 40) + "..." : cmd;
  return error_reply(fmt::format("unknown cmd '{}' (status, restart, stop, logs, save)", shown));
}

// One reply line; bytes that are not UTF-8 (a process's log line may hold anything) become U+FFFD
// instead of making dump() throw.
std::string reply_line(const Json& reply) {
  return reply.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string default_control_path() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/rvkit/hub.sock";
  return fmt::format("/tmp/rvkit-hub-{}/hub.sock", ::getuid());
}

Json control_reply(std::string_view request_line, Control& control) {
  Json req;
  try {
    req = Json::parse(request_line);
  } catch (const std::exception& e) {
    return error_reply("malformed request: " + json_error_text(e));
  }
  try {
    return reply_to(req, control);
  } catch (const std::exception& e) {
    return error_reply(e.what());
  }
}

SocketServer::Limits ControlServer::default_limits() {
  SocketServer::Limits l;
  l.max_clients = 32;
  l.max_input = kMaxRequestLine;
  l.idle_timeout_s = 10;
  return l;
}

ControlServer::Socket ControlServer::bind_socket(std::string path) {
  if (path.empty()) {
    path = default_control_path();
    ensure_private_folder(path.substr(0, path.rfind('/')));
  }
  sockaddr_un addr = unix_socket_address(path, kWhat);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(fmt::format("{} {}: socket: {}", kWhat, path, std::strerror(errno)));
  auto fail = [&](const std::string& why) {
    ::close(fd);
    return Error(fmt::format("{} {}: {}", kWhat, path, why));
  };
  for (int attempt = 0;; ++attempt) {
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    if (errno != EADDRINUSE || attempt > 0) throw fail(fmt::format("cannot listen: {}", std::strerror(errno)));
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
      throw fail("a file that is not a socket is in the way");
    if (something_listens(addr)) {
      ::close(fd);
      throw Error("another hub run is using " + path);
    }
    ::unlink(path.c_str());  // stale: its hub run is gone
  }
  // Only the user may connect (connecting needs write permission on the socket file).
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 16) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throw fail(std::strerror(err));
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  return Socket{path, fd, st.st_ino};
}

ControlServer::ControlServer(std::string path, SocketServer::Limits limits)
    : ControlServer(bind_socket(std::move(path)), limits) {}

ControlServer::ControlServer(Socket socket, SocketServer::Limits limits)
    : path_(std::move(socket.path)),
      inode_(socket.inode),
      server_(socket.fd, limits, reply_line(error_reply("too many control clients: try again"))) {}

ControlServer::~ControlServer() {
  // Another hub run may have replaced a file we lost track of: remove only our own.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == inode_) ::unlink(path_.c_str());
}

bool ControlServer::on_ready(int fd, short revents, Control& control) {
  return server_.on_ready(fd, revents, [&](SocketServer::Client& c) {
    size_t start = 0;
    for (size_t nl; (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(c.in.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank: nothing asked
      c.out += reply_line(control_reply(line, control));
    }
    c.in.erase(0, start);
    if (c.in.size() >= kMaxRequestLine || c.in.size() >= server_.limits().max_input) {
      c.out += reply_line(error_reply(fmt::format("a request line may have at most {} bytes", kMaxRequestLine - 1)));
      c.close_after_reply = true;
      c.in.clear();
    } else if (c.eof && !c.in.empty()) {
      // The last request without its newline (printf '{"cmd":"status"}' | nc -U ...).
      if (c.in.find_first_not_of(" \t\r") != std::string::npos) c.out += reply_line(control_reply(c.in, control));
      c.in.clear();
    }
  });
}

}  // namespace rvkit::supervisor
