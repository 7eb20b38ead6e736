// The message hub's proxy (lib/rvkit/hub/proxy.hpp) with real sockets on ipc:// in a temporary
// folder: live forwarding, the cached state a late subscriber gets, the credit protocol of the
// lossless endpoint (first grant, the first message held for a subscriber, credit back per message),
// a vanished lossless publisher's eos with an error, the report fd, and a hub input's newest live frame.
#include <doctest/doctest.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/hub/proxy.hpp"
#include "rvkit/io/hub_address.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/hub.hpp"

using namespace rvkit;
using namespace std::chrono_literals;

namespace {

struct RunningHub {
  std::string dir;
  hub::ServeEndpoints endpoints;
  std::unique_ptr<hub::Proxy> proxy;
  std::thread thread;

  explicit RunningHub(int report_fd = -1) {
    char tmpl[] = "/tmp/rvkit-hub-test.XXXXXX";
    dir = mkdtemp(tmpl);
    endpoints = hub::serve_endpoints("ipc://" + dir, "", false);
    hub::ProxyOptions o;
    o.endpoints = endpoints;
    o.report_fd = report_fd;
    proxy = std::make_unique<hub::Proxy>(o);
    thread = std::thread([this] { proxy->run(); });
  }
  ~RunningHub() {
    proxy->stop();
    thread.join();
    proxy.reset();
    std::string cmd = "rm -rf '" + dir + "'";
    (void)std::system(cmd.c_str());
  }
};

std::vector<std::string> recv_all(zmq::socket_t& s, int timeout_ms) {
  std::vector<std::string> parts;
  s.set(zmq::sockopt::rcvtimeo, timeout_ms);
  zmq::message_t m;
  if (!s.recv(m)) return parts;
  parts.push_back(m.to_string());
  while (m.more()) {
    (void)s.recv(m);
    parts.push_back(m.to_string());
  }
  return parts;
}

void send_all(zmq::socket_t& s, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i)
    s.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

// Receives until a message whose topic starts with `prefix` (others skipped), or nothing in time.
std::vector<std::string> recv_topic(zmq::socket_t& s, const std::string& prefix, int timeout_ms = 3000) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    auto p = recv_all(s, 100);
    if (!p.empty() && p[0].rfind(prefix, 0) == 0) return p;
  }
  return {};
}

// A subscriber whose subscription has reached the hub: it sees the hub's own record.
zmq::socket_t subscriber(zmq::context_t& ctx, const RunningHub& h, const std::vector<std::string>& prefixes) {
  zmq::socket_t s(ctx, zmq::socket_type::sub);
  for (const auto& p : prefixes) s.set(zmq::sockopt::subscribe, p);
  s.set(zmq::sockopt::subscribe, "hub/");
  s.connect(h.endpoints.subscribe[0]);
  s.connect(h.endpoints.subscribe_lossless[0]);  // as a hub input does
  REQUIRE(!recv_topic(s, "hub/").empty());  // the cached one at once, or the next within a second
  return s;
}

}  // namespace

TEST_CASE("hub proxy: live messages go through whole, and a late subscriber gets the cached camera record") {
  RunningHub h;
  zmq::context_t ctx;
  zmq::socket_t sub = subscriber(ctx, h, {"frame/", "camera/"});
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.connect(h.endpoints.publish[0]);
  // A PUB drops what it sends before the hub's subscription reaches it: send until one arrives.
  std::vector<std::string> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    send_all(pub, {"frame/a/", "{\"type\":\"frame\"}\n", std::string(100000, 'x')});
    got = recv_topic(sub, "frame/", 100);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[1] == "{\"type\":\"frame\"}\n");
  CHECK(got[2].size() == 100000);
  send_all(pub, {"camera/a/", "{\"type\":\"camera\",\"cam\":\"a\",\"urls\":[]}\n"});
  CHECK(!recv_topic(sub, "camera/a/").empty());

  zmq::socket_t late(ctx, zmq::socket_type::sub);
  late.set(zmq::sockopt::subscribe, "camera/");
  late.connect(h.endpoints.subscribe[0]);
  late.connect(h.endpoints.subscribe_lossless[0]);
  auto cached = recv_topic(late, "camera/a/", 2000);
  REQUIRE(cached.size() == 2);
  CHECK(cached[1] == "{\"type\":\"camera\",\"cam\":\"a\",\"urls\":[]}\n");
}

