// Lossless ZeroMQ streams (rvkit/io/transport.hpp, docs/protocol.md "Lossless streams"): the hub
// output's credit protocol against a fake hub (a ROUTER in a thread granting credit), the direct
// lossless output's subscribers and end of stream, and the eos rules of direct and hub inputs.
// Stops (SIGINT) are process-wide, so they are tested on a real cap, started here against the fake hub.
#include "test_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/io/hub_address.hpp"
#include "rvkit/io/transport.hpp"


using namespace rvkit;
using testutil::eventually;
using testutil::TempDir;

namespace {

// What the fake hub heard: one entry per message from the publisher.
struct Heard {
  std::string kind;        // "MSG", "PING", "BYE" or whatever else came
  std::string topic;       // MSG: its topic
  Json header;             // MSG: its header
  int64_t granted = 0;     // credit granted before this message arrived
  int64_t t_us = 0;        // when (mono_us)
};

// The hub's ROUTER side of the credit protocol, as HELPER-11 item 2 and docs/protocol.md say: it
// grants `first_grant` on a publisher's first part and whatever grant() adds later.
class FakeHub {
 public:
  // answer_bye: DONE after BYE, as the hub does (the output closes only after it).
  FakeHub(std::string endpoint, int first_grant, bool answer_bye = true)
      : endpoint_(std::move(endpoint)), first_grant_(first_grant), answer_bye_(answer_bye) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.bind(endpoint_);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeHub() {
    done_ = true;
    thread_.join();
  }
  void grant(int n) { to_grant_ += n; }
  std::vector<Heard> heard() {
    std::lock_guard<std::mutex> lock(mu_);
    return heard_;
  }
  size_t count(const std::string& kind) {
    size_t n = 0;
    for (const Heard& h : heard())
      if (h.kind == kind) ++n;
    return n;
  }
  int64_t msgs_beyond_credit() const { return beyond_; }

 private:
  void run() {
    while (!done_) {
      zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(10));
      if (item.revents & ZMQ_POLLIN) receive();
      if (!peer_.empty() && to_grant_ > 0) send_credit(to_grant_.exchange(0));
    }
  }
  void receive() {
    std::vector<zmq::message_t> parts;
    (void)zmq::recv_multipart(sock_, std::back_inserter(parts));
    if (parts.size() < 2) return;  // (no doctest assertion outside the test's thread)
    bool first = peer_.empty();
    peer_ = parts[0].to_string();
    Heard h;
    h.kind = parts[1].to_string();
    h.t_us = mono_us();
    h.granted = granted_;
    if (h.kind == "MSG" && parts.size() >= 4) {
      h.topic = parts[2].to_string();
      h.header = Json::parse(parts[3].to_string());
      if (++msgs_ > granted_) ++beyond_;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      heard_.push_back(h);
    }
    if (first && first_grant_ > 0) send_credit(first_grant_);
    if (h.kind == "BYE" && answer_bye_) {
      std::array<zmq::const_buffer, 2> done{zmq::buffer(peer_), zmq::buffer(std::string_view("DONE"))};
      zmq::send_multipart(sock_, done);
    }
  }
  void send_credit(int n) {
    granted_ += n;
    std::string count = std::to_string(n);
    std::array<zmq::const_buffer, 3> msg{zmq::buffer(peer_), zmq::buffer(std::string_view("CREDIT")), zmq::buffer(count)};
    zmq::send_multipart(sock_, msg);
  }

  std::string endpoint_;
  int first_grant_;
  bool answer_bye_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_{ctx_, zmq::socket_type::router};
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<int> to_grant_{0};
  std::string peer_;
  int64_t granted_ = 0, msgs_ = 0;
  std::atomic<int64_t> beyond_{0};
  std::mutex mu_;
  std::vector<Heard> heard_;
};

Json record(int i, const std::string& cam = "front") { return Json{{"type", "detections"}, {"cam", cam}, {"seq", i}}; }

