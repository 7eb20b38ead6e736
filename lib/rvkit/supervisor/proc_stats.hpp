// rvkit supervisor: CPU and memory of whole process groups, for `hub status` (CPU %, RSS).
//
// Every child of `hub run` leads its own process group (a shell pipeline is one group of several
// processes), so what a "process" of the launch file costs is the sum over the processes of its
// group. Linux only: one scan of /proc/*/stat finds every member (field pgrp) and reads its CPU
// ticks and resident pages. Processes come and go during a scan: one that vanishes between the
// directory listing and the read is skipped, never an error.
//
// CPU % is of one core (100 = one core busy, 200 = two), over the interval between two samples:
// for each member seen in both samples (same pid and start time, so a reused pid is a new
// process) the ticks it used in between; a member new since the last sample counts its ticks
// since it started. utime+stime include cutime+cstime, the ticks of children the member reaped,
// so a shell's finished pipeline stages are not lost; a member that exited and was reaped outside
// the group (by the supervisor, the subreaper) loses its last partial interval.
//
// Not thread-safe; the supervisor samples from its loop (once a second is enough: the kernel's
// tick is 10 ms, so shorter intervals are coarse).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rvkit::supervisor {

// One process as /proc/PID/stat tells it.
struct ProcSample {
  pid_t pid = 0;
  pid_t pgrp = 0;
  uint64_t start_ticks = 0;  // since boot, field 22: tells a reused pid from the process before
  uint64_t cpu_ticks = 0;    // utime + stime + cutime + cstime
  uint64_t rss_pages = 0;
};

// Parses the text of a /proc/PID/stat file (a command name in parentheses may hold spaces and
// ')'). False when it is not one.
bool parse_proc_stat(const std::string& text, ProcSample& out);

// Every process under `proc_root` (normally /proc) whose stat file could be read.
std::vector<ProcSample> scan_processes(const std::string& proc_root = "/proc");

struct GroupUsage {
  double cpu_percent = 0;  // of one core, over the last interval (0 after the first sample)
  uint64_t rss_bytes = 0;
  int processes = 0;       // members found in the last sample
};

class ProcessGroupStats {
 public:
  explicit ProcessGroupStats(std::string proc_root = "/proc");

  // One scan; updates the usage of each group in `pgrps` and forgets every other group.
  // `now_us` is monotonic (rvkit/core/clock.hpp: mono_us).
  void sample(const std::vector<pid_t>& pgrps, int64_t now_us);
  // The same from processes already scanned (tests, or a caller that scans once for more).
  void update(const std::vector<ProcSample>& all, const std::vector<pid_t>& pgrps, int64_t now_us);
  // Zeros for a group not sampled.
  GroupUsage usage(pid_t pgrp) const;

 private:
  struct Group {
    int64_t t_us = 0;
    std::map<std::pair<pid_t, uint64_t>, uint64_t> ticks;  // (pid, start) -> cpu_ticks
    GroupUsage usage;
  };
  std::string proc_root_;
  std::map<pid_t, Group> groups_;
  double ticks_per_s_;
  uint64_t page_bytes_;
};

}  // namespace rvkit::supervisor
