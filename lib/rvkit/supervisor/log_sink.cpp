#include "rvkit/supervisor/log_sink.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace rvkit::supervisor {

void LineSplitter::feed(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    // Take no more than fits in one line; the rest is looked at again in the next round.
    size_t room = max_line_ - partial_.size();
    if (piece.size() > room) {
      partial_.append(piece.substr(0, room));
      lines.push_back(std::move(partial_));
      partial_.clear();
      bytes.remove_prefix(room);
      continue;
    }
    partial_.append(piece);
    if (nl == std::string_view::npos) return;
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    lines.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
}

void LineSplitter::flush(std::vector<std::string>& lines) {
  if (partial_.empty()) return;
  if (partial_.back() == '\r') partial_.pop_back();
  lines.push_back(std::move(partial_));
  partial_.clear();
}

void LogRing::add(std::string line) {
  ++total_;
  if (capacity_ == 0) return;
  if (lines_.size() == capacity_) lines_.pop_front();
  lines_.push_back(std::move(line));
}

std::vector<std::string> LogRing::last(size_t n) const {
  n = std::min(n, lines_.size());
  return std::vector<std::string>(lines_.end() - long(n), lines_.end());
}

namespace {
// Foreground colours that read on dark and light terminals; red is left for trouble.
constexpr const char* kPalette[] = {"\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[34m",
                                    "\x1b[96m", "\x1b[92m", "\x1b[93m", "\x1b[95m", "\x1b[94m"};
constexpr const char* kReset = "\x1b[0m";
}  // namespace

LogSink::LogSink(const std::vector<std::string>& names, int fd) : fd_(fd) {
  for (auto& n : names) width_ = std::max(width_, n.size());
  const char* no_colour = std::getenv("NO_COLOR");
  colour_ = ::isatty(fd) == 1 && !(no_colour && *no_colour);
}

std::string LogSink::format(const std::string& name, size_t index, std::string_view line) const {
  std::string out;
  out.reserve(width_ + line.size() + 16);
  if (colour_) out += kPalette[index % (sizeof kPalette / sizeof *kPalette)];
  out += name;
  if (colour_) out += kReset;
  if (name.size() < width_) out.append(width_ - name.size(), ' ');
  out += " |";
  if (!line.empty()) {
    out += ' ';
    out += line;
  }
  out += '\n';
  return out;
}

void LogSink::print(const std::string& name, size_t index, std::string_view line) {
  write_all(fd_, format(name, index, line));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(size_t(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace rvkit::supervisor
