// The status page of `hub run --http`: curl and raw clients against a StatusPage served by a poll
// loop in this test (the page, /status.json, HEAD, 404/405/400/413/431, keep-alive and pipelined
// requests, many slow clients that must not block curl), and headless Chromium running the page's
// script (the table filled from /status.json).
// What only the end-to-end test of `hub run --http` can check: the page of a real supervisor, its
// numbers changing as processes restart.
#include "test_util.hpp"

#include <memory>

#include "control_test_loop.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/supervisor/status_page.hpp"

using namespace rvkit;
using namespace rvkit::supervisor;
using testutil::error_of;
using controltest::FakeControl;
using controltest::Peer;
using controltest::run_while_serving;
using controltest::turn_until;

namespace {

// The program's stdout, failing the test when it did not exit with status 0.
std::string succeeded(const controltest::Run& r) {
  CHECK_MESSAGE(r.status == 0, "status " << r.status << ": " << r.err);
  return r.out;
}

std::string curl(StatusPage& page, FakeControl& c, const std::vector<std::string>& extra, const std::string& path) {
  std::vector<std::string> args{"curl", "-s", "-i", "--max-time", "10"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("http://127.0.0.1:" + std::to_string(page.port()) + path);
  return succeeded(run_while_serving(page, c, args));
}

// Turns the loop until the raw client got `n` responses (counted by their status lines) or closed.
void await_responses(StatusPage& page, FakeControl& c, Peer& p, size_t n) {
  turn_until(page, c, [&] {
    p.read();
    size_t count = 0;
    for (size_t at = 0; (at = p.got.find("HTTP/1.", at)) != std::string::npos; ++at) ++count;
    return count >= n || p.closed;
  });
}

}  // namespace

TEST_CASE("status page: / and /status.json over curl") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  REQUIRE(page.port() > 0);

