// overlay's merged inputs: one reader thread per input, every message in its input's order, an end
// (or the problem) per input, buffers reused.
#include "test_util.hpp"

#include <map>

#include "rvkit/io/input_set.hpp"

using namespace rvkit;
using testutil::TempDir;

namespace {
std::string records(const std::string& tag, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += R"({"type":"r","src":")" + tag + R"(","i":)" + std::to_string(i) + "}\n";
  return s;
}
}  // namespace

TEST_CASE("overlay inputs: two inputs, each in its own order, each ending") {
  TempDir dir;
  std::string a = dir.write("a", records("a", 500)), b = dir.write("b", records("b", 300));
  InputSet in({a, b}, InputOptions{}, 2, 8);  // small queues: the readers wait for us
  in.start();
  std::map<int, int> next, ends;
  InputEvent ev;
  int events = 0;
  while (ends.size() < 2 && events < 2000 && in.pop(ev, 5000)) {
    ++events;
    REQUIRE(ev.kind != InputEvent::Kind::Error);
    if (ev.kind == InputEvent::Kind::End) {
      ++ends[ev.input];
      continue;
    }
    CHECK(ev.msg.header["src"] == (ev.input == 0 ? "a" : "b"));
    CHECK(ev.msg.header["i"] == next[ev.input]);
    CHECK(ev.number == uint64_t(next[ev.input] + 1));
    ++next[ev.input];
    in.recycle(std::move(ev.msg));
  }
  CHECK(next[0] == 500);
  CHECK(next[1] == 300);
  CHECK(ends[0] == 1);
  CHECK(ends[1] == 1);
}

TEST_CASE("overlay inputs: a problem is an event naming the input, the others go on") {
  TempDir dir;
  std::string good = dir.write("good", records("g", 3)), bad = dir.write("bad", "{\"type\":\"r\"}\nnot json\n");
  InputSet in({good, bad, dir.file("missing")}, InputOptions{});
  in.start();
  std::map<int, std::string> errors;
  int good_messages = 0, ends = 0;
  InputEvent ev;
  while (errors.size() + size_t(ends) < 3 && in.pop(ev, 5000)) {
    if (ev.kind == InputEvent::Kind::Error) errors[ev.input] = ev.error;
    if (ev.kind == InputEvent::Kind::End) ++ends;
    if (ev.kind == InputEvent::Kind::Message && ev.input == 0) ++good_messages;
  }
  CHECK(good_messages == 3);
  CHECK(ends == 1);
  CHECK(errors[1].find(bad + ": message 2 at byte 13: bad JSON") == 0);
  CHECK(errors[2].find("missing: cannot open") != std::string::npos);
}
