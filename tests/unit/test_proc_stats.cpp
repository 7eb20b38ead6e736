// proc_stats: /proc/PID/stat parsing (names with spaces and parentheses, files that vanish during a
// scan), the per-interval CPU arithmetic (new members, reused pids, members gone), and CPU % and
// RSS of real process groups: this test process, and a child group that burns a core and holds
// memory, with a grandchild in the same group.
// What only the end-to-end test of `hub run` can check: the numbers `hub status` shows for the
// supervisor's real children (the supervisor calls ProcessGroupStats::sample from its loop).
#include "test_util.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "rvkit/core/clock.hpp"
#include "rvkit/supervisor/proc_stats.hpp"

using namespace rvkit;
using namespace rvkit::supervisor;

namespace {

// A /proc/PID/stat line as the kernel writes it, with the fields proc_stats reads set.
std::string stat_line(int pid, const std::string& comm, int pgrp, uint64_t utime, uint64_t stime, uint64_t cutime,
                      uint64_t cstime, uint64_t start, uint64_t rss) {
  // Fields from 3: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss, then more.
  return std::to_string(pid) + " (" + comm + ") S 1 " + std::to_string(pgrp) + " 1 0 -1 4194560 10 0 0 0 " +
         std::to_string(utime) + " " + std::to_string(stime) + " " + std::to_string(cutime) + " " +
         std::to_string(cstime) + " 20 0 1 0 " + std::to_string(start) + " 1000000 " + std::to_string(rss) +
         " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

ProcSample proc(pid_t pid, pid_t pgrp, uint64_t start, uint64_t ticks, uint64_t rss_pages) {
  ProcSample s;
  s.pid = pid;
  s.pgrp = pgrp;
  s.start_ticks = start;
  s.cpu_ticks = ticks;
  s.rss_pages = rss_pages;
  return s;
}

// Kills a child's whole process group when the test ends, passed or not.
struct ChildGroup {
  pid_t pid = -1;
  ~ChildGroup() {
    if (pid > 0) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("proc_stats: a stat line, whatever the command name holds") {
  ProcSample s;
  REQUIRE(parse_proc_stat(stat_line(123, "detect", 120, 50, 25, 4, 1, 9999, 2048), s));
  CHECK(s.pid == 123);
  CHECK(s.pgrp == 120);
  CHECK(s.cpu_ticks == 80u);
  CHECK(s.start_ticks == 9999u);
  CHECK(s.rss_pages == 2048u);
  // A name with spaces and parentheses: the fields start after the last ')'.
  REQUIRE(parse_proc_stat(stat_line(7, "a b) c) (d", 7, 1, 2, 0, 0, 5, 6), s));
  CHECK(s.pid == 7);
  CHECK(s.pgrp == 7);
  CHECK(s.cpu_ticks == 3u);
  CHECK(s.rss_pages == 6u);
  CHECK(!parse_proc_stat("", s));
  CHECK(!parse_proc_stat("12 (x) S 1 2 3", s));  // cut short
  CHECK(!parse_proc_stat("garbage", s));
  CHECK(!parse_proc_stat("x (y) S 1 x 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 100 6", s));  // pid not a number
}

TEST_CASE("proc_stats: a scan skips what is not a process and processes gone meanwhile") {
  testutil::TempDir dir;
  std::filesystem::create_directories(dir.file("100"));
  testutil::write_file(dir.file("100/stat"), stat_line(100, "cap", 100, 10, 0, 0, 0, 1, 10));
  std::filesystem::create_directories(dir.file("101"));  // it exited between readdir and open
  std::filesystem::create_directories(dir.file("102"));
  testutil::write_file(dir.file("102/stat"), "");         // it exited while being read
  std::filesystem::create_directories(dir.file("self"));
  testutil::write_file(dir.file("uptime"), "1 2\n");
  std::vector<ProcSample> all = scan_processes(dir.path);
  REQUIRE(all.size() == 1);
  CHECK(all[0].pid == 100);
  CHECK(scan_processes(dir.file("no-such-folder")).empty());
}

TEST_CASE("proc_stats: CPU % over an interval — new members, reused pids, members gone") {
  const double hz = double(::sysconf(_SC_CLK_TCK));
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  ProcessGroupStats stats("/nonexistent");
  stats.update({proc(10, 10, 1, 100, 5), proc(99, 99, 1, 7, 1)}, {10}, 0);
  CHECK(stats.usage(10).cpu_percent == 0);  // one sample: no interval yet
  CHECK(stats.usage(10).rss_bytes == 5 * page);
  CHECK(stats.usage(10).processes == 1);
  CHECK(stats.usage(99).processes == 0);  // not asked for

  // One second later: 10 used hz/2 ticks, 11 is new (hz/4 since it started), 99 is another group.
  stats.update({proc(10, 10, 1, 100 + uint64_t(hz / 2), 5), proc(11, 10, 50, uint64_t(hz / 4), 3),
                proc(99, 99, 1, 1000, 1)},
               {10}, 1000000);
  CHECK(stats.usage(10).cpu_percent == doctest::Approx(75.0));
  CHECK(stats.usage(10).rss_bytes == 8 * page);
  CHECK(stats.usage(10).processes == 2);

  // Two seconds later: 11 is gone, pid 10 is a new process (other start time) with hz ticks.
  stats.update({proc(10, 10, 200, uint64_t(hz), 2)}, {10}, 3000000);
  CHECK(stats.usage(10).cpu_percent == doctest::Approx(50.0));
  CHECK(stats.usage(10).processes == 1);

  // A member whose ticks went down (cannot happen, but never a negative %).
  stats.update({proc(10, 10, 200, 1, 2)}, {10}, 4000000);
  CHECK(stats.usage(10).cpu_percent == 0);

  stats.update({}, {}, 5000000);  // the group is no longer watched: forgotten
  CHECK(stats.usage(10).processes == 0);
  CHECK(stats.usage(10).rss_bytes == 0u);
}

TEST_CASE("proc_stats: this test process is found with its memory") {
  std::vector<ProcSample> all = scan_processes();
  bool found = false;
  for (const ProcSample& p : all)
    if (p.pid == ::getpid()) {
      found = true;
      CHECK(p.pgrp == ::getpgrp());
      CHECK(p.rss_pages > 0u);
    }
  CHECK(found);
  ProcessGroupStats stats;
  stats.sample({::getpgrp()}, mono_us());
  CHECK(stats.usage(::getpgrp()).processes >= 1);
  CHECK(stats.usage(::getpgrp()).rss_bytes > 1u << 20);
}

TEST_CASE("proc_stats: a child group busy on a core, holding 64 MiB, with a grandchild") {
  constexpr size_t kBytes = 64u << 20;
  // Both processes are forks of this one and each counts the pages it shares with it: the group's
  // RSS is about twice ours plus kBytes (ours is ~15 MiB normally, hundreds under AddressSanitizer).
  uint64_t own_rss = 0;
  {
    std::istringstream statm(testutil::read_file("/proc/self/statm"));
    uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    own_rss = resident * uint64_t(::sysconf(_SC_PAGESIZE));
  }
  REQUIRE(own_rss > 0);
  ChildGroup child;
  child.pid = ::fork();
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    // Only async-signal-safe calls from here: the test binary may have had threads. Both die with
    // their parent: a killed test binary runs no ~ChildGroup, and the child spins until killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);
    if (::fork() == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) ::pause();  // the grandchild: idle, in the same group
    }
    void* mem = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) ::_exit(3);
    // Through a volatile pointer: a memset nobody reads afterwards is optimised away.
    volatile char* bytes = static_cast<volatile char*>(mem);
    for (size_t i = 0; i < kBytes; i += 4096) bytes[i] = 1;
    volatile uint64_t spin = 0;
    for (;;) spin = spin + 1;  // until killed
  }
  ::setpgid(child.pid, child.pid);  // either side may win the race; both set the same group
  ProcessGroupStats stats;
  bool settled = testutil::eventually([&] {
    stats.sample({child.pid}, mono_us());
    return stats.usage(child.pid).processes == 2 && stats.usage(child.pid).rss_bytes >= kBytes;
  });
  int status = 0;
  REQUIRE_MESSAGE(::waitpid(child.pid, &status, WNOHANG) == 0, "the child ended early (status " << status << ")");
  REQUIRE_MESSAGE(settled, "the child group has " << stats.usage(child.pid).processes << " process(es) and "
                                                  << stats.usage(child.pid).rss_bytes << " bytes");
  // The truth to compare with: the child's own CPU clock (the grandchild only sleeps), read by
  // the kernel's scheduler accounting, independent of /proc's ticks. How much CPU the child gets
  // depends on how loaded the machine is; that the sample matches it does not.
  clockid_t child_clock;
  REQUIRE(::clock_getcpuclockid(child.pid, &child_clock) == 0);
  auto cpu_s = [&] {
    timespec ts{};
    ::clock_gettime(child_clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
  };
  const int64_t t0 = mono_us();
  const double c0 = cpu_s();
  stats.sample({child.pid}, t0);
  ::usleep(1000000);
  const int64_t t1 = mono_us();
  const double c1 = cpu_s();
  stats.sample({child.pid}, t1);
  const double truth = 100.0 * (c1 - c0) / (double(t1 - t0) / 1e6);
  GroupUsage u = stats.usage(child.pid);
  CHECK(u.processes == 2);
  CHECK(u.rss_bytes >= kBytes);
  CHECK(u.rss_bytes < 2 * own_rss + 2 * kBytes);
  REQUIRE_MESSAGE(truth > 5, "the child got only " << truth << "% of a core: the machine is too busy to tell");
  // Ticks are 10 ms: over one second that is a few percent of granularity at each end.
  CHECK(std::abs(u.cpu_percent - truth) < std::max(5.0, truth * 0.15));
  CHECK(u.cpu_percent <= 105);  // one thread uses at most one core

  // Killed, the group holds no memory any more (a grandchild not reaped yet is a zombie: no RSS).
  const pid_t group = child.pid;
  ::kill(-group, SIGKILL);
  ::waitpid(group, nullptr, 0);
  child.pid = -1;
  CHECK(testutil::eventually([&] {
    stats.sample({group}, mono_us());
    return stats.usage(group).rss_bytes == 0;
  }));
}
