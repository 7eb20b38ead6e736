// testutil::spawn() (test_util.hpp): the streams go to the files named, and the child does not
// outlive the thread that started it (PR_SET_PDEATHSIG), which is what keeps a killed test binary
// from leaving tools running.
#include "test_util.hpp"

#include <sys/wait.h>

#include <thread>

TEST_CASE("testutil::spawn: stdin, stdout and stderr from the files named, and the exit status") {
  testutil::TempDir dir;
  const std::string in = dir.write("in", "hello\n");
  const pid_t pid = testutil::spawn({"sh", "-c", "read x; echo out:$x; echo err:$x >&2; exit 3"},
                                    {in, dir.file("out"), dir.file("err")});
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK(testutil::read_file(dir.file("out")) == "out:hello\n");
  CHECK(testutil::read_file(dir.file("err")) == "err:hello\n");
}

TEST_CASE("testutil::spawn: the child is killed when the thread that started it ends") {
  // A thread stands in for the whole binary, which is killed: the signal follows the thread.
  pid_t pid = -1;
  std::thread starter([&] { pid = testutil::spawn({"sleep", "30"}); });
  starter.join();
  REQUIRE(pid > 0);
  int status = 0;
  bool ended = testutil::eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 5);
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(ended);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}
