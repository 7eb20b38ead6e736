// probe --diff: what the option needs (diff_command.cpp; main.cpp parses the command line).
#pragma once
#include <string>
#include <vector>

#include "rvkit/io/transport.hpp"

namespace probe_tool {

struct DiffCommand {
  std::vector<std::string> inputs;  // A and B
  double tolerance_m = 0.01, tolerance_deg = 0.5;
  bool per_frame = false, json = false;
};

// Prints the comparison on stdout; returns the exit status (0). Throws rvkit::Error (a bad stream
// or record, naming the input and message).
int run_diff(const DiffCommand& c, const rvkit::InputOptions& input);

}  // namespace probe_tool
