// The control socket of hub run: the request/reply protocol (control_reply), the server in a poll
// loop driven by this test (several requests per connection, malformed and over-long requests, a
// client that says nothing, one that reads nothing, too many clients), the socket file (default
// path, stale file, a live hub run already there) and the client (control_request/control_call).
// What only the end-to-end test of `hub run` can check: that the supervisor's loop really polls
// these fds next to its children's pipes, and `hub stop` ending a real hub run.
#include "test_util.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "control_test_loop.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/supervisor/control_client.hpp"
#include "rvkit/supervisor/control_server.hpp"

using namespace rvkit;
using namespace rvkit::supervisor;
using testutil::error_of;
using controltest::FakeControl;
using controltest::Peer;
using controltest::ScopedEnv;
using controltest::turn_until;

namespace {

Json reply(FakeControl& c, const std::string& line) { return control_reply(line, c); }

std::string error_text(const Json& j) {
  REQUIRE(j.is_object());
  CHECK(j.at("ok") == false);
  return j.value("error", "");
}

// A control_request() from another thread (it blocks) while this thread turns the loop.
template <class F>
auto while_serving(ControlServer& server, FakeControl& control, F f) {
  auto fut = std::async(std::launch::async, f);
  turn_until(server, control, [&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  REQUIRE(fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  return fut.get();
}

}  // namespace

TEST_CASE("control_reply: status, restart, stop and logs through Control") {
  FakeControl c;
  Json st = reply(c, R"({"cmd":"status"})");
  REQUIRE(st.at("ok") == true);
  REQUIRE(st.at("processes").size() == 2);
  CHECK(st["processes"][0]["name"] == "detect-front");
  CHECK(st["processes"][0]["state"] == "ready");
  CHECK(st["processes"][1]["last_message_age_s"].is_null());

  CHECK(reply(c, R"({"cmd":"restart","name":"ntpub"})") == Json{{"ok", true}});
  CHECK(error_text(reply(c, R"({"cmd":"restart","name":"nope"})")) == "no process named 'nope'");
  CHECK(reply(c, R"({"cmd":"stop","name":"ntpub"})") == Json{{"ok", true}});
  CHECK(reply(c, R"({"cmd":"stop"})") == Json{{"ok", true}});

  Json logs = reply(c, R"({"cmd":"logs","name":"detect-front","lines":2})");
  CHECK(logs.at("lines") == Json{"line 2", "line 3"});
  CHECK(reply(c, R"({"cmd":"logs","name":"detect-front"})").at("lines").size() == 3);
  CHECK(error_text(reply(c, R"({"cmd":"logs","name":"nope"})")) == "no process named 'nope'");
  CHECK(c.calls == std::vector<std::string>{"restart ntpub", "restart nope", "stop ntpub", "stop ", "logs detect-front 2",
                                            "logs detect-front 0", "logs nope 0"});
}

TEST_CASE("control_reply: save names the processes signalled, and logs say how many lines there were in all") {
  FakeControl c;
  CHECK(reply(c, R"({"cmd":"save"})") ==
        Json::parse(R"({"ok":true,"signalled":[{"name":"detect-front","pid":4242,"log_total":43}]})"));
  CHECK(reply(c, R"({"cmd":"save","name":"detect-front"})").at("signalled").size() == 1);
  CHECK(error_text(reply(c, R"({"cmd":"save","name":"ntpub"})")) == "'ntpub' does not run rec itself");
  CHECK(error_text(reply(c, R"({"cmd":"save","name":"nope"})")) == "no process named 'nope'");
  CHECK(error_text(reply(c, R"({"cmd":"save","name":5})")) == "\"name\" is not a string");
  CHECK(reply(c, R"({"cmd":"logs","name":"detect-front","lines":1})").at("total") == 43);
  CHECK(c.calls == std::vector<std::string>{"save ", "save detect-front", "save ntpub", "save nope",
                                            "logs detect-front 1"});
}

TEST_CASE("control_reply: every malformed request is an error reply naming the problem") {
  FakeControl c;
  CHECK(error_text(reply(c, "{\"cmd\":")).rfind("malformed request: ", 0) == 0);
  CHECK(error_text(reply(c, "not json at all")).rfind("malformed request: ", 0) == 0);
  CHECK(error_text(reply(c, "[1,2]")).find("a request is a JSON object") != std::string::npos);
  CHECK(error_text(reply(c, "{}")).find("needs \"cmd\"") != std::string::npos);
  CHECK(error_text(reply(c, R"({"cmd":7})")).find("needs \"cmd\"") != std::string::npos);
  CHECK(error_text(reply(c, R"({"cmd":"reboot"})")) == "unknown cmd 'reboot' (status, restart, stop, logs, save)");
  CHECK(error_text(reply(c, R"({"cmd":"restart"})")) == "'restart' needs a \"name\"");
  CHECK(error_text(reply(c, R"({"cmd":"restart","name":""})")) == "'restart' needs a \"name\"");
  CHECK(error_text(reply(c, R"({"cmd":"restart","name":3})")) == "\"name\" is not a string");
  CHECK(error_text(reply(c, R"({"cmd":"logs","name":"detect-front","lines":-1})")) ==
        "\"lines\" is not a count (0 or more)");
  CHECK(error_text(reply(c, R"({"cmd":"logs","name":"detect-front","lines":"5"})")) ==
        "\"lines\" is not a count (0 or more)");
  c.throw_on_status = true;
  CHECK(error_text(reply(c, R"({"cmd":"status"})")) == "the status broke");
  CHECK(c.calls.empty());  // none of them reached the supervisor's actions
}

TEST_CASE("control_reply: log lines that are not UTF-8 still make a reply line") {
  FakeControl c;
  c.log_lines["detect-front"] = {std::string("bad \xff\xfe bytes"), "fine"};
  Json r = reply(c, R"({"cmd":"logs","name":"detect-front"})");
  REQUIRE(r.at("ok") == true);
  // The server dumps with replacement characters; dumping must not throw.
  std::string dumped = r.dump(-1, ' ', false, Json::error_handler_t::replace);
  CHECK(dumped.find("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes") != std::string::npos);
}

TEST_CASE("control server: several requests on one connection, answered in order, halves joined") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  CHECK(server.path() == dir.file("hub.sock"));
  struct stat st {};
  REQUIRE(::stat(server.path().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);

  Peer p(controltest::connect_unix(server.path()));
  controltest::send_all(p.fd, "{\"cmd\":\"status\"}\n\n{\"cmd\":\"restart\",\"name\":\"ntpub\"}\r\n{\"cmd\":\"lo");
  REQUIRE(turn_until(server, c, [&] { p.read(); return p.lines() >= 2; }));
  controltest::send_all(p.fd, "gs\",\"name\":\"detect-front\",\"lines\":1}\n");
  REQUIRE(turn_until(server, c, [&] { p.read(); return p.lines() >= 3; }));
  std::istringstream in(p.got);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  CHECK(Json::parse(l1).at("processes").size() == 2);
  CHECK(Json::parse(l2) == Json{{"ok", true}});
  CHECK(Json::parse(l3).at("lines") == Json{"line 3"});
  CHECK(!p.closed);  // the connection stays for more requests
  CHECK(c.calls == std::vector<std::string>{"restart ntpub", "logs detect-front 1"});
}

TEST_CASE("control server: a malformed request gets an error reply and the connection still serves") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  Peer p(controltest::connect_unix(server.path()));
  controltest::send_all(p.fd, "{{{{ nonsense\n\x01\x02\x03\xff\n{\"cmd\":\"status\"}\n");
  REQUIRE(turn_until(server, c, [&] { p.read(); return p.lines() >= 3; }));
  std::istringstream in(p.got);
  std::string l;
  std::getline(in, l);
  CHECK(error_text(Json::parse(l)).rfind("malformed request", 0) == 0);
  std::getline(in, l);
  CHECK(error_text(Json::parse(l)).rfind("malformed request", 0) == 0);
  std::getline(in, l);
  CHECK(Json::parse(l).at("ok") == true);
}

TEST_CASE("control server: the last request may end without a newline when the client closes its side") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  Peer p(controltest::connect_unix(server.path()));
  controltest::send_all(p.fd, R"({"cmd":"stop","name":"ntpub"})");
  ::shutdown(p.fd, SHUT_WR);
  REQUIRE(turn_until(server, c, [&] { p.read(); return p.closed; }));
  CHECK(Json::parse(p.got) == Json{{"ok", true}});
  CHECK(server.clients() == 0);
}

TEST_CASE("control server: an over-long request line is refused and the connection closed") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  Peer p(controltest::connect_unix(server.path()));
  std::string huge = "{\"cmd\":\"" + std::string(kMaxRequestLine + 1000, 'x');  // never a newline
  // Sending blocks once the server stops reading, so it is sent from another thread.
  std::thread sender([&] {
    size_t sent = 0;
    while (sent < huge.size()) {
      ssize_t n = ::send(p.fd, huge.data() + sent, huge.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += size_t(n);
      else if (errno == EAGAIN) ::poll(nullptr, 0, 5);
      else break;  // the server hung up: that is the point
    }
  });
  REQUIRE(turn_until(server, c, [&] { p.read(); return p.closed; }));
  sender.join();
  CHECK(error_text(Json::parse(p.got.substr(0, p.got.find('\n')))) ==
        "a request line may have at most 65535 bytes");
  CHECK(server.clients() == 0);
}

TEST_CASE("control server: a client that says nothing blocks nobody and is closed when idle") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  Peer silent(controltest::connect_unix(server.path()));
  Peer half(controltest::connect_unix(server.path()));
  controltest::send_all(half.fd, "{\"cmd\":\"sta");  // and then nothing
  Peer talker(controltest::connect_unix(server.path()));
  controltest::send_all(talker.fd, "{\"cmd\":\"status\"}\n");
  REQUIRE(turn_until(server, c, [&] { talker.read(); return talker.lines() == 1; }, 2));
  CHECK(server.clients() == 3);
  // 10 s idle later (the clock is the loop's; the test passes its own "now").
  server.expire(mono_us() + 11 * 1000000);
  CHECK(server.clients() == 0);
  REQUIRE(turn_until(server, c, [&] { silent.read(); half.read(); return silent.closed && half.closed; }, 2));
  CHECK(silent.got.empty());
  CHECK(half.got.empty());
}

