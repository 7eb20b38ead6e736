// Messages over byte streams: stdin/stdout, files and FIFOs.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/io/wire/header_line.hpp"

namespace rvkit {
namespace {

constexpr int kPipeBytes = 1 << 20;  // Linux's default /proc/sys/fs/pipe-max-size

bool is_pipe(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

void enlarge_pipe(int fd) {
#ifdef F_SETPIPE_SZ
  if (is_pipe(fd) && fcntl(fd, F_GETPIPE_SZ) < kPipeBytes) fcntl(fd, F_SETPIPE_SZ, kPipeBytes);
#else
  (void)fd;
#endif
}

class FdInput final : public Input {
 public:
  FdInput(int fd, std::string name, const InputOptions& opts, bool owns)
      : fd_(fd), owns_(owns), opts_(opts), buf_(new uint8_t[kBufSize]) {
    name_ = std::move(name);
    enlarge_pipe(fd_);
  }
  ~FdInput() override {
    if (owns_) close(fd_);
  }

  bool read(Message& m) override {
    for (;;) {
      size_t start_offset = offset_;
      std::string line;
      if (!read_line(line)) return false;
      // Blank lines (and a lone '\r') are allowed between messages in JSON Lines input.
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++count_;
      msg_offset_ = start_offset;
      std::string problem = wire::parse_header_line(line, m.header, opts_.max_payload);
      if (!problem.empty()) fail(problem);
      uint64_t n = 0;
      if (auto it = m.header.find("bytes"); it != m.header.end()) n = it->get<uint64_t>();
      m.payload.resize(n);
      return read_payload(m.payload.data(), n);
    }
  }

  bool wait_readable(int timeout_ms) override {
    if (pos_ < end_ || eof_) return true;
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, timeout_ms) > 0;
  }

  uint64_t count() const override { return count_; }

 private:
  static constexpr size_t kBufSize = 256 * 1024;

  [[noreturn]] void fail(const std::string& problem) const {
    throw StreamError(fmt::format("{}: message {} at byte {}: {}", name_, count_, msg_offset_, problem));
  }

  // Refills the buffer; returns false at end of file or on a stop request.
  bool fill() {
    if (pos_ == end_) pos_ = end_ = 0;
    for (;;) {
      if (!wait_for_data()) return false;
      ssize_t r = ::read(fd_, buf_.get() + end_, kBufSize - end_);
      if (r > 0) {
        end_ += size_t(r);
        return true;
      }
      if (r == 0) {
        eof_ = true;
        return false;
      }
      if (errno == EINTR) {
        if (stop_requested()) return false;
        continue;
      }
      throw StreamError(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
    }
  }

  // Waits until the fd is readable, checking for a stop request every 200 ms (a signal
  // may have been taken by another thread, leaving a plain blocking read() asleep).
  bool wait_for_data() {
    for (;;) {
      if (stop_requested()) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = poll(&p, 1, 200);
      if (r > 0 || (r < 0 && errno != EINTR)) return true;  // readable, or let read() report the error
    }
  }

  // Reads one header line (without '\n'). False at a clean end between messages.
  bool read_line(std::string& line) {
    line.clear();
    for (;;) {
      const uint8_t* start = buf_.get() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      size_t take = nl ? size_t(static_cast<const uint8_t*>(nl) - start) : end_ - pos_;
      if (line.size() + take + 1 > kMaxHeaderBytes) {
        ++count_;
        msg_offset_ = offset_ - line.size();
        fail(fmt::format("header is longer than {} bytes (no newline found): not an rvkit stream?",
                         kMaxHeaderBytes));
      }
      line.append(reinterpret_cast<const char*>(start), take);
      pos_ += take;
      offset_ += take;
      if (nl) {
        ++pos_;
        ++offset_;
        return true;
      }
      if (stop_requested()) return false;
      if (!fill()) {
        if (stop_requested() || line.find_first_not_of(" \t\r\n") == std::string::npos) return false;
        // A last line without '\n': accept it when it is a complete record without payload
        // (friendly to `printf '{...}'`), else it is a truncated message.
        ++count_;
        msg_offset_ = offset_ - line.size();
        Json j = Json::parse(line, nullptr, false);
        if (j.is_discarded())
          fail(fmt::format("truncated: the stream ended inside a header ({} bytes, no newline)", line.size()));
        --count_;
        return true;
      }
    }
  }

  // False when a stop was requested mid-payload.
  bool read_payload(uint8_t* dst, uint64_t n) {
    uint64_t got = 0;
    size_t avail = end_ - pos_;
    if (avail && n) {
      size_t take = size_t(std::min<uint64_t>(avail, n));
      std::memcpy(dst, buf_.get() + pos_, take);
      pos_ += take;
      got = take;
    }
    // The rest goes straight from the kernel into the payload: no extra copy.
    while (got < n) {
      if (!wait_for_data()) return false;
      ssize_t r = ::read(fd_, dst + got, size_t(std::min<uint64_t>(n - got, 1u << 30)));
      if (r > 0) {
        got += uint64_t(r);
        continue;
      }
      if (r < 0 && errno == EINTR) {
        if (stop_requested()) return false;
        continue;
      }
      if (r < 0) throw StreamError(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
      offset_ += got;
      fail(fmt::format("truncated: the stream ended {} bytes into a {}-byte payload", got, n));
    }
    offset_ += n;
    return true;
  }

  int fd_;
  bool owns_;
  InputOptions opts_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t offset_ = 0;      // bytes consumed from the stream
  uint64_t msg_offset_ = 0;  // where the current message started
  uint64_t count_ = 0;       // messages started (1-based number of the current one)
};

class FdOutput final : public Output {
 public:
  FdOutput(int fd, std::string name, bool owns) : fd_(fd), owns_(owns), pipe_(is_pipe(fd)) {
    name_ = std::move(name);
    enlarge_pipe(fd_);
    // Pipes are written without blocking and waited on with poll(), so a stop request is
    // noticed within 100 ms even when the signal went to another thread.
    if (pipe_) {
      saved_flags_ = fcntl(fd_, F_GETFL);
      if (saved_flags_ >= 0) fcntl(fd_, F_SETFL, saved_flags_ | O_NONBLOCK);
    }
  }
  ~FdOutput() override {
    if (pipe_ && saved_flags_ >= 0) fcntl(fd_, F_SETFL, saved_flags_);
    if (owns_) close(fd_);
  }

  bool write(const Json& header, const uint8_t* payload, size_t n) override {
    if (closed_) return false;
    std::string head = encode_header(header);
    if (head.size() > kMaxHeaderBytes)
      throw Error(fmt::format("{}: header of {} bytes exceeds the {}-byte limit", name_, head.size(),
                              kMaxHeaderBytes));
    iovec iov[2] = {{head.data(), head.size()}, {const_cast<uint8_t*>(payload), n}};
    size_t total = head.size() + n, done = 0;
    int64_t give_up_at = 0;
    while (done < total) {
      if (stop_requested()) {
        if (done == 0) return false;
        // Mid-message: finish it so the reader does not see a truncated message, but never
        // wait more than a second for a reader that has stopped reading.
        if (!give_up_at) give_up_at = mono_us() + 1000000;
        if (mono_us() > give_up_at) return closed_ = true, false;
      }
      ssize_t r = ::writev(fd_, iov[0].iov_len ? iov : iov + 1, iov[0].iov_len ? 2 : 1);
      if (r < 0) {
        if (errno == EAGAIN) {  // the pipe is full: wait for the reader
          pollfd p{fd_, POLLOUT, 0};
          poll(&p, 1, 100);
          continue;
        }
        if (errno == EINTR) continue;
        if (errno == EPIPE) return closed_ = true, false;
        throw Error(fmt::format("{}: write failed: {}", name_, std::strerror(errno)));
      }
      done += size_t(r);
      size_t adv = size_t(r);  // advance the iovecs past what was written
      for (int i = 0; i < 2 && adv; ++i) {
        size_t k = std::min(adv, iov[i].iov_len);
        iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + k;
        iov[i].iov_len -= k;
        adv -= k;
      }
    }
    return true;
  }

  bool wait_consumer_ready() override {
    if (!pipe_) return !stop_requested();
    for (;;) {
      if (stop_requested()) return false;
      int pending = 0;
      if (ioctl(fd_, FIONREAD, &pending) != 0 || pending == 0) return true;
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & POLLERR)) return true;  // reader gone: write() says EPIPE
      usleep(200);
    }
  }

 private:
  int fd_;
  bool owns_;
  bool pipe_;
  int saved_flags_ = -1;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<Input> input_from_fd(int fd, std::string name, const InputOptions& opts, bool owns_fd) {
  return std::make_unique<FdInput>(fd, std::move(name), opts, owns_fd);
}

std::unique_ptr<Output> output_to_fd(int fd, std::string name, bool owns_fd) {
  return std::make_unique<FdOutput>(fd, std::move(name), owns_fd);
}

}  // namespace rvkit
