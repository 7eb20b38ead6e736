// rec's library (lib/rvkit/recording): recording files and the scan/repair of a cut-off one, the
// recorder's bounded queue (frames dropped, never records, when the disk is slow), splitting, the
// ring buffer's window and bound, file names from the FMS info, pruning.
#include "test_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "rvkit/io/transport.hpp"
#include "rvkit/recording/file.hpp"
#include "rvkit/recording/naming.hpp"
#include "rvkit/recording/recorder.hpp"
#include "rvkit/recording/ring.hpp"
#include "rvkit/recording/save_notice.hpp"

using namespace rvkit;
using namespace rvkit::recording;
using testutil::TempDir;

namespace {

Message frame(int64_t seq, int w = 16, int h = 8, const std::string& cam = "cam0") {
  Message m;
  FrameInfo f;
  f.cam = cam;
  f.seq = seq;
  f.t_capture = 1795320000000000 + seq * 33333;
  f.w = w;
  f.h = h;
  f.fmt = PixelFormat::Gray8;
  f.stride = w;
  f.bytes = uint64_t(w * h);
  m.header = make_frame_header(f);
  m.payload.resize(f.bytes);
  for (size_t i = 0; i < f.bytes; ++i) m.payload.data()[i] = uint8_t(seq + int64_t(i));
  return m;
}

Message record(int i) {
  Message m;
  m.header = Json{{"type", "detections"}, {"cam", "cam0"}, {"seq", i}, {"t_capture", 1795320000000000 + i}};
  return m;
}

// Every message of a file, read as any tool reads it.
std::vector<Json> read_all(const std::string& path) {
  auto in = open_input(path);
  std::vector<Json> out;
  Message m;
  while (in->read(m)) out.push_back(m.header);
  return out;
}

}  // namespace

TEST_CASE("recording file: whole messages, and a cut anywhere is found and repaired to the last whole message") {
  TempDir dir;
  const std::string path = dir.file("a.rvs");
  std::vector<uint64_t> ends;
  {
    RecordingFile f(path);
    for (int i = 0; i < 6; ++i) {
      if (i % 2) f.write(record(i)); else f.write(frame(i));
      ends.push_back(f.bytes());
    }
  }
  const std::string whole = testutil::read_file(path);
  REQUIRE(whole.size() == ends.back());
  ScanResult r = scan_recording(path);
  CHECK(r.messages == 6);
  CHECK(r.frames == 3);
  CHECK(r.good_bytes == whole.size());
  CHECK(r.problem.empty());
  CHECK_THROWS_AS(RecordingFile(path, false), Error);  // never overwrites without being told

  // Cut at every byte: the scan ends at the last whole message before the cut, and repair leaves a
  // file every reader reads to its end.
  for (size_t cut = 1; cut < whole.size(); cut += 7) {
    const std::string p = dir.write("cut.rvs", whole.substr(0, cut));
    size_t whole_messages = 0;
    while (whole_messages < ends.size() && ends[whole_messages] <= cut) ++whole_messages;
    uint64_t expect_bytes = whole_messages ? ends[whole_messages - 1] : 0;
    // A record without payload that lost only its '\n' is whole (readers accept such a last line).
    if (whole_messages < ends.size() && whole_messages % 2 == 1 && cut + 1 == ends[whole_messages])
      ++whole_messages, expect_bytes = cut;
    ScanResult s = repair_recording(p);
    REQUIRE_MESSAGE(s.messages == whole_messages, "cut at " << cut);
    CHECK(s.good_bytes == expect_bytes);
    CHECK(std::filesystem::file_size(p) == expect_bytes);
    CHECK(read_all(p).size() == whole_messages);
  }
  // A tail of zeros (power lost before the data reached the disk).
  const std::string p = dir.write("zeros.rvs", whole + std::string(100000, '\0'));
  ScanResult z = repair_recording(p);
  CHECK(z.messages == 6);
  CHECK(z.file_bytes == whole.size() + 100000);
  CHECK_FALSE(z.problem.empty());
  CHECK(testutil::read_file(p) == whole);
}