TEST_CASE("control server: a client that reads none of a large reply is dropped, not waited for") {
  testutil::TempDir dir;
  FakeControl c;
  c.log_lines["detect-front"] = std::vector<std::string>(60000, std::string(100, 'l'));  // a 6 MB reply
  SocketServer::Limits limits = ControlServer::default_limits();
  limits.max_output = 1 << 20;
  ControlServer server(dir.file("hub.sock"), limits);
  Peer p(controltest::connect_unix(server.path()));
  controltest::send_all(p.fd, "{\"cmd\":\"logs\",\"name\":\"detect-front\"}\n");
  const int64_t t0 = mono_us();
  REQUIRE(turn_until(server, c, [&] { return server.clients() == 0; }, 2));
  CHECK(mono_us() - t0 < 2000000);
}

TEST_CASE("control server: over its client limit a new client gets a busy reply") {
  testutil::TempDir dir;
  FakeControl c;
  SocketServer::Limits limits = ControlServer::default_limits();
  limits.max_clients = 1;
  ControlServer server(dir.file("hub.sock"), limits);
  Peer first(controltest::connect_unix(server.path()));
  REQUIRE(turn_until(server, c, [&] { return server.clients() == 1; }));
  Peer second(controltest::connect_unix(server.path()));
  REQUIRE(turn_until(server, c, [&] { second.read(); return second.closed; }));
  CHECK(error_text(Json::parse(second.got)) == "too many control clients: try again");
  CHECK(server.clients() == 1);
}

