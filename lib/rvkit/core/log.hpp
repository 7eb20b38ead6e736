// rvkit: lines on stderr, prefixed with the tool's name.
//
// Every line a tool prints for a person (warnings, status, the -v stats line, the one-line error it
// ends with) reads "TOOL: text". The tool's name is process-wide: run_tool() sets it once, before
// anything else runs, so library modules print through log_line() without knowing which tool they
// are in and without option structs carrying the name. A process that never calls run_tool() (a
// unit test) prints as "rvkit".
//
// Thread-safe: each line is one write(2), so lines of several threads never interleave.
// ThrottledLog is not: one per thread that warns.
#pragma once
#include <cstdint>
#include <string>

namespace rvkit {

// Sets the prefix of every later line. Call before starting threads (run_tool does).
void set_tool_name(std::string name);
const std::string& tool_name();

// Prints "TOOL: text\n" on stderr in one write.
void log_line(const std::string& text);

// Warnings that may repeat every frame (a malformed record, a frame that does not decode): at most
// one line a period is printed, the first at once, and every one is counted, so a tool can end with
// "N problems in all" instead of flooding the terminal.
class ThrottledLog {
 public:
  explicit ThrottledLog(int64_t period_us = 1000000) : period_us_(period_us) {}
  // Counts `text` and prints it unless a line was printed less than a period ago. True if printed.
  bool line(const std::string& text);
  // The same at `now_us` on the monotonic clock (rvkit/core/clock.hpp: mono_us), for tests.
  bool line(const std::string& text, int64_t now_us);
  uint64_t total() const { return total_; }            // lines asked for
  uint64_t suppressed() const { return total_ - printed_; }

 private:
  int64_t period_us_;
  int64_t last_us_ = 0;
  bool any_ = false;
  uint64_t total_ = 0, printed_ = 0;
};

}  // namespace rvkit
