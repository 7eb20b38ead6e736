// Shared-memory streams from the reader's side, fed packets no real writer sends
// (io/wire/shm_packets.hpp): each is one clear StreamError naming the stream, the message and the
// problem, never a crash, a hang or a read outside the segment; and a storm of random packets ends
// the same way. The writer's own side is in test_io_shm.cpp.
#include "test_util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "rvkit/io/transport.hpp"
#include "rvkit/io/wire/shm_packets.hpp"

using namespace rvkit;
using namespace rvkit::wire::shm;

namespace shmpackets {  // named: the unit tests of one module share a translation unit (RVKIT_UNITY_BUILD)
namespace {

std::string fresh_stream() {
  static int n = 0;
  return fmt::format("rvkit-test-packets-{}-{}", getpid(), ++n);
}

// A writer that is not one: it listens where shm://NAME's writer would, takes the reader's
// connection, and sends whatever packets a test gives it.
class FakeWriter {
 public:
  explicit FakeWriter(const std::string& name) {
    listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string path = "rvkit-shm/" + name;
    std::memcpy(a.sun_path + 1, path.data(), path.size());
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + path.size())) == 0);
    REQUIRE(listen(listen_fd_, 4) == 0);
  }
  ~FakeWriter() {
    if (fd_ >= 0) close(fd_);
    close(listen_fd_);
  }
  // Waits for the reader to connect (it does at its first read or wait_readable).
  void take_reader(Input& in) {
    pollfd p{listen_fd_, POLLIN, 0};
    REQUIRE(testutil::eventually([&] {
      (void)in.wait_readable(0);
      return poll(&p, 1, 10) > 0;
    }));
    fd_ = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(fd_ >= 0);
  }
  void send(const void* data, size_t n, int pass_fd = -1) {
    REQUIRE(send_packet(fd_, data, n, pass_fd, MSG_NOSIGNAL) == ssize_t(n));
  }
  void send(const std::vector<uint8_t>& bytes, int pass_fd = -1) { send(bytes.data(), bytes.size(), pass_fd); }

 private:
  int listen_fd_ = -1, fd_ = -1;
};

template <class T>
std::vector<uint8_t> bytes_of(const T& t) {
  const auto* p = reinterpret_cast<const uint8_t*>(&t);
  return std::vector<uint8_t>(p, p + sizeof t);
}

// An M packet: the packet, the header line, an inline payload.
std::vector<uint8_t> message(MessagePacket p, const std::string& header, const std::vector<uint8_t>& inline_payload = {}) {
  if (p.header_len == 0) p.header_len = uint32_t(header.size());
  std::vector<uint8_t> b = bytes_of(p);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), inline_payload.begin(), inline_payload.end());
  return b;
}

std::string frame_header(uint64_t bytes) {
  return fmt::format("{{\"type\":\"frame\",\"cam\":\"c\",\"seq\":0,\"t_capture\":1,\"w\":{},\"h\":1,\"fmt\":\"gray8\","
                     "\"stride\":{},\"bytes\":{}}}\n",
                     bytes, bytes, bytes);
}

// A memfd of `size` bytes, sealed against shrinking as a real writer's is (or not).
int segment_memory(size_t size, bool sealed = true) {
  int fd = memfd_create("rvkit-test-segment", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  REQUIRE(fd >= 0);
  REQUIRE(ftruncate(fd, off_t(size)) == 0);
  if (sealed) REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  return fd;
}

// What the reader says when it reads after `feed` sent its packets: the error, or "" for a message.
std::string reader_error(const std::function<void(FakeWriter&)>& feed) {
  const std::string name = fresh_stream();
  FakeWriter w(name);
  auto in = open_input("shm://" + name);
  w.take_reader(*in);
  feed(w);
  w.send(std::vector<uint8_t>{'X'});  // a packet wrongly taken as no message shows as this one's error, not a hang
  Message m;
  return testutil::error_of<StreamError>([&] {
    if (!in->read(m)) throw StreamError("read() ended the stream");
  });
}

bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  MESSAGE("'" << text << "' does not say '" << part << "'");
  return false;
}

}  // namespace
}  // namespace shmpackets
using namespace shmpackets;

