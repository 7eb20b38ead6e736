// rvkit: lines on stderr, prefixed with the tool's name.
//
// Every line a tool prints for a person (warnings, status, the -v stats line, the one-line error it
// ends with) reads "TOOL: text". The tool's name is process-wide: run_tool() sets it once, before
// anything else runs, so library modules print through log_line() without knowing which tool they
// are in and without option structs carrying the name. A process that never calls run_tool() (a
// unit test) prints as "rvkit".
//
// Thread-safe: each line is one write(2), so lines of several threads never interleave.
#pragma once
#include <string>

namespace rvkit {

// Sets the prefix of every later line. Call before starting threads (run_tool does).
void set_tool_name(std::string name);
const std::string& tool_name();

// Prints "TOOL: text\n" on stderr in one write.
void log_line(const std::string& text);

}  // namespace rvkit