TEST_CASE("control server: the socket file — a stale one replaced, a live one refused, its own removed") {
  testutil::TempDir dir;
  const std::string path = dir.file("hub.sock");
  {
    // A crashed hub run's socket: bound, nobody listening.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a = unix_socket_address(path, "test socket");
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::close(fd);
  }
  {
    ControlServer server(path);
    FakeControl c;
    CHECK(server.path() == path);
    CHECK(error_of<Error>([&] { ControlServer again(path); }) == "another hub run is using " + path);
    // The refused second server did not remove the live one's socket.
    Peer p(controltest::connect_unix(path));
    controltest::send_all(p.fd, "{\"cmd\":\"status\"}\n");
    REQUIRE(turn_until(server, c, [&] { p.read(); return p.lines() == 1; }));
  }
  CHECK(!std::filesystem::exists(path));  // removed when the server went

  testutil::write_file(path, "not a socket");
  CHECK(error_of<Error>([&] { ControlServer s(path); }) ==
        "control socket " + path + ": a file that is not a socket is in the way");
  CHECK(testutil::read_file(path) == "not a socket");

  std::string too_long = dir.path + "/" + std::string(120, 'x');
  CHECK(error_of<Error>([&] { ControlServer s(too_long); }).find("a unix socket's may have at most 107") !=
        std::string::npos);
}

