#include "rvkit/recording/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::recording {

RecordingFile::RecordingFile(std::string path, bool overwrite) : path_(std::move(path)) {
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw Error(fmt::format("{}: cannot create the folder: {}", parent.string(), ec.message()));
  }
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  fd_ = ::open(path_.c_str(), flags, 0644);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot create the recording: {}", path_, std::strerror(errno)));
}

RecordingFile::~RecordingFile() { close(); }

void RecordingFile::close() {
  if (fd_ < 0) return;
  ::fdatasync(fd_);
  ::close(fd_);
  fd_ = -1;
}

void RecordingFile::rename_to(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::rename(path_.c_str(), path.c_str()) != 0)
    throw Error(fmt::format("{}: cannot rename to {}: {}", path_, path, std::strerror(errno)));
  path_ = path;
}

void RecordingFile::sync() {
  if (fd_ >= 0) ::fdatasync(fd_);
}

void RecordingFile::write(const Json& header, const uint8_t* payload, size_t n) {
  if (fd_ < 0) throw Error(fmt::format("{}: the recording is closed", path_));
  const std::string line = encode_header(header);
  iovec iov[2] = {{const_cast<char*>(line.data()), line.size()}, {const_cast<uint8_t*>(payload), n}};
  int parts = n ? 2 : 1;
  int first = 0;
  size_t done = 0;
  const size_t total = line.size() + n;
  while (done < total) {
    ssize_t w = ::writev(fd_, iov + first, parts - first);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : ENOSPC;
      // Cut the partial message: what the file holds stays whole messages.
      if (done > 0 && ::ftruncate(fd_, off_t(bytes_)) == 0) ::lseek(fd_, off_t(bytes_), SEEK_SET);
      ::close(fd_);
      fd_ = -1;
      throw Error(fmt::format("{}: write failed after {} bytes ({} whole messages): {}", path_, bytes_, messages_,
                              std::strerror(e)));
    }
    done += size_t(w);
    size_t left = size_t(w);
    while (first < parts && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < parts) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  bytes_ += total;
  ++messages_;
}

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

ScanResult scan_recording(const std::string& path, uint64_t max_payload) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  struct stat st;
  if (::fstat(fileno(f.get()), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(fmt::format("{}: not a regular file", path));
  ScanResult r;
  r.file_bytes = uint64_t(st.st_size);
  std::string line;
  uint64_t pos = 0;
  for (;;) {
    const uint64_t start = pos;
    line.clear();
    int c = 0;
    bool newline = false;
    while ((c = std::fgetc(f.get())) != EOF) {
      ++pos;
      if (c == '\n') {
        newline = true;
        break;
      }
      line.push_back(char(c));
      if (line.size() >= kMaxHeaderBytes) break;
    }
    if (!newline && line.empty() && c == EOF) return r;  // the end, between messages
    if (line.find_first_not_of(" \t\r") == std::string::npos && newline) {  // a blank line
      r.good_bytes = pos;
      continue;
    }
    auto cut = [&](std::string problem) {
      r.problem = std::move(problem);
      r.good_bytes = start;
      return r;
    };
    if (!newline) {
      if (line.size() >= kMaxHeaderBytes) return cut("the header line is longer than 65536 bytes");
      // A last line without '\n' is accepted by readers when it is a whole record without payload.
      Json h = Json::parse(line, nullptr, false);
      if (!h.is_discarded() && validate_header(h, max_payload).empty() && h.value("bytes", uint64_t(0)) == 0) {
        ++r.messages;
        r.good_bytes = pos;
        return r;
      }
      return cut(fmt::format("truncated: the file ends inside a header ({} bytes, no newline)", line.size()));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Json h = Json::parse(line, nullptr, false);
    if (h.is_discarded()) return cut("the header is not JSON");
    std::string bad = validate_header(h, max_payload);
    if (!bad.empty()) return cut(bad);
    uint64_t n = h.contains("bytes") ? h["bytes"].get<uint64_t>() : 0;
    if (n > r.file_bytes - pos)
      return cut(fmt::format("truncated: the file ends {} bytes into a {}-byte payload", r.file_bytes - pos, n));
    if (n && ::fseeko(f.get(), off_t(pos + n), SEEK_SET) != 0)
      throw Error(fmt::format("{}: seek failed: {}", path, std::strerror(errno)));
    pos += n;
    ++r.messages;
    if (h.value("type", "") == "frame") ++r.frames;
    r.good_bytes = pos;
  }
}

ScanResult repair_recording(const std::string& path, uint64_t max_payload) {
  ScanResult r = scan_recording(path, max_payload);
  if (r.good_bytes < r.file_bytes && ::truncate(path.c_str(), off_t(r.good_bytes)) != 0)
    throw Error(fmt::format("{}: cannot truncate at byte {}: {}", path, r.good_bytes, std::strerror(errno)));
  return r;
}

}  // namespace rvkit::recording