TEST_CASE("recorder: a slow disk drops frames, never records, and what is written is in order") {
  TempDir dir;
  RecorderOptions o;
  o.pattern = dir.file("slow.rvs");
  o.queue_bytes = 16 * 8 * 4;  // four frames
  o.before_write = [](const Message& m) {
    if (m.is_frame()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  uint64_t refused = 0;
  {
    Recorder rec(o);
    for (int i = 0; i < 200; ++i) {
      Message f = frame(i);
      if (!rec.add(f)) {
        ++refused;
        CHECK(f.payload.size() == 16 * 8);  // left with the caller
      }
      Message r = record(i);
      CHECK(rec.add(r));
    }
    rec.finish();
    RecorderCounts c = rec.counts();
    CHECK(c.dropped == refused);
    CHECK(c.frames + c.dropped == 200);
    CHECK(c.messages == c.frames + 200);
  }
  CHECK(refused > 100);  // 200 frames at once into a queue of 4, each 5 ms to write
  std::vector<Json> all = read_all(o.pattern);
  int records = 0;
  int64_t last_seq = -1;
  for (auto& h : all) {
    if (h["type"] == "frame") {
      CHECK(h["seq"].get<int64_t>() > last_seq);
      last_seq = h["seq"].get<int64_t>();
    } else {
      CHECK(h["seq"].get<int>() == records);
      ++records;
    }
  }
  CHECK(records == 200);
  CHECK(all.size() == 200 + (200 - refused));
}

TEST_CASE("recorder: --no-drop waits for the disk instead") {
  TempDir dir;
  RecorderOptions o;
  o.pattern = dir.file("wait.rvs");
  o.queue_bytes = 16 * 8 * 2;
  o.block_when_full = true;
  o.before_write = [](const Message&) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
  Recorder rec(o);
  for (int i = 0; i < 50; ++i) {
    Message f = frame(i);
    CHECK(rec.add(f));
  }
  rec.finish();
  CHECK(rec.counts().dropped == 0);
  CHECK(read_all(o.pattern).size() == 50);
}

TEST_CASE("recorder: --split-mb starts new files, every message in exactly one, in order, and re-encodes to JPEG") {
  TempDir dir;
  RecorderOptions o;
  o.pattern = dir.file("part.rvs");
  o.split_bytes = 3 * (64 * 48 + 200);  // three gray8 frames (and their headers) a file
  Recorder rec(o);
  for (int i = 0; i < 10; ++i) {
    Message f = frame(i, 64, 48);
    REQUIRE(rec.add(f));
  }
  rec.finish();
  std::vector<std::string> files = rec.files();
  REQUIRE(files.size() == 4);
  CHECK(files[0] == o.pattern);
  CHECK(files[1] == dir.file("part-1.rvs"));
  int64_t next = 0;
  for (auto& f : files)
    for (auto& h : read_all(f)) CHECK(h["seq"].get<int64_t>() == next++);
  CHECK(next == 10);

  RecorderOptions j;
  j.pattern = dir.file("jpeg.rvs");
  j.format = "jpeg";
  j.quality = 70;
  Recorder jr(j);
  Message f = frame(7, 64, 48);
  f.header["t_rec"] = 1795320000999999;
  REQUIRE(jr.add(f));
  jr.finish();
  std::vector<Json> got = read_all(j.pattern);
  REQUIRE(got.size() == 1);
  CHECK(got[0]["fmt"] == "jpeg");
  CHECK(got[0]["seq"] == 7);
  CHECK(got[0]["t_rec"] == 1795320000999999);  // the arrival stamp survives re-encoding
}

TEST_CASE("ring buffer: keeps exactly the window by arrival time, and never more than its bytes") {
  Ring ring(2000000, 1ull << 30);
  for (int i = 0; i < 100; ++i) ring.add(frame(i), int64_t(i) * 100000);  // 10 a second
  // The newest at 9.9 s: everything since 7.9 s, 21 messages.
  REQUIRE(ring.size() == 21);
  auto w = ring.window();
  CHECK(w.front()->header["seq"] == 79);
  CHECK(w.back()->header["seq"] == 99);
  CHECK(ring.span_us() == 2000000);
  CHECK(ring.evicted() == 79);

  const uint64_t bound = 10 * Ring::cost(frame(0, 100, 100));
  Ring small(INT64_MAX / 4, bound);
  for (int i = 0; i < 1000; ++i) {
    small.add(frame(i, 100, 100), i);
    REQUIRE(small.bytes() <= bound);
  }
  CHECK(small.size() == 10);
  // A save keeps its messages alive while the ring moves on.
  auto saved = small.window();
  for (int i = 1000; i < 1020; ++i) small.add(frame(i, 100, 100), i);
  CHECK(saved.front()->header["seq"] == 990);
  CHECK(saved.front()->payload.size() == 10000);
}

TEST_CASE("recorder: a ring save goes into a file of its own") {
  TempDir dir;
  RecorderOptions o;
  o.pattern = dir.file("rewind-%Y.rvs");
  Ring ring(1000000, 1ull << 30);
  for (int i = 0; i < 30; ++i) ring.add(frame(i), int64_t(i) * 100000);
  Recorder rec(o);
  rec.save(ring.window(), 1);
  rec.save(ring.window(), 2);
  rec.finish();
  auto files = rec.files();
  REQUIRE(files.size() == 2);
  CHECK(files[0] != files[1]);
  for (auto& f : files) {
    auto all = read_all(f);
    REQUIRE(all.size() == 11);
    CHECK(all.front()["seq"] == 19);
  }
}

TEST_CASE("naming: %event and %match from /FMSInfo nt records, strftime, never an existing file") {
  FmsInfo f;
  CHECK(expand_name("m/%event-%match.rvs", f, 0) == "m/noevent-nomatch.rvs");
  CHECK(f.update(Json{{"type", "nt"}, {"topic", "/FMSInfo/EventName"}, {"value", "CAMON 2026"}}));
  CHECK_FALSE(f.update(Json{{"type", "nt"}, {"topic", "/FMSInfo/EventName"}, {"value", "CAMON 2026"}}));
  CHECK(f.update(Json{{"type", "nt_snapshot"}, {"t", 1}, {"values", {{"/FMSInfo/MatchType", 2}, {"/FMSInfo/MatchNumber", 12}}}}));
  CHECK_FALSE(f.update(Json{{"type", "nt"}, {"topic", "/SmartDashboard/x"}, {"value", 1}}));
  CHECK(f.match_text() == "Q12");
  const std::time_t t = 1795320000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y%m%d", &tm);
  CHECK(expand_name("m/%event-%match-%Y%m%d.rvs", f, t) == "m/CAMON_2026-Q12-" + std::string(day) + ".rvs");
  CHECK(expand_name("100%%-%match", f, t) == "100%-Q12");
  CHECK(pattern_uses_fms("a/%match.rvs"));
  CHECK_FALSE(pattern_uses_fms("a/%Y.rvs"));

  TempDir dir;
  dir.write("x.rvs", "");
  dir.write("x-1.rvs", "");
  CHECK(unique_name(dir.file("x.rvs")) == dir.file("x-2.rvs"));
  CHECK(unique_name(dir.file("y.rvs")) == dir.file("y.rvs"));
}

TEST_CASE("pruning: the oldest recordings go first, never the current one, never other files") {
  TempDir dir;
  std::vector<std::string> files;
  for (int i = 0; i < 5; ++i) {
    files.push_back(dir.write("r" + std::to_string(i) + ".rvs", std::string(1000, 'x')));
    auto t = std::filesystem::file_time_type::clock::now() - std::chrono::hours(10 - i);
    std::filesystem::last_write_time(files.back(), t);
  }
  dir.write("notes.txt", std::string(5000, 'x'));
  auto gone = prune_recordings(files[4], 2500, files[4]);
  CHECK(gone == std::vector<std::string>{files[0], files[1], files[2]});
  CHECK(std::filesystem::exists(files[3]));
  CHECK(std::filesystem::exists(files[4]));
  CHECK(std::filesystem::exists(dir.file("notes.txt")));
  // The current file is kept even when it alone is over the bound.
  gone = prune_recordings(files[4], 10, files[4]);
  CHECK(gone == std::vector<std::string>{files[3]});
  CHECK(std::filesystem::exists(files[4]));
}

TEST_CASE("recording: the save notices rec writes are what rec save reads back") {
  std::string line = saved_line("/home/lvuser/rewind (old)/r-101500.rvs", 4500, 3456123456, 3);
  CHECK(line == "saved the ring to /home/lvuser/rewind (old)/r-101500.rvs (4500 messages, 3456123456 bytes, save 3)");
  auto n = parse_save_notice("rec: " + line);  // as it stands in hub logs
  REQUIRE(n);
  CHECK(n->kind == SaveNotice::Kind::saved);
  CHECK(n->save == 3);
  CHECK(n->path == "/home/lvuser/rewind (old)/r-101500.rvs");
  CHECK(parse_save_notice(line)->path == n->path);
  std::string saving = saving_line("SIGUSR1", 12, 30, 1.04, 1700000);
  CHECK(saving == "SIGUSR1: saving the ring: 30 messages, 1.0 s, 1.7 MB (save 12)");
  auto s = parse_save_notice("rec: " + saving);
  REQUIRE(s);
  CHECK(s->kind == SaveNotice::Kind::saving);
  CHECK(s->save == 12);
  CHECK(parse_save_notice(saving_line("/rvkit/rec/save", 1, 0, 0, 0))->save == 1);  // the NT trigger
  auto nothing = parse_save_notice("rec: " + nothing_to_save_line("SIGUSR1"));
  REQUIRE(nothing);
  CHECK(nothing->kind == SaveNotice::Kind::nothing);
  CHECK_FALSE(parse_save_notice("rec: SIGUSR1: saving the ring: 30 messages, 1.0 s, 1.7 MB"));  // no number
  CHECK_FALSE(parse_save_notice("saved the ring to /x (1 messages, 2 bytes)"));
  CHECK_FALSE(parse_save_notice("saved the ring to "));
  CHECK_FALSE(parse_save_notice("saved the ring to x (1 messages, 2 bytes, save x)"));
  CHECK_FALSE(parse_save_notice("cap: saved the ring to x (1 messages, 2 bytes, save 1)"));
}