TEST_CASE("control server: the default path is under XDG_RUNTIME_DIR, in a folder of mode 0700") {
  testutil::TempDir dir;
  ScopedEnv xdg("XDG_RUNTIME_DIR", dir.path);
  CHECK(default_control_path() == dir.path + "/rvkit/hub.sock");
  {
    ControlServer server;
    CHECK(server.path() == dir.path + "/rvkit/hub.sock");
    struct stat st {};
    REQUIRE(::stat((dir.path + "/rvkit").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
  }
  // A folder others may write to is refused (they could put their own socket there).
  ::chmod((dir.path + "/rvkit").c_str(), 0777);
  CHECK(error_of<Error>([&] { ControlServer s; }).find("other users may write to it (mode 777)") !=
        std::string::npos);
  {
    ScopedEnv none("XDG_RUNTIME_DIR", "");
    CHECK(default_control_path() == "/tmp/rvkit-hub-" + std::to_string(::getuid()) + "/hub.sock");
  }
}

TEST_CASE("control client: status, an unknown name, no hub run, a hub run that never answers") {
  testutil::TempDir dir;
  FakeControl c;
  ControlServer server(dir.file("hub.sock"));
  Json st = while_serving(server, c, [&] { return control_call(server.path(), {{"cmd", "status"}}); });
  CHECK(st.at("processes").size() == 2);
  std::string err = while_serving(server, c, [&] {
    return error_of<Error>([&] { control_call(server.path(), {{"cmd", "restart"}, {"name", "nope"}}); });
  });
  CHECK(err == "no process named 'nope'");
  Json raw = while_serving(server, c, [&] { return control_request(server.path(), {{"cmd", "restart"}}); });
  CHECK(raw.at("ok") == false);

  CHECK(error_of<Error>([&] { control_call(dir.file("none.sock"), {{"cmd", "status"}}); }) ==
        "no hub run is listening on " + dir.file("none.sock"));

  // A socket that accepts (the kernel does, from its backlog) but whose owner never answers.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a = unix_socket_address(dir.file("mute.sock"), "test socket");
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  const int64_t t0 = mono_us();
  CHECK(error_of<Error>([&] { control_call(dir.file("mute.sock"), {{"cmd", "status"}}, 0.3); }) ==
        "no reply from the hub run on " + dir.file("mute.sock") + " within 0.3 s");
  CHECK(mono_us() - t0 < 2000000);
  ::close(fd);
}