TEST_CASE("shm reader: a good inline message from the fake writer is read (the fixture itself works)") {
  const std::string name = fresh_stream();
  FakeWriter w(name);
  auto in = open_input("shm://" + name);
  w.take_reader(*in);
  MessagePacket p;
  p.msg_no = 1;
  p.payload_len = 3;
  w.send(message(p, frame_header(3), {7, 8, 9}));
  Message m;
  REQUIRE(in->read(m));
  CHECK(m.payload.size() == 3);
  CHECK(m.payload.data()[2] == 9);
}

TEST_CASE("shm reader: malformed packets are one clear error each") {
  const std::string bad_kind = reader_error([](FakeWriter& w) { w.send(std::vector<uint8_t>{'X', 1, 2, 3}); });
  CHECK(has(bad_kind, "shm://rvkit-test-packets-"));
  CHECK(has(bad_kind, "a packet of kind 88 and 4 bytes (expected S or M)"));

  CHECK(has(reader_error([](FakeWriter& w) { w.send(std::vector<uint8_t>{kMessage, 0, 0}); }), "a packet of kind 77 and 3 bytes"));

  CHECK(has(reader_error([](FakeWriter& w) {
              MessagePacket p;
              p.header_len = 500;  // more than the packet holds
              w.send(message(p, "{}\n"));
            }),
            "a header longer than its packet"));

  CHECK(has(reader_error([](FakeWriter& w) {
              MessagePacket p;
              p.payload_len = 10;
              w.send(message(p, frame_header(10), {1, 2, 3}));
            }),
            "an inline payload of 3 bytes, not 10"));

  CHECK(has(reader_error([](FakeWriter& w) {
              MessagePacket p;
              p.payload_len = 4;
              w.send(message(p, frame_header(5), {1, 2, 3, 4}));
            }),
            "field 'bytes': 5 but the payload has 4 bytes"));

  CHECK(has(reader_error([](FakeWriter& w) { w.send(message(MessagePacket{}, "{\"type\":\n")); }), "message 1"));

  CHECK(has(reader_error([](FakeWriter& w) {
              MessagePacket p;
              p.gen = 3;
              p.slot = 0;
              p.payload_len = 100;
              w.send(message(p, frame_header(100)));
            }),
            "slot 0 of segment 3, which was never sent"));

  std::vector<uint8_t> huge(kMaxPacket + 10, 'M');
  CHECK(has(reader_error([&](FakeWriter& w) { w.send(huge); }), fmt::format("a packet larger than {} bytes", kMaxPacket)));
}

TEST_CASE("shm reader: a segment that does not fit its memory, or could shrink, is refused before it is mapped") {
  auto segment = [](uint32_t slots, uint64_t stride, uint64_t slot_bytes) {
    SegmentPacket s;
    s.gen = 1;
    s.slots = slots;
    s.stride = stride;
    s.slot_bytes = slot_bytes;
    return bytes_of(s);
  };
  auto refused = [&](std::vector<uint8_t> packet, int fd) {
    return reader_error([&](FakeWriter& w) {
      w.send(packet, fd);
      if (fd >= 0) close(fd);
    });
  };
  CHECK(has(refused(segment(2, 4096, 1024), -1), "a segment without its file descriptor"));
  CHECK(has(refused(segment(0, 4096, 1024), segment_memory(8192)), "segment 1: 0 slots"));
  CHECK(has(refused(segment(65, 4096, 1024), segment_memory(65 * 4096)), "do not fit its memory"));
  CHECK(has(refused(segment(4, 4096, 1024), segment_memory(8192)), "4 slots of 4096 bytes"));  // 16 KiB in 8
  CHECK(has(refused(segment(2, 32, 0), segment_memory(8192)), "do not fit"));                   // no room for the stamp
  CHECK(has(refused(segment(2, 4096, 4096), segment_memory(8192)), "do not fit"));              // payload over the stamp
  // Numbers that wrap around 64 bits when added or multiplied, so that a naive check passes them.
  CHECK(has(refused(segment(2, 4096, UINT64_MAX - 10), segment_memory(8192)), "do not fit"));
  CHECK(has(refused(segment(4, (UINT64_MAX / 4) + 2, 1024), segment_memory(8192)), "do not fit"));
  CHECK(has(refused(segment(2, 4096, 1024), segment_memory(8192, false)), "not sealed against shrinking"));
  int not_memory[2];
  REQUIRE(pipe(not_memory) == 0);
  close(not_memory[1]);
  CHECK(has(refused(segment(2, 4096, 1024), not_memory[0]), "do not fit"));
}

