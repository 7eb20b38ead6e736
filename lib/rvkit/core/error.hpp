// rvkit: the error type every tool reports as one line on stderr.
#pragma once
#include <stdexcept>
#include <string>

namespace rvkit {

// A fatal, user-facing problem: bad input, an unreadable file, a device that fails.
// run_tool() prints "TOOL: what()" and exits 1. A bad option value is its subclass
// rvkit::OptionError (rvkit/cli/option_error.hpp): exit status 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rvkit