TEST_CASE("hub proxy: a late subscriber gets every cached NT value, however many") {
  RunningHub h;
  zmq::context_t ctx;
  zmq::socket_t sub = subscriber(ctx, h, {"nt/"});
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.set(zmq::sockopt::sndhwm, 1000);
  pub.connect(h.endpoints.publish[0]);
  const int topics = 300;
  auto nt = [](int i) { return "{\"type\":\"nt\",\"topic\":\"/t" + std::to_string(i) + "\",\"value\":" + std::to_string(i) + "}\n"; };
  // Until the hub's subscription reaches the PUB, what it sends is dropped: send the first until seen.
  std::vector<std::string> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    send_all(pub, {"nt/", nt(0)});
    got = recv_topic(sub, "nt/", 100);
  }
  REQUIRE(!got.empty());
  for (int i = 1; i < topics; ++i) {
    send_all(pub, {"nt/", nt(i)});
    if (i % 50 == 0) std::this_thread::sleep_for(10ms);  // the live hop drops past its high-water mark
  }
  std::this_thread::sleep_for(300ms);
  zmq::socket_t late(ctx, zmq::socket_type::sub);
  late.set(zmq::sockopt::rcvhwm, 4);
  late.set(zmq::sockopt::subscribe, "nt/");
  late.connect(h.endpoints.subscribe[0]);
  late.connect(h.endpoints.subscribe_lossless[0]);
  std::set<std::string> seen;
  auto until = std::chrono::steady_clock::now() + 5s;
  while (seen.size() < size_t(topics) && std::chrono::steady_clock::now() < until) {
    auto m = recv_all(late, 100);
    if (m.size() == 2) seen.insert(m[1]);
  }
  CHECK(seen.size() == size_t(topics));
}

TEST_CASE("hub proxy: the lossless endpoint's credit, and a first message held until a subscriber exists") {
  RunningHub h;
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.connect(h.endpoints.lossless[0]);
  send_all(dealer, {"PING"});
  CHECK(recv_all(dealer, 3000) == std::vector<std::string>{"CREDIT", "8"});
  for (int i = 0; i < 3; ++i) send_all(dealer, {"MSG", "frame/r/", "{\"seq\":" + std::to_string(i) + "}\n", "payload"});
  // Nobody subscribed: held, so no credit comes back.
  CHECK(recv_all(dealer, 300).empty());
  zmq::socket_t sub = subscriber(ctx, h, {"frame/r/"});
  for (int i = 0; i < 3; ++i) {
    auto m = recv_topic(sub, "frame/r/");
    REQUIRE(m.size() == 3);
    CHECK(m[1] == "{\"seq\":" + std::to_string(i) + "}\n");
    CHECK(m[2] == "payload");
  }
  int credit = 0;
  while (credit < 3) {
    auto c = recv_all(dealer, 3000);
    REQUIRE(c.size() == 2);
    CHECK(c[0] == "CREDIT");
    credit += std::stoi(c[1]);
  }
  CHECK(credit == 3);
  send_all(dealer, {"BYE"});
  // The answer to BYE, the last thing to this publisher: it may close now without losing anything.
  CHECK(recv_all(dealer, 3000) == std::vector<std::string>{"DONE"});
  CHECK(recv_all(dealer, 300).empty());
}

TEST_CASE("hub proxy: a lossless publisher that vanishes ends its cams with an eos that says so") {
  RunningHub h;
  zmq::context_t ctx;
  zmq::socket_t sub = subscriber(ctx, h, {"frame/v/", "eos/"});
  {
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 1000);
    dealer.connect(h.endpoints.lossless[0]);
    send_all(dealer, {"MSG", "frame/v/", "{}\n"});
    CHECK(recv_all(dealer, 3000) == std::vector<std::string>{"CREDIT", "8"});
    CHECK(!recv_topic(sub, "frame/v/").empty());
  }  // gone without BYE
  auto eos = recv_topic(sub, "eos/", 6000);
  REQUIRE(eos.size() == 2);
  CHECK(eos[0] == "eos/v/");
  CHECK(Json::parse(eos[1]) == Json{{"type", "eos"}, {"cam", "v"}, {"error", "publisher vanished"}});
}