// Collects what is written to stderr while it lives (log_line writes there, from any thread).
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    saved_ = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() const { return testutil::read_file(path_); }
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }

 private:
  std::string path_;
  int saved_ = -1;
};

size_t lines_matching(const std::string& text, const std::string& what) {
  size_t n = 0, p = 0;
  while ((p = text.find(what, p)) != std::string::npos) ++n, p += what.size();
  return n;
}

// A tool of this build, started with RVKIT_HUB set and stderr to a file; ends it however the test ends
// (the destructor; testutil::spawn()'s parent-death signal when the binary itself is killed, since a
// cap without its hub waits for it for good).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& hub, const std::string& err) {
    std::vector<std::string> env{"RVKIT_HUB=" + hub};
    for (char** e = environ; *e; ++e)
      if (std::string(*e).rfind("RVKIT_HUB=", 0) != 0) env.push_back(*e);
    pid_ = testutil::spawn(argv, {"/dev/null", "/dev/null", err}, &env);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Sends SIGINT once the child catches it (a signal sent before its handlers exist would kill it).
  void interrupt() {
    REQUIRE(eventually([&] { return catches_sigint(); }, 10));
    kill(pid_, SIGINT);
  }
  // The exit status, or -1 if it has not exited within `seconds`.
  int wait(double seconds) {
    int status = 0;
    bool ended = eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, seconds);
    if (!ended) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  bool catches_sigint() const {
    std::string status = testutil::read_file("/proc/" + std::to_string(pid_) + "/status");
    auto p = status.find("SigCgt:");
    if (p == std::string::npos) return false;
    return (std::stoull(status.substr(p + 7), nullptr, 16) & (1u << (SIGINT - 1))) != 0;
  }
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("hub lossless output: no MSG without credit, PINGs while waiting, the eos per cam, the plain eos, then BYE") {
  TempDir dir;
  set_hub_address("ipc://" + dir.path);
  FakeHub hub(hub_endpoints().lossless, 2);
  std::atomic<bool> written{false};
  std::thread writer([&] {
    OutputOptions o;
    o.lossless = true;
    auto out = open_output("hub", o);
    for (int i = 0; i < 8; ++i) out->write(record(i), nullptr, 0);
    written = true;
  });  // the output's end: the eos and BYE
  REQUIRE(eventually([&] { return hub.count("MSG") == 2; }, 10));
  // Out of credit: PINGs only, at least every 500 ms.
  REQUIRE(eventually([&] { return hub.count("PING") >= 4; }, 10));
  CHECK(hub.count("MSG") == 2);
  CHECK_FALSE(written);  // 2 sent, 3 handed over, the 6th waits
  hub.grant(2);
  REQUIRE(eventually([&] { return hub.count("MSG") == 4; }, 10));
  hub.grant(10);
  writer.join();
  REQUIRE(eventually([&] { return hub.count("BYE") == 1; }, 10));
  std::vector<Heard> h = hub.heard();
  CHECK(hub.msgs_beyond_credit() == 0);
  REQUIRE_FALSE(h.empty());
  CHECK(h.front().kind == "PING");  // its first part, on which the hub grants
  CHECK(h.back().kind == "BYE");
  std::vector<std::string> msgs;
  int64_t last_t = h.front().t_us, longest_gap = 0;
  for (const Heard& e : h) {
    longest_gap = std::max(longest_gap, e.t_us - last_t);
    last_t = e.t_us;
    if (e.kind == "MSG") msgs.push_back(e.topic + " " + e.header.dump());
  }
  CHECK(longest_gap < 500000);
  std::vector<std::string> expected;
  for (int i = 0; i < 8; ++i) expected.push_back("detections/front/ " + record(i).dump());
  expected.push_back(R"(eos/front/ {"type":"eos","cam":"front"})");
  expected.push_back(R"(eos/ {"type":"eos"})");
  CHECK(msgs == expected);
  set_hub_address("");
}

