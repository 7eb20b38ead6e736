// rvkit recording: the lines `rec` writes about saving its ring buffer, and their reader for `rec
// save` (hub_save.hpp), which finds them in `hub logs` (one home for the wording, so the writer and
// the reader cannot drift apart).
//
//   SIGUSR1: saving the ring: 4500 messages, 150.0 s, 1382.4 MB (save 3)
//   saved the ring to /abs/path/rewind/r-101500.rvs (4500 messages, 1382400000 bytes, save 3)
//   SIGUSR1: no ring buffer (--ring): nothing to save
//
// Saves are numbered from 1 in each rec process. The first line is written as soon as rec takes the
// request, the second when the file is written (seconds later for a long ring), so a `rec save` that
// comes while an earlier save is still being written tells the two apart by the number: its own is in
// the first "saving" line after its request. Requests that arrive together share one save. The path
// is absolute (the client may run in another folder than rec). Pure functions.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rvkit::recording {

std::string saving_line(const std::string& why, uint64_t save, uint64_t messages, double span_s, uint64_t bytes);
std::string saved_line(const std::string& absolute_path, uint64_t messages, uint64_t bytes, uint64_t save);
std::string nothing_to_save_line(const std::string& why);

struct SaveNotice {
  enum class Kind { saving, saved, nothing };
  Kind kind = Kind::nothing;
  uint64_t save = 0;  // saving, saved: the save's number
  std::string path;   // saved
};
// Reads a line as rec wrote it ("rec: " first, or not); nullopt for any other line.
std::optional<SaveNotice> parse_save_notice(std::string_view line);

}  // namespace rvkit::recording
