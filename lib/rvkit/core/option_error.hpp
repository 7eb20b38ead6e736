// rvkit: OptionError, the one error type for a bad command line.
//
// Throw it for a bad option value ("--size '5x5': width and height must be from 32 to 8192"), a value
// from a closed set that is not in it ("--family '25h9': ..."), or options that do not go together
// ("--field needs --calib"). run_tool() (rvkit/cli/tool.hpp) reports it as the one line
// "TOOL: message (see --help)" and exit status 2, as it does CLI11's own parse errors, wherever it is
// thrown: while the options are parsed, while the tool body checks them, or from a library module
// that validates the option values it was given (vision's detector, capture's camera options,
// overlay's parsers, nt's --map rules). Problems with what a valid option names (a file that cannot
// be read, a camera that is not there, a malformed stream) are plain rvkit::Error: status 1.
//
// This header needs nothing but core/error.hpp (no CLI11), so any module may throw it.
#pragma once
#include <string>
#include <string_view>

#include "rvkit/core/error.hpp"

namespace rvkit {

class OptionError : public Error {
 public:
  // A whole message naming the option(s): "--field needs --calib (...)".
  explicit OptionError(const std::string& message) : Error(message) {}
  // The one wording of a bad value: "OPTION 'VALUE': PROBLEM".
  OptionError(std::string_view option, std::string_view value, std::string_view problem)
      : Error(std::string(option) + " '" + std::string(value) + "': " + std::string(problem)) {}
};

}  // namespace rvkit
