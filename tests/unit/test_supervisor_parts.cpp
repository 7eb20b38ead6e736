// The parts of `hub run`'s supervisor that need no event loop: the line splitter and log ring
// (log_sink.hpp), the hub's report (hub_report.hpp), spawning (spawn.hpp) and notify messages
// (notify_socket.hpp).
#include "test_util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "rvkit/supervisor/hub_report.hpp"
#include "rvkit/supervisor/log_sink.hpp"
#include "rvkit/supervisor/notify_socket.hpp"
#include "rvkit/supervisor/restart_policy.hpp"
#include "rvkit/supervisor/spawn.hpp"

using namespace rvkit::supervisor;

namespace {

std::vector<std::string> split(LineSplitter& s, const std::string& bytes) {
  std::vector<std::string> lines;
  s.feed(bytes, lines);
  return lines;
}

// Everything a spawned child writes, until its pipe ends; then reaps it and returns its status.
std::string output_of(const Spawned& s, int& status) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{s.output_fd, POLLIN, 0};
    ::poll(&p, 1, 5000);
    ssize_t n = ::read(s.output_fd, buf, sizeof buf);
    if (n > 0) out.append(buf, size_t(n));
    else if (n == 0 || errno != EAGAIN) break;
  }
  ::close(s.output_fd);
  ::waitpid(s.pid, &status, 0);
  return out;
}

SpawnRequest shell(const std::string& command) {
  SpawnRequest r;
  r.program = "/bin/sh";
  r.argv = {"sh", "-c", command};
  r.env = make_environment({}, {});
  r.supervisor_pid = ::getpid();
  return r;
}

}  // namespace

TEST_CASE("supervisor LineSplitter: whole lines, partial lines kept until their end or a flush") {
  LineSplitter s;
  CHECK(split(s, "one\ntw") == std::vector<std::string>{"one"});
  CHECK(split(s, "o\r\nthree\n\nfour") == std::vector<std::string>{"two", "three", ""});
  std::vector<std::string> rest;
  s.flush(rest);
  CHECK(rest == std::vector<std::string>{"four"});
  rest.clear();
  s.flush(rest);
  CHECK(rest.empty());
}