TEST_CASE("hub lossless output: it closes only after the hub's DONE, and a hub that never answers BYE costs 5 s and one line") {
  TempDir dir;
  set_hub_address("ipc://" + dir.path);
  const std::string endpoint = hub_endpoints().lossless;
  SUBCASE("DONE: the end is at once") {
    FakeHub hub(endpoint, 8);
    int64_t start = mono_us();
    {
      OutputOptions o;
      o.lossless = true;
      auto out = open_output("hub", o);
      out->write(record(0), nullptr, 0);
    }
    CHECK(hub.count("BYE") == 1);  // heard before the output's end returned
    CHECK(mono_us() - start < 4'000'000);
  }
  SUBCASE("no DONE: 5 s, then one line") {
    StderrCapture err(dir.file("stderr"));
    FakeHub hub(endpoint, 8, /*answer_bye=*/false);
    int64_t start = mono_us();
    {
      OutputOptions o;
      o.lossless = true;
      auto out = open_output("hub", o);
      out->write(record(0), nullptr, 0);
    }
    int64_t took = mono_us() - start;
    std::string text = err.text();
    err.restore();
    CHECK(hub.count("BYE") == 1);
    CHECK(took >= 5'000'000);
    CHECK(text == "rvkit: hub: the hub at " + endpoint + " did not confirm the end of the stream within 5 s: its last messages may be lost\n");
  }
  set_hub_address("");
}

