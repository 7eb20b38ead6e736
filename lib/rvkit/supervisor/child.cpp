#include "rvkit/supervisor/child.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>


namespace rvkit::supervisor {

Child::Child(ProcessSpec spec, size_t index, size_t log_lines, bool is_hub)
    : tracker(spec),
      spec_(std::move(spec)),
      index_(index),
      is_hub_(is_hub),
      ring_(log_lines) {}

Child::~Child() { close_output(); }

void Child::started(pid_t pid, int output_fd, int64_t now_us) {
  close_output();
  pid_ = pid;
  out_fd_ = output_fd;
  started_us = now_us;
  splitter_ = LineSplitter();
}

void Child::print_lines(std::vector<std::string>& lines, LogSink& sink) {
  for (auto& line : lines) {
    sink.print(spec_.name, index_, line);
    ring_.add(std::move(line));
  }
  lines.clear();
}

void Child::read_output(LogSink& sink, size_t max_bytes) {
  std::vector<std::string> lines;
  char buf[16384];
  size_t total = 0;
  while (out_fd_ >= 0 && total < max_bytes) {
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      total += size_t(n);
      splitter_.feed(std::string_view(buf, size_t(n)), lines);
      print_lines(lines, sink);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {  // the end: every writer closed it (or an error, which ends it as well)
      splitter_.flush(lines);
      print_lines(lines, sink);
      close_output();
    }
  }
}

pid_t Child::ended(LogSink& sink) {
  // What it started in its group (a pipeline's other commands) ends with it: killed first, so that
  // nothing writes on while the pipe is drained below.
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
  // Whatever it wrote before it ended is in the pipe now: print it before the line saying it ended.
  read_output(sink, size_t(1) << 20);
  std::vector<std::string> lines;
  splitter_.flush(lines);
  print_lines(lines, sink);
  close_output();
  pid_t pgid = pid_;
  pid_ = 0;
  probe.close();
  notify.reset();
  return pgid;
}

void Child::signal_group(int sig) {
  if (pid_ <= 0) return;
  ::kill(-pid_, sig);
  if (sig != SIGKILL) ::kill(-pid_, SIGCONT);
}

void Child::close_output() {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
}

}  // namespace rvkit::supervisor
