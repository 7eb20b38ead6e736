// rvkit supervisor: the lines of the supervised processes (docs/launch.md, "Logs").
//
// Each process writes its stdout and stderr into one pipe; LineSplitter cuts what is read from it
// into lines (a partial line waits for its end, or for flush() when the process ends; a line longer
// than the limit is cut into pieces of that size, so one runaway writer cannot grow memory). LogSink
// prints each line as "NAME | line" on the supervisor's stderr, one write(2) per line, the names
// padded to one width and coloured when stderr is a terminal (unless NO_COLOR is set), and keeps the
// last N lines of each process for `hub logs NAME` (LogRing). Lines of one process are printed in
// the order they were read, so they are never reordered.
//
// Single-threaded: the supervisor's event loop owns these objects.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace rvkit::supervisor {

class LineSplitter {
 public:
  static constexpr size_t kDefaultMaxLine = 4096;
  explicit LineSplitter(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}
  // Appends the complete lines in `bytes` (without their '\n' and a trailing '\r') to `lines`.
  void feed(std::string_view bytes, std::vector<std::string>& lines);
  // The partial line left, if any (when the process has ended).
  void flush(std::vector<std::string>& lines);

 private:
  size_t max_line_;
  std::string partial_;
};

// The last `capacity` lines of one process.
class LogRing {
 public:
  explicit LogRing(size_t capacity = 200) : capacity_(capacity) {}
  void add(std::string line);
  // The newest `n` lines (all of them if there are fewer), oldest first.
  std::vector<std::string> last(size_t n) const;
  size_t size() const { return lines_.size(); }
  // Lines ever added, kept or not (a client finds the lines after a point by it: `rec save`).
  uint64_t total() const { return total_; }

 private:
  size_t capacity_;
  std::deque<std::string> lines_;
  uint64_t total_ = 0;
};

class LogSink {
 public:
  // `names` sets the padding width; `fd` is where lines go (stderr).
  LogSink(const std::vector<std::string>& names, int fd = 2);
  // Whether lines are coloured: fd is a terminal and NO_COLOR is unset or empty.
  bool colour() const { return colour_; }
  void set_colour(bool on) { colour_ = on; }
  // Prints "NAME | line"; `index` picks the colour (the process's place in the launch file).
  void print(const std::string& name, size_t index, std::string_view line);
  // The prefixed line as print() writes it, with its '\n'.
  std::string format(const std::string& name, size_t index, std::string_view line) const;

 private:
  int fd_;
  size_t width_ = 0;
  bool colour_ = false;
};

// Writes all of `data` to `fd`, waiting out EINTR and EAGAIN (a non-blocking terminal). False on
// another error (the terminal went away): the supervisor keeps running without its log output.
bool write_all(int fd, std::string_view data);

}  // namespace rvkit::supervisor
