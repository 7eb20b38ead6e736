// rvkit recording: the lines `rec` writes about saving its ring buffer, and their reader for `rec
// save` (hub_save.hpp), which finds them in `hub logs` (one home for the wording, so the writer and
// the reader cannot drift apart).
//
//   saved the ring to /abs/path/rewind/r-101500.rvs (4500 messages, 1382400000 bytes)
//   SIGUSR1: no ring buffer (--ring): nothing to save
//
// The path is absolute (the client may run in another folder than rec). Pure functions.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rvkit::recording {

std::string saved_line(const std::string& absolute_path, uint64_t messages, uint64_t bytes);
std::string nothing_to_save_line(const std::string& why);

struct SaveNotice {
  bool saved = false;  // false: nothing to save (not a ring)
  std::string path;    // with saved
};
// Reads a line as rec wrote it ("rec: " first, or not); nullopt for any other line.
std::optional<SaveNotice> parse_save_notice(std::string_view line);

}  // namespace rvkit::recording
