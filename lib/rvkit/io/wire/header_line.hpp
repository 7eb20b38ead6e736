// rvkit io, private: a message's header line as every input reads it (fd, ZeroMQ and shm inputs).
//
// parse_header_line() parses the JSON and checks it (core/message.hpp validate_header). It returns
// "" when the header is good, else the problem as an input's error names it after "message N: ":
// "bad JSON: parse error at line 1, column 5: ..." (nlohmann's text from "parse error" on, without
// its exception id) or validate_header()'s "field 'bytes': ...". Not for tools.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "rvkit/core/json.hpp"

namespace rvkit::wire {

std::string parse_header_line(std::string_view text, Json& header, uint64_t max_payload);

}  // namespace rvkit::wire
