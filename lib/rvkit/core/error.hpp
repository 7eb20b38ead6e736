// rvkit: the error type every tool reports as one line on stderr.
#pragma once
#include <stdexcept>
#include <string>

namespace rvkit {

// A fatal, user-facing problem: bad input, bad options, an unreadable file.
// Tools catch it in main(), print "TOOL: what()" and exit 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rvkit
