// ThrottledLog (rvkit/core/log.hpp): the first line at once, then at most one a period, every one counted.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "rvkit/core/log.hpp"

using namespace rvkit;

namespace {
// Collects what is written to stderr while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    char name[] = "/tmp/rvkit-log-test-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    path_ = name;
    saved_ = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrCapture() {
    restore();
    unlink(path_.c_str());
  }
  std::string text() {
    restore();
    std::ifstream f(path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};
}  // namespace

TEST_CASE("ThrottledLog: one line a second at most, the rest counted") {
  StderrCapture err;
  ThrottledLog log;
  const int64_t t = 5000000;
  CHECK(log.line("first", t));              // the first line goes out at once
  CHECK_FALSE(log.line("second", t + 1));
  CHECK_FALSE(log.line("third", t + 999999));
  CHECK(log.line("fourth", t + 1000000));   // a second after the last printed one
  CHECK_FALSE(log.line("fifth", t + 1500000));
  CHECK(log.line("sixth", t + 2000001));
  CHECK(log.total() == 6);
  CHECK(log.suppressed() == 3);
  CHECK(err.text() == "rvkit: first\nrvkit: fourth\nrvkit: sixth\n");
}

TEST_CASE("ThrottledLog: the period is the caller's, and the first line prints whatever the clock says") {
  StderrCapture err;
  ThrottledLog log(100);
  CHECK(log.line("a", 0));
  CHECK_FALSE(log.line("b", 99));
  CHECK(log.line("c", 100));
  ThrottledLog real;                 // on the monotonic clock
  CHECK(real.line("d"));
  CHECK_FALSE(real.line("e"));
  CHECK(real.total() == 2);
  CHECK(err.text() == "rvkit: a\nrvkit: c\nrvkit: d\n");
}
