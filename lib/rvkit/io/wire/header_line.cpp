#include "rvkit/io/wire/header_line.hpp"

#include "rvkit/core/message.hpp"

namespace rvkit::wire {

std::string parse_header_line(std::string_view text, Json& header, uint64_t max_payload) {
  try {
    header = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." -> tail
    std::string w = e.what();
    auto p = w.find("parse error");
    return "bad JSON: " + (p == std::string::npos ? w : w.substr(p));
  }
  return validate_header(header, max_payload);
}

}  // namespace rvkit::wire