TEST_CASE("shm reader: slots outside the segment or holding another message are refused") {
  auto after_segment = [](MessagePacket p, uint64_t stamp_in_slot0) {
    return reader_error([&](FakeWriter& w) {
      int fd = segment_memory(2 * 4096);
      void* base = mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      REQUIRE(base != MAP_FAILED);
      std::memcpy(base, &stamp_in_slot0, sizeof stamp_in_slot0);
      munmap(base, 2 * 4096);
      SegmentPacket s;
      s.gen = 1;
      s.slots = 2;
      s.stride = 4096;
      s.slot_bytes = 4096 - kSlotHeader;
      w.send(bytes_of(s), fd);
      close(fd);
      p.gen = 1;
      w.send(message(p, frame_header(p.payload_len)));
    });
  };
  MessagePacket p;
  p.msg_no = 5;
  p.slot = 2;
  p.payload_len = 100;
  CHECK(has(after_segment(p, 5), "slot 2 with 100 bytes: segment 1 has 2 slots of 4032 bytes"));
  p.slot = 0;
  p.payload_len = 5000;
  CHECK(has(after_segment(p, 5), "slot 0 with 5000 bytes"));
  p.payload_len = 100;
  CHECK(has(after_segment(p, 4), "slot 0 holds message 4, not this one"));
  CHECK(after_segment(p, 5).empty());  // the same message where it should be: read
}

TEST_CASE("shm reader: random packets end in a StreamError or a message, never a crash or a hang") {
  std::mt19937 rng(12);
  int errors = 0, messages = 0;
  for (int round = 0; round < 300; ++round) {
    const std::string name = fresh_stream();
    FakeWriter w(name);
    auto in = open_input("shm://" + name);
    w.take_reader(*in);
    // A plausible start (a real kind, sometimes a real header), then random bytes.
    size_t n = 1 + rng() % 200;
    std::vector<uint8_t> b(n);
    for (auto& c : b) c = uint8_t(rng());
    const uint8_t kinds[] = {kSegment, kMessage, kNext, kRelease};
    b[0] = kinds[rng() % 4];
    if (b[0] == kMessage && rng() % 2) {
      MessagePacket p;
      p.msg_no = rng();
      p.payload_len = rng() % 8;
      p.slot = rng() % 3 ? kInline : rng() % 4;
      p.gen = rng() % 3;
      std::string h = frame_header(p.payload_len);
      h.resize(rng() % (h.size() + 1));
      b = message(p, h, std::vector<uint8_t>(rng() % 10, 1));
    }
    int fd = b[0] == kSegment && rng() % 2 ? segment_memory(4096 * (1 + rng() % 3), rng() % 4 != 0) : -1;
    w.send(b, fd);
    if (fd >= 0) close(fd);
    w.send(std::vector<uint8_t>{'X'});  // so that a packet taken as no message (a segment) ends too
    Message m;
    std::string e = testutil::error_of<StreamError>([&] { (void)in->read(m); });
    if (e.empty()) {
      ++messages;
    } else {
      ++errors;
      CHECK(e.find("shm://" + name + ": message ") == 0);
    }
  }
  CHECK(errors > 250);  // nearly every random packet is refused...
  MESSAGE(messages << " of 300 random packets were taken as messages");
}
