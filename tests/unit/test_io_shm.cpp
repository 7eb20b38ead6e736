// Shared-memory streams (rvkit/io/transport.hpp "shm://", io/shm_transport.cpp): writer and readers
// in one process, on threads, through the real socket and segment. Crashes and restarts of whole
// processes are in tests/pipeline/shm.sh.
#include "test_util.hpp"

#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "rvkit/io/transport.hpp"

using namespace rvkit;

namespace shmtest {  // named: the unit tests of one module share a translation unit (RVKIT_UNITY_BUILD)
namespace {
using testutil::error_of;
using testutil::eventually;

// A name no other test (or test process) uses at the same time.
std::string fresh_name() {
  static int n = 0;
  return fmt::format("shm://rvkit-test-{}-{}", getpid(), ++n);
}

FrameInfo gray(int64_t seq, int w = 320, int h = 240) {
  FrameInfo f;
  f.cam = "c";
  f.seq = seq;
  f.t_capture = 1000 + seq;
  f.w = w;
  f.h = h;
  f.fmt = PixelFormat::Gray8;
  f.stride = w;
  f.bytes = uint64_t(w) * uint64_t(h);
  return f;
}

// A frame whose every byte says its seq, so that an overwritten slot shows.
std::vector<uint8_t> pixels(int64_t seq, size_t n) { return std::vector<uint8_t>(n, uint8_t(seq * 7 + 1)); }

bool write_frame(Output& out, int64_t seq, int w = 320, int h = 240) {
  FrameInfo f = gray(seq, w, h);
  std::vector<uint8_t> p = pixels(seq, f.bytes);
  return out.write(make_frame_header(f), p.data(), p.size());
}

bool all_bytes(const Message& m, uint8_t v) {
  for (size_t i = 0; i < m.payload.size(); ++i)
    if (m.payload.data()[i] != v) return false;
  return true;
}

// A live writer's first frame to a reader: frame `seq` is written until the reader is connected and
// asking (earlier ones go to nobody), then read into m.
void read_first(Output& out, Input& in, int64_t seq, Message& m) {
  REQUIRE(eventually([&] {
    write_frame(out, seq);
    return in.wait_readable(20);
  }));
  REQUIRE(in.read(m));
}

OutputOptions lossless(int subscribers = 1) {
  OutputOptions o;
  o.lossless = true;
  o.subscribers = subscribers;
  return o;
}

}  // namespace
}  // namespace shmtest
using namespace shmtest;

TEST_CASE("shm: frames and records arrive in order, frames borrowed from the segment, then the end") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name, lossless());
    for (int64_t i = 0; i < 20; ++i) {
      if (i % 5 == 0) out->write(Json{{"type", "note"}, {"i", i}}, nullptr, 0);
      write_frame(*out, i);
    }
    FrameInfo small = gray(99, 16, 16);  // 256 bytes: inline in its packet
    std::vector<uint8_t> p = pixels(99, small.bytes);
    out->write(make_frame_header(small), p.data(), p.size());
  });
  auto in = open_input(name);
  Message m;
  std::vector<std::string> seen;
  int frames_ok = 0;
  while (in->read(m)) {
    if (m.is_frame()) {
      FrameInfo f = frame_info(m.header);
      seen.push_back(fmt::format("f{}", f.seq));
      CHECK(m.payload.size() == f.bytes);
      CHECK(m.payload.borrowed() == (f.bytes > 32 * 1024));
      const Message& cm = m;
      if (all_bytes(cm, uint8_t(f.seq * 7 + 1))) ++frames_ok;
    } else {
      seen.push_back(fmt::format("n{}", m.header.at("i").get<int>()));
    }
  }
  writer.join();
  CHECK(frames_ok == 21);
  REQUIRE(seen.size() == 25);
  CHECK(seen[0] == "n0");
  CHECK(seen[1] == "f0");
  CHECK(seen[6] == "n5");
  CHECK(seen[7] == "f5");
  CHECK(seen.back() == "f99");
  CHECK(in->count() == 26);  // with the eos of camera c; the plain eos after it is not read
}

TEST_CASE("shm: a live reader gets the newest frame when it asks (not the queued ones)") {
  const std::string name = fresh_name();
  auto out = open_output(name);
  auto in = open_input(name);
  Message m;
  // Connected and asking: the first frame goes at once.
  read_first(*out, *in, 0, m);
  int64_t first = frame_info(m.header).seq;
  for (int64_t i = 1; i <= 30; ++i) write_frame(*out, i);  // the reader is busy meanwhile
  REQUIRE(in->read(m));
  CHECK(frame_info(m.header).seq == 30);
  CHECK(first == 0);
  const Message& cm = m;
  CHECK(all_bytes(cm, uint8_t(30 * 7 + 1)));
}

