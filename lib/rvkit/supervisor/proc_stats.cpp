// rvkit supervisor: CPU and RSS of process groups from /proc (see proc_stats.hpp).
#include "rvkit/supervisor/proc_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>
#include <string_view>
#include <utility>

namespace rvkit::supervisor {
namespace {

// The whole (small) file, or "" when it cannot be read (the process is gone).
std::string read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) text.clear();  // ESRCH: it exited while we read
    break;
  }
  ::close(fd);
  return text;
}

template <typename T>
bool to_number(std::string_view s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool parse_proc_stat(const std::string& text, ProcSample& out) {
  // "PID (COMM) STATE PPID PGRP ...": COMM may hold anything, so the fields start after the last ')'.
  size_t open = text.find(" (");
  size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  ProcSample s;
  if (!to_number(std::string_view(text).substr(0, open), s.pid)) return false;
  std::vector<std::string_view> f;  // f[0] is field 3 (state)
  std::string_view rest = std::string_view(text).substr(close + 1);
  while (!rest.empty()) {
    size_t b = rest.find_first_not_of(" \n");
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = rest.find_first_of(" \n");
    f.push_back(rest.substr(0, e));
    if (e == std::string_view::npos) break;
    rest.remove_prefix(e);
  }
  auto field = [&](int n) { return f[size_t(n - 3)]; };  // n as man 5 proc numbers them
  if (f.size() < 22) return false;
  uint64_t utime, stime;
  int64_t cutime, cstime, rss;
  if (!to_number(field(5), s.pgrp) || !to_number(field(14), utime) || !to_number(field(15), stime) ||
      !to_number(field(16), cutime) || !to_number(field(17), cstime) || !to_number(field(22), s.start_ticks) ||
      !to_number(field(24), rss))
    return false;
  s.cpu_ticks = utime + stime + uint64_t(std::max<int64_t>(cutime, 0)) + uint64_t(std::max<int64_t>(cstime, 0));
  s.rss_pages = uint64_t(std::max<int64_t>(rss, 0));
  out = s;
  return true;
}

std::vector<ProcSample> scan_processes(const std::string& proc_root) {
  std::vector<ProcSample> all;
  DIR* d = ::opendir(proc_root.c_str());
  if (!d) return all;
  while (dirent* e = ::readdir(d)) {
    pid_t pid;
    if (!to_number(std::string_view(e->d_name), pid)) continue;  // not a process (self, sys, ...)
    ProcSample s;
    std::string text = read_small_file(proc_root + "/" + e->d_name + "/stat");
    if (!text.empty() && parse_proc_stat(text, s)) all.push_back(s);  // else it vanished meanwhile
  }
  ::closedir(d);
  return all;
}

ProcessGroupStats::ProcessGroupStats(std::string proc_root)
    : proc_root_(std::move(proc_root)),
      ticks_per_s_(double(::sysconf(_SC_CLK_TCK) > 0 ? ::sysconf(_SC_CLK_TCK) : 100)),
      page_bytes_(uint64_t(::sysconf(_SC_PAGESIZE) > 0 ? ::sysconf(_SC_PAGESIZE) : 4096)) {}

void ProcessGroupStats::sample(const std::vector<pid_t>& pgrps, int64_t now_us) {
  update(pgrps.empty() ? std::vector<ProcSample>{} : scan_processes(proc_root_), pgrps, now_us);
}

void ProcessGroupStats::update(const std::vector<ProcSample>& all, const std::vector<pid_t>& pgrps,
                               int64_t now_us) {
  std::set<pid_t> wanted(pgrps.begin(), pgrps.end());
  std::map<pid_t, Group> next;
  for (pid_t g : wanted) {
    auto old = groups_.find(g);
    Group& grp = next[g];
    grp.t_us = now_us;
    bool had = old != groups_.end();
    uint64_t used = 0;
    for (const ProcSample& p : all) {
      if (p.pgrp != g) continue;
      grp.usage.processes++;
      grp.usage.rss_bytes += p.rss_pages * page_bytes_;
      auto key = std::make_pair(p.pid, p.start_ticks);
      grp.ticks[key] = p.cpu_ticks;
      if (!had) continue;
      auto before = old->second.ticks.find(key);
      if (before == old->second.ticks.end()) used += p.cpu_ticks;  // new since the last sample
      else if (p.cpu_ticks > before->second) used += p.cpu_ticks - before->second;
    }
    double dt = had ? double(now_us - old->second.t_us) / 1e6 : 0;
    if (dt > 0) grp.usage.cpu_percent = 100.0 * double(used) / ticks_per_s_ / dt;
  }
  groups_ = std::move(next);
}

GroupUsage ProcessGroupStats::usage(pid_t pgrp) const {
  auto it = groups_.find(pgrp);
  return it == groups_.end() ? GroupUsage{} : it->second.usage;
}

}  // namespace rvkit::supervisor
