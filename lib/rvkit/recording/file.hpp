// rvkit recording: one recording file on disk, and the scan that finds where a cut-off one ends.
//
// A recording is a plain rvkit stream (docs/protocol.md), so probe, cap --file and detect read it.
// RecordingFile appends whole messages with one writev(2) each (header line, then payload), so a
// process killed at any moment leaves a file that is whole up to its last message and, at worst, a
// part of one message after it; power lost before the page cache reached the disk may also leave a
// tail of zeros. scan_recording() finds the end of the last whole message and repair_recording()
// cuts the rest (`rec --repair`).
//
// Errors (a full disk, a file-size limit, a directory that cannot be created) throw rvkit::Error with
// one line naming the file and the problem; a file that failed is never written to again, so nothing
// after the failure can corrupt what was written before it.
// Threading: a RecordingFile is used by one thread (the recorder's writer thread).
#pragma once
#include <cstdint>
#include <string>

#include "rvkit/core/message.hpp"

namespace rvkit::recording {

class RecordingFile {
 public:
  // Creates `path` (and its missing parent folders); refuses to overwrite an existing file unless
  // `overwrite`. Throws rvkit::Error.
  explicit RecordingFile(std::string path, bool overwrite = false);
  ~RecordingFile();  // closes (after a last fdatasync) without throwing
  RecordingFile(const RecordingFile&) = delete;
  RecordingFile& operator=(const RecordingFile&) = delete;

  // Appends one message: `header` (compact JSON, one line) and `n` payload bytes. Throws rvkit::Error
  // ("PATH: write failed after N bytes: No space left on device"); the file is then closed and its
  // last, partial message cut off where possible, so the file stays readable.
  void write(const Json& header, const uint8_t* payload, size_t n);
  void write(const Message& m) { write(m.header, m.payload.data(), m.payload.size()); }
  // Asks the kernel to put what was written on the disk (a power loss then loses nothing before it).
  void sync();
  void close();
  // Gives the file another name (rename(2), parent folders created), e.g. when the FMS info that names
  // it arrives before any frame. Throws rvkit::Error.
  void rename_to(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t messages() const { return messages_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t bytes_ = 0, messages_ = 0;
};

// What scan_recording() found.
struct ScanResult {
  uint64_t messages = 0;   // whole messages
  uint64_t frames = 0;
  uint64_t good_bytes = 0; // where the last whole message ends (blank lines after it included)
  uint64_t file_bytes = 0;
  std::string problem;     // what is wrong with message messages+1, at good_bytes ("" when whole)
};

// Reads the file message by message (headers parsed and checked as every reader does, payloads
// skipped) up to the first one that is not whole. Throws rvkit::Error when the file cannot be read.
ScanResult scan_recording(const std::string& path, uint64_t max_payload = kDefaultMaxPayloadBytes);
// Scans and, when the file has a damaged tail, truncates it at good_bytes. Returns the scan.
ScanResult repair_recording(const std::string& path, uint64_t max_payload = kDefaultMaxPayloadBytes);

}  // namespace rvkit::recording