TEST_CASE("supervisor LineSplitter: an over-long line is cut into pieces of the limit") {
  LineSplitter s(4);
  CHECK(split(s, "abcdefghij\n") == std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(split(s, "abcd\n") == std::vector<std::string>{"abcd"});  // exactly the limit: one line
  CHECK(split(s, "ab") == std::vector<std::string>{});
  CHECK(split(s, "cdef") == std::vector<std::string>{"abcd"});
  CHECK(split(s, "\n") == std::vector<std::string>{"ef"});
}

TEST_CASE("supervisor LogRing keeps the newest lines") {
  LogRing ring(3);
  for (int i = 1; i <= 5; ++i) ring.add("line " + std::to_string(i));
  CHECK(ring.size() == 3);
  CHECK(ring.last(2) == std::vector<std::string>{"line 4", "line 5"});
  CHECK(ring.last(10) == std::vector<std::string>{"line 3", "line 4", "line 5"});
  CHECK(ring.total() == 5);  // every line added, kept or not
}

TEST_CASE("supervisor LogSink pads names to one width, and colours only when asked") {
  LogSink sink({"cam", "detect-front"}, -1);
  CHECK_FALSE(sink.colour());
  CHECK(sink.format("cam", 1, "hello") == "cam          | hello\n");
  CHECK(sink.format("detect-front", 2, "") == "detect-front |\n");
  sink.set_colour(true);
  std::string coloured = sink.format("cam", 1, "hello");
  CHECK(coloured.find("\x1b[") == 0);
  CHECK(coloured.find("| hello\n") != std::string::npos);
  CHECK(coloured.find("hello\x1b") == std::string::npos);  // the line itself is left as it was
}

TEST_CASE("supervisor HubReport: the newest message per topic prefix, from the report's ages") {
  HubReport r;
  CHECK_FALSE(r.reporting());
  CHECK_FALSE(r.newest_message_us("frame/").has_value());
  std::string line =
      R"({"type":"hub","t":1,"topics":[{"topic":"frame/front/","age_ms":100,"msgs_per_s":30},)"
      R"({"topic":"frame/back/","age_ms":20},{"topic":"hub/","age_ms":0}]})";
  CHECK(r.feed(line.substr(0, 40), 10'000'000) == "");
  CHECK_FALSE(r.reporting());  // half a line is nothing yet
  CHECK(r.feed(line.substr(40) + "\n", 10'000'000) == "");
  CHECK(r.reporting());
  CHECK(r.last_report_us() == 10'000'000);
  CHECK(r.newest_message_us("frame/front/") == 10'000'000 - 100'000);
  CHECK(r.newest_message_us("frame/") == 10'000'000 - 20'000);
  CHECK_FALSE(r.newest_message_us("detections/").has_value());
  CHECK_FALSE(r.newest_message_us("frame/side/").has_value());
  CHECK(r.newest_message_us("") == 10'000'000);

  // A topic absent from a later report keeps what was known of it.
  CHECK(r.feed(R"({"type":"hub","t":2,"topics":[{"topic":"frame/back/","age_ms":1}]})" "\n", 11'000'000) == "");
  CHECK(r.newest_message_us("frame/front/") == 10'000'000 - 100'000);
  CHECK(r.newest_message_us("frame/back/") == 11'000'000 - 1'000);

  CHECK(r.feed("garbage\n", 12'000'000) == "hub report line 3: not JSON");
  CHECK(r.feed(R"({"type":"hub","t":3})" "\n", 12'000'000) == "hub report line 4: hub: topics: missing or not an array");
  CHECK(r.last_report_us() == 11'000'000);

  r.reset();
  CHECK_FALSE(r.reporting());
  CHECK_FALSE(r.newest_message_us("frame/").has_value());
}

TEST_CASE("supervisor find_program: beside the hub first, then PATH, a path as given") {
  testutil::TempDir beside, on_path;
  std::string mine = beside.write("tool", "#!/bin/sh\n");
  std::string theirs = on_path.write("tool", "#!/bin/sh\n");
  std::string other = on_path.write("other", "#!/bin/sh\n");
  on_path.write("plain", "not executable\n");
  for (auto& f : {mine, theirs, other}) ::chmod(f.c_str(), 0755);
  std::string path = "/nonexistent:" + on_path.path;
  CHECK(find_program("tool", beside.path, path) == mine);
  CHECK(find_program("other", beside.path, path) == other);
  CHECK(find_program("tool", "", path) == theirs);
  CHECK_FALSE(find_program("plain", beside.path, path).has_value());
  CHECK_FALSE(find_program("missing", beside.path, path).has_value());
  CHECK(find_program("./relative/x", beside.path, path) == "./relative/x");
  CHECK_FALSE(own_binary_dir().empty());
}

TEST_CASE("supervisor make_environment removes, replaces and adds") {
  ::setenv("RVKIT_TEST_KEEP", "kept", 1);
  ::setenv("RVKIT_TEST_DROP", "dropped", 1);
  ::setenv("RVKIT_TEST_REPLACE", "old", 1);
  auto env = make_environment({"RVKIT_TEST_DROP"}, {"RVKIT_TEST_REPLACE=new", "RVKIT_TEST_ADD=a", "RVKIT_TEST_ADD=b"});
  auto has = [&](const std::string& e) { return std::find(env.begin(), env.end(), e) != env.end(); };
  CHECK(has("RVKIT_TEST_KEEP=kept"));
  CHECK(has("RVKIT_TEST_REPLACE=new"));
  CHECK_FALSE(has("RVKIT_TEST_REPLACE=old"));
  CHECK(has("RVKIT_TEST_ADD=b"));
  CHECK_FALSE(has("RVKIT_TEST_ADD=a"));
  for (auto& e : env) CHECK(e.rfind("RVKIT_TEST_DROP=", 0) != 0);
  ::unsetenv("RVKIT_TEST_KEEP");
  ::unsetenv("RVKIT_TEST_DROP");
  ::unsetenv("RVKIT_TEST_REPLACE");
}

TEST_CASE("supervisor spawn_process: one pipe for stdout and stderr, in order, own process group") {
  SpawnRequest r = shell("echo out; echo err >&2; echo out2; echo pg=$(ps -o pgid= $$ | tr -d ' ') pid=$$; "
                         "read x && echo stdin=$x || echo stdin=eof; exit 3");
  Spawned s = spawn_process(r);
  REQUIRE(s.error == "");
  REQUIRE(s.pid > 0);
  int status = 0;
  std::string out = output_of(s, status);
  CHECK(out.find("out\nerr\nout2\n") == 0);
  std::string pid = std::to_string(s.pid);
  CHECK(out.find("pg=" + pid + " pid=" + pid) != std::string::npos);
  CHECK(out.find("stdin=eof") != std::string::npos);  // stdin is /dev/null, never the terminal
  CHECK(to_string(exit_status_from_wait(status)) == "exit 3");
}

TEST_CASE("supervisor spawn_process: environment, cwd, affinity and nice reach the child") {
  testutil::TempDir dir;
  SpawnRequest r = shell("echo env=$RVKIT_TEST_VAR; pwd; grep Cpus_allowed_list /proc/self/status; "
                         "cut -d' ' -f19 /proc/self/stat; ls /proc/self/fd | wc -l");
  r.env = make_environment({}, {"RVKIT_TEST_VAR=yes"});
  r.cwd = dir.path;
  r.cpus = {0};
  r.nice = 7;
  Spawned s = spawn_process(r);
  REQUIRE(s.error == "");
  int status = 0;
  std::string out = output_of(s, status);
  CHECK(out.find("env=yes\n") != std::string::npos);
  CHECK(out.find(std::filesystem::canonical(dir.path).string() + "\n") != std::string::npos);
  CHECK(out.find("Cpus_allowed_list:\t0\n") != std::string::npos);
  CHECK(out.find("\n7\n") != std::string::npos);
  // 0, 1, 2 and the one ls opens to list them: nothing of the parent's leaks into the child.
  CHECK(out.find("\n4\n") != std::string::npos);
  CHECK(to_string(exit_status_from_wait(status)) == "exit 0");
}

TEST_CASE("supervisor spawn_process: what cannot start is one line, and the child is reaped") {
  SpawnRequest r = shell("true");
  r.program = "/nonexistent/detectt";
  r.argv = {"detectt"};
  Spawned s = spawn_process(r);
  CHECK(s.pid == 0);
  CHECK(s.output_fd == -1);
  CHECK(s.error == "cannot run 'detectt': No such file or directory");
  int status;
  CHECK(::waitpid(-1, &status, WNOHANG) <= 0);  // nothing left to reap

  SpawnRequest bad_dir = shell("true");
  bad_dir.cwd = "/nonexistent-dir";
  CHECK(spawn_process(bad_dir).error == "cannot change to directory '/nonexistent-dir': No such file or directory");
}

TEST_CASE("supervisor spawn_process: the report pipe becomes fd 3") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  SpawnRequest r = shell("echo report >&3");
  r.report_fd = p[1];
  Spawned s = spawn_process(r);
  REQUIRE(s.error == "");
  ::close(p[1]);
  int status = 0;
  output_of(s, status);
  char buf[64] = {};
  CHECK(::read(p[0], buf, sizeof buf) == 7);
  CHECK(std::string(buf) == "report\n");
  ::close(p[0]);
}

TEST_CASE("supervisor parse_notify_message") {
  NotifyMessage m = parse_notify_message("READY=1\nSTATUS=warming up\nMAINPID=3");
  CHECK(m.ready);
  CHECK_FALSE(m.watchdog);
  CHECK(m.status == "warming up");
  CHECK(parse_notify_message("WATCHDOG=1").watchdog);
  CHECK_FALSE(parse_notify_message("READY=0").ready);
}