TEST_CASE("hub proxy: the report fd gets the hub record as JSON lines") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  {
    RunningHub h(fds[1]);
    std::string text;
    auto until = std::chrono::steady_clock::now() + 3s;
    while (std::count(text.begin(), text.end(), '\n') < 2 && std::chrono::steady_clock::now() < until) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n > 0) text.append(buf, size_t(n));
    }
    REQUIRE(std::count(text.begin(), text.end(), '\n') >= 2);
    records::Hub r = Json::parse(text.substr(0, text.find('\n'))).get<records::Hub>();
    CHECK(r.t > 0);
  }
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("hub proxy: a full subscriber makes lossless messages wait in order, none lost, live ones still flow") {
  RunningHub h;
  zmq::context_t ctx;
  zmq::socket_t slow(ctx, zmq::socket_type::sub);
  slow.set(zmq::sockopt::rcvhwm, 1);
  slow.set(zmq::sockopt::subscribe, "frame/r/");
  slow.set(zmq::sockopt::subscribe, "hub/");
  slow.connect(h.endpoints.subscribe[0]);
  slow.connect(h.endpoints.subscribe_lossless[0]);
  REQUIRE(!recv_topic(slow, "hub/").empty());
  zmq::socket_t live_sub = subscriber(ctx, h, {"frame/live/"});
  zmq::socket_t live_pub(ctx, zmq::socket_type::pub);
  live_pub.connect(h.endpoints.publish[0]);

  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.connect(h.endpoints.lossless[0]);
  send_all(dealer, {"PING"});
  const int total = 60;
  const std::string payload(1 << 20, 'p');
  int credit = 0, sent = 0;
  auto take_credit = [&](int timeout_ms) {
    auto c = recv_all(dealer, timeout_ms);
    if (c.size() == 2 && c[0] == "CREDIT") credit += std::stoi(c[1]);
    return !c.empty();
  };
  // Send while there is credit; the subscriber reads nothing, so the credit stops coming.
  while (take_credit(credit ? 0 : 500) || credit) {
    while (credit > 0 && sent < total) {
      send_all(dealer, {"MSG", "frame/r/", std::to_string(sent) + "\n", payload});
      --credit;
      ++sent;
    }
    if (sent == total) break;
  }
  CHECK(sent < total);  // the publisher was made to wait
  // Live traffic still reaches the other subscriber meanwhile.
  std::vector<std::string> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    send_all(live_pub, {"frame/live/", "{}\n"});
    got = recv_topic(live_sub, "frame/live/", 100);
  }
  CHECK(!got.empty());
  // Now the slow subscriber reads: every message arrives, in order.
  int next = 0;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (next < total && std::chrono::steady_clock::now() < until) {
    take_credit(0);
    while (credit > 0 && sent < total) {
      send_all(dealer, {"MSG", "frame/r/", std::to_string(sent) + "\n", payload});
      --credit;
      ++sent;
    }
    auto m = recv_all(slow, 50);
    if (m.empty() || m[0] != "frame/r/") continue;
    REQUIRE(m.size() == 3);
    CHECK(m[1] == std::to_string(next) + "\n");
    ++next;
  }
  CHECK(next == total);
  send_all(dealer, {"BYE"});
}

namespace {

std::string frame_header(const std::string& cam, int64_t seq) {
  FrameInfo f;
  f.cam = cam;
  f.seq = seq;
  f.t_capture = 1000 + seq;
  f.w = 4;
  f.h = 1;
  f.fmt = PixelFormat::Gray8;
  f.stride = 4;
  f.bytes = 4;
  return encode_header(make_frame_header(f));
}

}  // namespace