  std::string html = curl(page, c, {}, "/");
  CHECK(html.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(html.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
  CHECK(html.find("Cache-Control: no-store\r\n") != std::string::npos);
  CHECK(html.find("<table id=\"processes\">") != std::string::npos);
  CHECK(html.find("fetch(\"/status.json\"") != std::string::npos);
  CHECK(curl(page, c, {}, "/index.html").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);

  std::string json = curl(page, c, {}, "/status.json?t=12345");
  CHECK(json.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(json.find("Content-Type: application/json\r\n") != std::string::npos);
  Json j = Json::parse(json.substr(json.find("\r\n\r\n") + 4));
  REQUIRE(j.at("processes").size() == 2);
  CHECK(j["processes"][0]["name"] == "detect-front");
  CHECK(j["processes"][1]["state"] == "failed");
  CHECK(j.dump() == status_json(c));

  std::string head = curl(page, c, {"-I"}, "/status.json");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: " + std::to_string(status_json(c).size()) + "\r\n") != std::string::npos);
  CHECK(head.substr(head.find("\r\n\r\n") + 4).empty());
}

TEST_CASE("status page: 404, 405, and the server stays healthy") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  std::string nf = curl(page, c, {}, "/nope");
  CHECK(nf.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(nf.find("no such page: /nope (pages: /, /status.json)") != std::string::npos);
  std::string post = curl(page, c, {"-X", "POST"}, "/status.json");
  CHECK(post.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(post.find("method POST is not served (use GET)") != std::string::npos);
  CHECK(curl(page, c, {}, "/status.json").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  // curl closed its connections: the server lets them go once it has seen the ends (a turn or two).
  CHECK(turn_until(page, c, [&] { return page.clients() == 0; }));
}

TEST_CASE("status page: malformed, too large and body-carrying requests are refused and closed") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  {
    Peer p(controltest::connect_tcp(page.port()));
    controltest::send_all(p.fd, "GARBAGE\r\n\r\n");
    turn_until(page, c, [&] { p.read(); return p.closed; });
    CHECK(p.closed);
    CHECK(p.got.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(p.got.find("malformed HTTP request: ") != std::string::npos);
  }
  {
    Peer p(controltest::connect_tcp(page.port()));
    controltest::send_all(p.fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'b') + "\r\n\r\n");
    turn_until(page, c, [&] { p.read(); return p.closed; });
    CHECK(p.closed);
    CHECK(p.got.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0) == 0);
    CHECK(p.got.find("the request line and headers exceed 8192 bytes") != std::string::npos);
  }
  {
    Peer p(controltest::connect_tcp(page.port()));
    controltest::send_all(p.fd, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    turn_until(page, c, [&] { p.read(); return p.closed; });
    CHECK(p.closed);
    CHECK(p.got.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0) == 0);
  }
  {
    Peer p(controltest::connect_tcp(page.port()));
    controltest::send_all(p.fd, "GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n");
    turn_until(page, c, [&] { p.read(); return p.closed; });
    CHECK(p.got.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(p.got.find("the request target is not a path") != std::string::npos);
  }
  turn_until(page, c, [&] { return page.clients() == 0; });
  CHECK(page.clients() == 0);
}

TEST_CASE("status page: keep-alive and pipelined requests, answered in order, HTTP/1.0 closes") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  Peer p(controltest::connect_tcp(page.port()));
  // Two requests in one write, the third in two halves.
  controltest::send_all(p.fd, "GET /status.json HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET / HT");
  await_responses(page, c, p, 2);
  CHECK(p.got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  size_t second = p.got.find("HTTP/1.1 404 Not Found\r\n");
  CHECK(second != std::string::npos);
  CHECK(p.got.find("\"processes\"") < second);
  CHECK(!p.closed);
  controltest::send_all(p.fd, "TP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  turn_until(page, c, [&] { p.read(); return p.closed; });
  CHECK(p.closed);
  CHECK(p.got.find("<table id=\"processes\">") != std::string::npos);

  Peer old(controltest::connect_tcp(page.port()));
  controltest::send_all(old.fd, "GET /status.json HTTP/1.0\r\n\r\n");
  turn_until(page, c, [&] { old.read(); return old.closed; });
  CHECK(old.closed);
  CHECK(old.got.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
}

TEST_CASE("status page: many silent and half-sent clients do not hold up curl, and time out") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  std::vector<std::unique_ptr<Peer>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<Peer>(controltest::connect_tcp(page.port())));
    if (i % 2) controltest::send_all(slow.back()->fd, "GET /status.json HTTP/1.1\r\nHo");
  }
  turn_until(page, c, [&] { return page.clients() == 40; });
  CHECK(page.clients() == 40);
  const int64_t t0 = mono_us();
  CHECK(curl(page, c, {}, "/status.json").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(mono_us() - t0 < 5000000);
  for (auto& p : slow) {
    p->read();
    CHECK(p->got.empty());
  }
  page.expire(mono_us() + 16 * 1000000);  // 15 s idle later
  CHECK(page.clients() == 0);
}

TEST_CASE("status page: the address it cannot listen on is named") {
  StatusPage first("127.0.0.1", 0);
  CHECK(error_of<Error>([&] { StatusPage again("127.0.0.1", first.port()); }) ==
        "status page: cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use");
  CHECK(error_of<Error>([&] { StatusPage bad("127.0.0.1", 70000); }) ==
        "status page 127.0.0.1:70000: the port must be 0..65535");
}

TEST_CASE("status page: headless Chromium runs the page's script and shows the processes") {
  FakeControl c;
  StatusPage page("127.0.0.1", 0);
  testutil::TempDir profile;
  std::string dom = succeeded(run_while_serving(
      page, c,
      {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + profile.path, "--virtual-time-budget=3000", "--dump-dom",
       "http://127.0.0.1:" + std::to_string(page.port()) + "/"},
      90));
  // The rows the script built from /status.json (none are in the HTML as served).
  CHECK(dom.find("<td>detect-front</td><td class=\"state-ready\">ready</td><td>4242</td><td>1m15s</td>") !=
        std::string::npos);
  CHECK(dom.find("<td>37.5%</td><td>48.0M</td>") != std::string::npos);
  CHECK(dom.find("<td>ntpub</td><td class=\"state-failed\">failed</td><td>-</td>") != std::string::npos);
  CHECK(dom.find("2 process(es), 1 failed") != std::string::npos);
}