TEST_CASE("hub lossless output: no hub at all is one line 'waiting for the hub at X', then the hub that comes gets everything") {
  TempDir dir;
  set_hub_address("ipc://" + dir.path);
  const std::string endpoint = hub_endpoints().lossless;
  StderrCapture err(dir.file("stderr"));
  std::atomic<bool> written{false};
  std::thread writer([&] {
    OutputOptions o;
    o.lossless = true;
    auto out = open_output("hub", o);
    for (int i = 0; i < 6; ++i) out->write(record(i), nullptr, 0);
    written = true;
  });
  REQUIRE(eventually([&] { return err.text().find("waiting for the hub at " + endpoint) != std::string::npos; }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // it keeps trying, without saying it again
  CHECK_FALSE(written);
  {
    FakeHub hub(endpoint, 8);
    writer.join();
    REQUIRE(eventually([&] { return hub.count("BYE") == 1; }, 10));
    CHECK(hub.count("MSG") == 8);  // 6 records, the eos of front, the plain eos
    CHECK(hub.msgs_beyond_credit() == 0);
  }
  std::string text = err.text();
  err.restore();
  CHECK(lines_matching(text, "waiting for the hub at") == 1);
  CHECK(text.find("rvkit: waiting for the hub at " + endpoint + "\n") != std::string::npos);
  set_hub_address("");
}

TEST_CASE("hub lossless output: SIGINT while waiting for credit, or for a hub that is not there, ends cap quietly") {
  TempDir dir;
  const std::string hub_base = "ipc://" + dir.path;
  const std::string cap = testutil::tool_path("cap");
  SUBCASE("waiting for credit") {
    FakeHub hub(hub_endpoints_for(hub_base).lossless, 2);
    Child c({cap, "--test-pattern", "--fps", "0", "--size", "64x48", "--count", "50", "--out", "hub"}, hub_base,
            dir.file("err"));
    REQUIRE(eventually([&] { return hub.count("MSG") == 2 && hub.count("PING") >= 2; }, 20));
    c.interrupt();
    CHECK(c.wait(5) == 0);
    // Quietly: at most the line saying the hub holds its messages (after 2 s without credit).
    std::string err = testutil::read_file(dir.file("err"));
    CHECK((err.empty() || err == "cap: waiting for the hub at " + hub_endpoints_for(hub_base).lossless +
                                     " to pass messages on (it holds them until they have a subscriber)\n"));
    CHECK(hub.count("MSG") == 2);  // nothing more without credit, not even the eos
    CHECK(hub.msgs_beyond_credit() == 0);
  }
  SUBCASE("no hub") {
    Child c({cap, "--test-pattern", "--fps", "0", "--size", "64x48", "--out", "hub"}, hub_base, dir.file("err"));
    REQUIRE(eventually([&] { return testutil::read_file(dir.file("err")).find("waiting for the hub") != std::string::npos; }, 20));
    c.interrupt();
    CHECK(c.wait(5) == 0);
    CHECK(testutil::read_file(dir.file("err")) == "cap: waiting for the hub at " + hub_endpoints_for(hub_base).lossless + "\n");
  }
}

TEST_CASE("lossless direct output: waits for its subscribers, sends everything, the eos per cam then the plain eos") {
  TempDir dir;
  const std::string endpoint = "ipc://" + dir.file("s");
  std::atomic<bool> started{false}, written{false};
  std::thread writer([&] {
    OutputOptions o;
    o.lossless = true;
    o.subscribers = 2;
    auto out = open_output(endpoint, o);
    started = true;
    for (int i = 0; i < 200; ++i) out->write(record(i, i % 2 ? "back" : "front"), nullptr, 0);
    written = true;
  });
  REQUIRE(eventually([&] { return started.load(); }, 10));
  // A raw subscriber sees every message as it was sent (an rvkit input hides the eos).
  zmq::context_t ctx(1);
  zmq::socket_t raw(ctx, zmq::socket_type::sub);
  raw.set(zmq::sockopt::subscribe, "");
  raw.set(zmq::sockopt::rcvtimeo, 20000);
  raw.connect(endpoint);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(written);  // one subscriber of the two it waits for
  auto filtered = open_input(endpoint + "?topic=detections/back/");  // the second, late
  int n = 0;
  std::thread filtered_reader([&] {  // a subscriber that does not read would hold everyone up: lossless
    Message m;
    while (filtered->read(m)) {
      if (m.header["seq"] != 2 * n + 1) break;
      ++n;
    }
  });
  std::vector<std::string> topics;
  for (;;) {
    std::vector<zmq::message_t> parts;
    REQUIRE(zmq::recv_multipart(raw, std::back_inserter(parts)));
    topics.push_back(parts[0].to_string());
    if (topics.back() == "eos/") break;
  }
  raw.close();  // the output's end waits for its subscribers to leave (the rvkit input left at its eos)
  writer.join();
  filtered_reader.join();
  CHECK(n == 100);  // every back record in order, then the end at its eos
  REQUIRE(topics.size() == 203);
  for (int i = 0; i < 200; ++i) CHECK(topics[size_t(i)] == (i % 2 ? "detections/back/" : "detections/front/"));
  CHECK(topics[200] == "eos/front/");
  CHECK(topics[201] == "eos/back/");
  CHECK(topics[202] == "eos/");
}

// A free TCP port on 127.0.0.1 (the kernel's choice; free again once this returns).
static int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_CASE("lossless direct output over TCP: a slow subscriber gets the whole tail, and the end waits for it to leave") {
  // Over TCP the publisher's end must not close while the kernel still holds bytes for a slow
  // subscriber (a heartbeat arriving then resets the connection and the tail is lost): it waits
  // until the subscriber, having read the eos, leaves.
  const std::string port = std::to_string(free_tcp_port());
  std::atomic<int64_t> closed_at{0};
  std::vector<uint8_t> payload(1 << 20, 7);
  std::thread writer([&] {
    OutputOptions o;
    o.lossless = true;
    auto out = open_output("tcp://127.0.0.1:" + port, o);
    for (int i = 0; i < 24; ++i) {
      Json h{{"type", "frame"}, {"cam", "c"}, {"seq", i}, {"t_capture", 1000 + i}, {"w", 1024}, {"h", 1024}, {"fmt", "gray8"},
             {"stride", 1024}, {"bytes", payload.size()}};
      out->write(h, payload.data(), payload.size());
    }
    out.reset();
    closed_at = mono_us();
  });
  Message m;
  int n = 0;
  std::string error;
  try {
    auto in = open_input(">tcp://127.0.0.1:" + port);
    while (in->read(m)) {
      CHECK(m.header["seq"] == n);
      CHECK(m.payload.size() == payload.size());
      ++n;
      std::this_thread::sleep_for(std::chrono::milliseconds(40));  // slow: the publisher is done long before
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  CHECK(error == "");
  const int64_t ended_at = mono_us();
  writer.join();
  CHECK(n == 24);
  CHECK(closed_at.load() >= ended_at - 100'000);  // the output's end waited for the subscriber's
}

TEST_CASE("eos rules: a direct input ends at the first eos, a hub input when the cams of its filters ended") {
  TempDir dir;
  const std::string endpoint = "ipc://" + dir.file("e");
  auto eos = [](const char* cam, const char* error = nullptr) {
    Json j{{"type", "eos"}};
    if (cam) j["cam"] = cam;
    if (error) j["error"] = error;
    return j;
  };
  // What the publisher sends: eos records of other publishers (through a hub) between records.
  std::vector<Json> sent{record(0), eos("other"), eos(nullptr), record(1, "back"), eos("front"),
                         record(2, "back"), eos("back"), record(3)};
  // Publishes `messages` from a thread, once bound. The input connects after that: a SUB connecting
  // to an ipc:// path before it is bound was seen, rarely, never to connect here.
  auto publish = [&](std::vector<Json> messages) {
    auto bound = std::make_shared<std::atomic<bool>>(false);
    std::thread t([endpoint, messages, bound] {
      OutputOptions o;
      o.lossless = true;  // waits for the subscriber: none of it is lost to a slow joiner
      auto out = open_output(endpoint, o);
      *bound = true;
      for (const Json& j : messages) out->write(j, nullptr, 0);
    });
    REQUIRE(eventually([&] { return bound->load(); }, 10));
    return t;
  };
  auto read_all = [](Input& in) {
    std::vector<std::string> got;
    Message m;
    while (in.read(m)) got.push_back(m.header.dump());
    return got;
  };
  SUBCASE("direct: the first eos ends it") {
    std::thread t = publish({record(0), eos("other"), record(1)});
    auto in = open_input(endpoint + "?topic=detections/front/&topic=detections/back/");
    CHECK(read_all(*in) == std::vector<std::string>{record(0).dump()});
    t.join();
  }
  SUBCASE("hub: every cam named by a filter, then it ends") {
    std::thread t = publish(sent);
    InputOptions o;
    o.from_hub = true;
    auto in = open_input(endpoint + "?topic=detections/front/&topic=detections/back/", o);
    CHECK(read_all(*in) == std::vector<std::string>{record(0).dump(), record(1, "back").dump(), record(2, "back").dump()});
    t.join();
  }
  SUBCASE("hub: filters that name no cam never end at an eos") {
    std::thread t = publish({record(0), eos("front"), eos(nullptr), eos("back", "publisher vanished"), record(1)});
    InputOptions o;
    o.from_hub = true;
    auto in = open_input(endpoint + "?topic=detections/", o);
    Message m;
    REQUIRE(in->read(m));
    CHECK(m.header == record(0));
    REQUIRE(in->read(m));  // past both eos, and the error of a cam it does not wait for
    CHECK(m.header == record(1));
    t.join();
  }
  SUBCASE("an eos with an error ends the input with that error, naming the input and the cam") {
    std::thread t = publish({record(0), eos("front", "publisher vanished")});
    InputOptions o;
    o.from_hub = true;
    auto in = open_input(endpoint + "?topic=detections/front/", o);
    Message m;
    REQUIRE(in->read(m));
    CHECK(testutil::error_of<StreamError>([&] { in->read(m); }) ==
          endpoint + "?topic=detections/front/: the stream of camera 'front' ended with an error: publisher vanished");
    t.join();
  }
  SUBCASE("direct: an eos with an error too") {
    std::thread t = publish({record(0), eos(nullptr, "disk full")});
    auto in = open_input(endpoint);
    Message m;
    REQUIRE(in->read(m));
    CHECK(testutil::error_of<StreamError>([&] { in->read(m); }) ==
          endpoint + ": the stream of its publisher ended with an error: disk full");
    t.join();
  }
}