TEST_CASE("hub input: of a camera's live frames already queued, the newest, with records and other cameras kept in order") {
  RunningHub h;
  set_hub_address("ipc://" + h.dir);
  zmq::context_t ctx;
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.connect(h.endpoints.publish[0]);
  InputOptions io;
  auto in = open_input("hub?topic=frame/&topic=note/", io);
  // Until the input's subscription has reached the hub, a PUB's messages are dropped: send a
  // marker record until one arrives.
  Message m;
  bool through = false;
  for (int i = 0; i < 100 && !through; ++i) {
    send_all(pub, {"note/", "{\"type\":\"note\",\"i\":-1}\n"});
    while (in->wait_readable(50) && in->read(m))
      if (m.type() == "note") through = true;
  }
  REQUIRE(through);
  // Three frames of camera a, a record, a frame of camera b, one more of a: fewer than the hub and
  // the reader's queues hold together (about 7 messages here), sent while the reader is busy.
  // Repeated (at most 5 times) in case a loaded machine delivered them one by one: the reader must
  // see only the newest of a run at least once, and never an older frame after a newer one.
  bool skipped = false;
  for (int round = 0; round < 5 && !skipped; ++round) {
    const int64_t base = round * 100;
    for (int64_t k = 0; k < 3; ++k) send_all(pub, {"frame/a/", frame_header("a", base + k), "aaaa"});
    send_all(pub, {"note/", "{\"type\":\"note\",\"i\":" + std::to_string(round) + "}\n"});
    send_all(pub, {"frame/b/", frame_header("b", base), "bbbb"});
    send_all(pub, {"frame/a/", frame_header("a", base + 3), "aaaa"});
    std::this_thread::sleep_for(300ms);
    std::vector<std::string> got;
    int64_t last_a = -1;
    while (got.empty() || got.back() != "a" + std::to_string(base + 3)) {
      if (!in->wait_readable(3000)) {
        std::string seen;
        for (const auto& g : got) seen += g + " ";
        FAIL("round " << round << ": a" << base + 3 << " never came; got " << seen);
      }
      REQUIRE(in->read(m));
      if (m.type() == "note") {
        got.push_back("note" + std::to_string(m.header.at("i").get<int>()));
        continue;
      }
      REQUIRE(m.is_frame());
      int64_t seq = m.header.at("seq").get<int64_t>();
      got.push_back(m.cam() + std::to_string(seq));
      if (m.cam() == "a") {
        CHECK(seq > last_a);  // never an older frame after a newer one
        last_a = seq;
      }
    }
    std::string seen;
    for (const auto& g : got) seen += g + " ";
    MESSAGE("round " << round << ": " << seen);
    // The record and camera b's frame are never skipped, and come in the order they were sent.
    auto note = std::find(got.begin(), got.end(), "note" + std::to_string(round));
    auto b = std::find(got.begin(), got.end(), "b" + std::to_string(base));
    REQUIRE(note != got.end());
    REQUIRE(b != got.end());
    CHECK(note < b);
    skipped = got.front() == "a" + std::to_string(base + 2) && got.size() == 4;  // a2 note b a3
  }
  CHECK(skipped);
  set_hub_address("");
}

TEST_CASE("hub input: a lossless stream's frames are never skipped") {
  RunningHub h;
  set_hub_address("ipc://" + h.dir);
  InputOptions io;
  auto in = open_input("hub?topic=frame/r/", io);
  std::thread writer([&] {
    OutputOptions oo;
    oo.lossless = true;
    auto out = open_output("hub", oo);  // waits for the subscriber
    for (int64_t k = 0; k < 40; ++k) {
      Json head = Json::parse(frame_header("r", k));
      std::string px = "rrrr";
      if (!out->write(head, reinterpret_cast<const uint8_t*>(px.data()), px.size())) break;
    }
  });
  std::this_thread::sleep_for(500ms);  // let them queue up at the reader
  Message m;
  int64_t next = 0;
  while (next < 40 && in->wait_readable(5000) && in->read(m)) {
    if (!m.is_frame()) continue;
    CHECK(m.header.at("seq").get<int64_t>() == next);
    ++next;
  }
  writer.join();
  CHECK(next == 40);
  set_hub_address("");
}