TEST_CASE("shm: a reader that wants every live frame (rec) gets the queued ones too") {
  const std::string name = fresh_name();
  auto out = open_output(name);
  InputOptions every;
  every.newest_frames = false;
  auto in = open_input(name, every);
  Message m;
  read_first(*out, *in, 0, m);
  for (int64_t i = 1; i <= 5; ++i) write_frame(*out, i);  // 5 frames queue up (8 slots)
  std::vector<int64_t> seqs;
  for (int k = 0; k < 5; ++k) {
    REQUIRE(in->read(m));
    seqs.push_back(frame_info(m.header).seq);
  }
  // The first read may have been one of several frame-0 writes; after it come 1..5 in order.
  CHECK(seqs == std::vector<int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("shm: a frame a reader holds is never overwritten (and a live writer never waits for it)") {
  const std::string name = fresh_name();
  auto out = open_output(name + "?slots=3");
  auto in = open_input(name);
  Message held;
  read_first(*out, *in, 1, held);
  const uint8_t v = uint8_t(frame_info(held.header).seq * 7 + 1);
  // Far more frames than slots, while `held` keeps its slot: each finds another slot (or is dropped).
  for (int64_t i = 2; i < 200; ++i) REQUIRE(write_frame(*out, i));
  const Message& ch = held;
  CHECK(ch.payload.borrowed());
  CHECK(all_bytes(ch, v));
  // And the reader still gets the newest.
  Message next;
  REQUIRE(in->read(next));
  CHECK(frame_info(next.header).seq == 199);
}

TEST_CASE("shm: a lossless stream through 2 slots loses nothing to a slow reader") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name + "?slots=2", lossless());
    for (int64_t i = 0; i < 60; ++i) REQUIRE(write_frame(*out, i));
  });
  auto in = open_input(name);
  Message m;
  int64_t expect = 0;
  bool intact = true;
  while (in->read(m)) {
    FrameInfo f = frame_info(m.header);
    CHECK(f.seq == expect);
    const Message& cm = m;
    intact = intact && all_bytes(cm, uint8_t(f.seq * 7 + 1));
    ++expect;
    if (expect % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  writer.join();
  CHECK(expect == 60);
  CHECK(intact);
}

TEST_CASE("shm: two readers of one lossless writer each get every frame, and a kept message stays valid") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name + "?slots=4", lossless(2));
    for (int64_t i = 0; i < 40; ++i) write_frame(*out, i);
  });
  std::vector<int64_t> counts(2, 0);
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&, r] {
      auto in = open_input(name);
      Message m;
      while (in->read(m)) {
        if (frame_info(m.header).seq == counts[size_t(r)]) ++counts[size_t(r)];
        if (r == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  for (auto& t : readers) t.join();
  writer.join();
  CHECK(counts[0] == 40);
  CHECK(counts[1] == 40);
}

TEST_CASE("shm: frames that outgrow their slots go to a new segment, older borrowed frames stay readable") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name + "?slots=2", lossless());
    write_frame(*out, 1, 320, 240);
    write_frame(*out, 2, 1280, 720);
    write_frame(*out, 3, 320, 240);
  });
  auto in = open_input(name);
  Message a, b, c;
  REQUIRE(in->read(a));
  REQUIRE(in->read(b));
  REQUIRE(in->read(c));
  CHECK_FALSE(in->read(c));  // the end
  // A reader that ended says so: its writer does not wait out its 5 s for it to take the rest,
  // although a and b still borrow their slots.
  const auto t0 = std::chrono::steady_clock::now();
  writer.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
  const Message &ca = a, &cb = b;
  CHECK(frame_info(cb.header).w == 1280);
  CHECK(all_bytes(ca, uint8_t(1 * 7 + 1)));
  CHECK(all_bytes(cb, uint8_t(2 * 7 + 1)));
}

TEST_CASE("shm: a message that is written to is copied out of the slot first") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name, lossless());
    write_frame(*out, 3);
  });
  auto in = open_input(name);
  Message m;
  REQUIRE(in->read(m));
  const uint8_t* shared = static_cast<const Message&>(m).payload.data();
  REQUIRE(m.payload.borrowed());
  uint8_t* mine = m.payload.data();  // the mutable view: a private copy
  CHECK(mine != shared);
  CHECK_FALSE(m.payload.borrowed());
  mine[0] = 0;
  CHECK(mine[1] == uint8_t(3 * 7 + 1));
  Message end;
  CHECK_FALSE(in->read(end));
  writer.join();
}

TEST_CASE("shm: reserve_payload() gives the slot itself, so write() copies nothing") {
  const std::string name = fresh_name();
  std::thread writer([&] {
    auto out = open_output(name, lossless());
    FrameInfo f = gray(5);
    uint8_t* p = out->reserve_payload(f.bytes);
    std::memset(p, 42, f.bytes);
    out->write(make_frame_header(f), p, f.bytes);
    // A reservation that is not used is given back: the next write copies as usual.
    out->reserve_payload(f.bytes);
    write_frame(*out, 6);
  });
  auto in = open_input(name);
  Message m;
  REQUIRE(in->read(m));
  CHECK(all_bytes(static_cast<const Message&>(m), 42));
  REQUIRE(in->read(m));
  CHECK(frame_info(m.header).seq == 6);
  CHECK(all_bytes(static_cast<const Message&>(m), uint8_t(6 * 7 + 1)));
  CHECK_FALSE(in->read(m));  // the end (else the writer waits for this reader to take it)
  writer.join();
}

TEST_CASE("shm: bad names and options, and a second writer of one name, are clear errors") {
  CHECK(error_of([] { open_output("shm://"); }).find("the name after shm:// is 1 to 64") != std::string::npos);
  CHECK(error_of([] { open_output("shm://a b"); }).find("the name after shm://") != std::string::npos);
  CHECK(error_of([] { open_output("shm://a?slots=1"); }) == "shm://a?slots=1: slots=1: 2 to 64 slots");
  CHECK(error_of([] { open_output("shm://a?slots=x"); }).find("slots= takes a number") != std::string::npos);
  CHECK(error_of([] { open_output("shm://a?size=3"); }) == "shm://a?size=3: unknown option 'size=3' (slots=N)");
  CHECK(error_of([] { open_input("shm://a?slots=3"); }) == "shm://a?slots=3: '?slots=3': an shm:// input takes no options");
  const std::string name = fresh_name();
  auto first = open_output(name);
  CHECK(error_of([&] { open_output(name); }) == name + ": another process is already writing this stream");
}
