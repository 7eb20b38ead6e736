// rvkit: nlohmann-json's exception text as a person reads it.
//
// nlohmann prefixes its messages with an id ("[json.exception.parse_error.101] parse error at line 1,
// column 5: ..."); rvkit's one-line errors ("field layout 'F': invalid JSON: ...") keep only the text.
#pragma once
#include <exception>
#include <string>

namespace rvkit {

inline std::string json_error_text(const std::exception& e) {
  std::string s = e.what();
  if (!s.empty() && s[0] == '[') {
    size_t end = s.find("] ");
    if (end != std::string::npos) s.erase(0, end + 2);
  }
  return s;
}

}  // namespace rvkit
