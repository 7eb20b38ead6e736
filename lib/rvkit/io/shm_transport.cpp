// Frames between processes on one machine through shared memory (docs/protocol.md, "Shared memory").
//
// shm://NAME. The output (the writer) keeps its payloads in a memfd segment of frame slots and
// listens on the abstract Unix socket "@rvkit-shm/NAME" (SOCK_SEQPACKET, so every packet arrives
// whole). An input (a reader) connects, is sent the segment's file descriptor (SCM_RIGHTS) and maps
// it read-only. Each message then goes as one packet: a record whole, or a frame's header with the
// slot its payload is in; the payload stays where the writer put it, and the reader's message
// borrows it (core/message.hpp Buffer::borrow) until the message is reused or destroyed, when the
// reader sends the slot back.
//
// The packets (a segment with its memfd; a message; a reader's "next", "slot free", "bye" and "all
// frames") are defined, with their checks, in one place: io/wire/shm_packets.hpp.
//
// Pull, not push: the writer keeps a queue per reader and sends its head when the reader asks. For a
// live stream, a frame that arrives while an older frame of the same camera still waits in a
// reader's queue replaces it, so a reader always gets the newest frame when it asks (the pipe's
// "newest at the last moment"), and each reader at its own pace. A lossless (recorded) stream
// never replaces or drops: write() waits for a free slot and for room in every reader's queue.
//
// Safety. The writer alone writes the segment, and it rewrites a slot only when no reader has it
// queued, in flight or borrowed; each slot carries the number of the message in it, which the reader
// checks. A reader that crashes closes its connection, and everything it held is free again. A writer
// that crashes or is restarted (by the hub) is a closed connection: the reader says so once and
// connects to the next writer, whose segment is a new memfd. Nothing is ever named in the file
// system: the memfd goes when the last process mapping it does, and the abstract socket with its
// writer. Only the writer's user (or root) may connect (SO_PEERCRED).
//
// The end of the stream is as on ZeroMQ: the writer sends an eos per camera, then the plain one; the
// reader ends at the first (an eos with an error throws StreamError).
//
// Under a supervisor (NOTIFY_SOCKET set: `hub run` with notify = true) the writer says READY=1 at its
// first message and WATCHDOG=1 at most twice a second while messages flow, since frames that never
// pass through the hub cannot be watched on a hub topic.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/io/wire/end_of_stream.hpp"
#include "rvkit/io/wire/header_line.hpp"
#include "rvkit/io/wire/shm_packets.hpp"
#include "rvkit/records/eos.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit {
// A named namespace around the file's own: in a unity build (RVKIT_UNITY_BUILD) this file shares a
// translation unit with zmq_transport.cpp, whose anonymous namespace has constants of the same names.
namespace shmio {
namespace {

using namespace wire::shm;

constexpr int kDefaultSlots = 8;
constexpr size_t kLiveQueue = 64;      // messages queued for one reader before a live writer drops the oldest
constexpr size_t kLosslessQueue = 16;  // ...before a lossless writer waits
constexpr int kSliceMs = 100;          // every wait looks at the stop request this often
constexpr int64_t kLiveEndUs = 1000000;      // how long a live writer's end waits for its readers
constexpr int64_t kLosslessEndUs = 5000000;  // ...and a lossless one's
constexpr int64_t kStoppedEndUs = 500000;    // ...after a stop request

// "shm://NAME[?slots=N]"
struct ShmSpec {
  std::string name;
  int slots = kDefaultSlots;
};

ShmSpec parse_shm_spec(const std::string& spec, bool output) {
  ShmSpec s;
  std::string rest = spec.substr(6);
  if (auto q = rest.find('?'); q != std::string::npos) {
    std::string opt = rest.substr(q + 1);
    rest.resize(q);
    if (!output) throw Error(fmt::format("{}: '?{}': an shm:// input takes no options", spec, opt));
    if (opt.rfind("slots=", 0) != 0) throw Error(fmt::format("{}: unknown option '{}' (slots=N)", spec, opt));
    try {
      size_t used = 0;
      s.slots = std::stoi(opt.substr(6), &used);
      if (used != opt.size() - 6) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw Error(fmt::format("{}: slots= takes a number of slots, 2 to {}", spec, kMaxSlots));
    }
    if (s.slots < 2 || s.slots > int(kMaxSlots))
      throw Error(fmt::format("{}: slots={}: 2 to {} slots", spec, s.slots, kMaxSlots));
  }
  if (rest.empty() || rest.size() > 64 ||
      rest.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos)
    throw Error(fmt::format("{}: the name after shm:// is 1 to 64 letters, digits, '.', '_' or '-'", spec));
  s.name = rest;
  return s;
}

// The abstract socket address of a stream ("\0rvkit-shm/NAME"), and its length.
socklen_t socket_address(const std::string& name, sockaddr_un& a) {
  std::memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  std::string path = "rvkit-shm/" + name;
  std::memcpy(a.sun_path + 1, path.data(), path.size());
  return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + path.size());
}

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// ---------------------------------------------------------------- the writer

struct Segment {
  uint32_t gen = 0;
  int fd = -1;
  uint8_t* base = nullptr;
  size_t map_bytes = 0, stride = 0, slot_bytes = 0;
  std::vector<int> refs;       // readers that have the slot queued, in flight or borrowed
  std::vector<char> writing;   // being filled (or reserved) by the writer
  Segment() = default;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment() {
    if (base) munmap(base, map_bytes);
    if (fd >= 0) close(fd);
  }
  uint8_t* slot(uint32_t i) const { return base + size_t(i) * stride; }
};

struct Item {
  std::string header;                 // the header line
  uint64_t msg_no = 0;
  std::shared_ptr<Segment> seg;       // null: the payload is inline
  uint32_t slot = kInline;
  std::vector<uint8_t> inline_payload;
  uint64_t payload_len = 0;
  bool frame = false;
  std::string cam;
};

struct Reader {
  int fd = -1;
  bool wanting = false;    // asked for a message and has not been sent one
  bool broken = false;     // a send failed: dropped by the service thread
  bool ended = false;      // said it ended (B): sent nothing more, counted as no reader
  bool every_frame = false;  // asked for every live frame (A): no replacing, only the queue's bound
  uint32_t known_gen = 0;  // the newest segment it was sent (0: none)
  std::deque<std::shared_ptr<Item>> queue;
  std::unordered_map<uint64_t, std::shared_ptr<Item>> held;  // slot messages sent, not yet released
};

class ShmOutput final : public Output {
 public:
  ShmOutput(const std::string& spec, const OutputOptions& o)
      : spec_(parse_shm_spec(spec, true)), lossless_(o.lossless), wanted_(std::max(1, o.subscribers)) {
    name_ = spec;
    listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) throw Error(fmt::format("{}: socket: {}", name_, std::strerror(errno)));
    sockaddr_un a;
    socklen_t len = socket_address(spec_.name, a);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0) {
      int e = errno;
      close(listen_fd_);
      if (e == EADDRINUSE) throw Error(fmt::format("{}: another process is already writing this stream", name_));
      throw Error(fmt::format("{}: bind: {}", name_, std::strerror(e)));
    }
    listen(listen_fd_, 16);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    notify_ = getenv("NOTIFY_SOCKET") != nullptr;
    service_ = start_worker([this] { serve(); });
  }

  ~ShmOutput() override {
    try {
      ending_ = true;
      if (reserved_slot_ != kInline) unreserve();
      write_end_of_stream();
      wait_for_readers_to_finish();
    } catch (const std::exception& e) {
      log_line(fmt::format("{}: {}", name_, e.what()));
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    service_.join();
    for (Reader& r : readers_) close(r.fd);
    close(listen_fd_);
    close(wake_fd_);
  }

  using Output::write;
  bool write(const Json& header, const uint8_t* payload, size_t n) override {
    cams_.note(header);
    // The item is built before the lock is taken: the service thread sending to readers waits on it.
    auto item = std::make_shared<Item>();
    item->header = encode_header(header);
    item->payload_len = n;
    auto type = header.find("type");
    item->frame = type != header.end() && type->is_string() && type->get_ref<const std::string&>() == "frame";
    if (item->frame) item->cam = header.value("cam", std::string());
    std::unique_lock<std::mutex> lk(mu_);
    bool reserved = reserved_slot_ != kInline && payload == reserved_ptr_ && n <= seg_->slot_bytes;
    if (!reserved && reserved_slot_ != kInline) unreserve_locked();
    if (!wait_for_readers(lk)) {
      if (reserved) unreserve_locked();
      return false;
    }
    item->msg_no = ++sent_;
    if (n > kInlineMax || reserved) {
      uint32_t slot = reserved ? reserved_slot_ : take_slot(lk, n);
      reserved_slot_ = kInline;
      if (slot == kInline) return !lossless_;  // live: readers hold every slot, this frame is lost;
                                               // lossless: a stop request ended the wait for one
      std::shared_ptr<Segment> seg = seg_;
      uint8_t* dst = seg->slot(slot);
      lk.unlock();
      std::memcpy(dst, &item->msg_no, sizeof item->msg_no);
      if (!reserved && n) std::memcpy(dst + kSlotHeader, payload, n);
      lk.lock();
      seg->writing[slot] = 0;
      item->seg = seg;
      item->slot = slot;
    } else if (n) {
      item->inline_payload.assign(payload, payload + n);
    }
    if (lossless_ && !wait_for_queue_room(lk)) return false;  // never enqueued: the slot stays free
    for (Reader& r : readers_) enqueue(r, item);
    lk.unlock();
    say_alive();
    return true;
  }

  uint8_t* reserve_payload(size_t n) override {
    std::unique_lock<std::mutex> lk(mu_);
    if (reserved_slot_ != kInline) unreserve_locked();
    if (n > kInlineMax && !(lossless_ && stop_requested())) {
      uint32_t slot = take_slot(lk, n);
      if (slot != kInline) {
        reserved_slot_ = slot;
        reserved_ptr_ = seg_->slot(slot) + kSlotHeader;
        return reserved_ptr_;
      }
    }
    lk.unlock();
    return Output::reserve_payload(n);
  }

 private:
  // --- the segment and its slots (mu_ held)

  // A free slot of a segment that fits n bytes, marked as being written; kInline when a live writer
  // finds every slot held (after evicting what waits unsent) or a lossless one was asked to stop.
  uint32_t take_slot(std::unique_lock<std::mutex>& lk, size_t n) {
    if (!seg_ || seg_->slot_bytes < n) new_segment(n);
    for (;;) {
      const uint32_t count = uint32_t(seg_->refs.size());
      for (uint32_t k = 0; k < count; ++k) {
        uint32_t i = (next_slot_ + k) % count;
        if (seg_->refs[size_t(i)] == 0 && !seg_->writing[size_t(i)]) {
          next_slot_ = (i + 1) % count;
          seg_->writing[size_t(i)] = 1;
          return i;
        }
      }
      if (lossless_) {
        if (stop_requested() || quit_) return kInline;
        cv_.wait_for(lk, std::chrono::milliseconds(kSliceMs));
        continue;
      }
      if (!evict_one()) return kInline;
    }
  }

  // Live: frees a slot by dropping the oldest unsent frame of the current segment in any reader's
  // queue (a newer frame would have replaced it anyway). False when none waits.
  bool evict_one() {
    for (Reader& r : readers_)
      for (auto it = r.queue.begin(); it != r.queue.end(); ++it)
        if ((*it)->seg == seg_) {
          unref(**it);
          r.queue.erase(it);
          return true;
        }
    return false;
  }

  void new_segment(size_t n) {
    auto s = std::make_shared<Segment>();
    s->gen = ++gen_;
    // A quarter to spare, so that JPEG frames of varying size rarely need a new segment.
    s->slot_bytes = round_up(n + n / 4, 4096);
    s->stride = round_up(kSlotHeader + s->slot_bytes, 4096);
    s->map_bytes = s->stride * size_t(spec_.slots);
    s->fd = memfd_create(fmt::format("rvkit-shm-{}", spec_.name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (s->fd < 0) throw Error(fmt::format("{}: memfd_create: {}", name_, std::strerror(errno)));
    if (ftruncate(s->fd, off_t(s->map_bytes)) != 0)
      throw Error(fmt::format("{}: cannot size the shared memory to {} bytes: {}", name_, s->map_bytes, std::strerror(errno)));
    // Its size is fixed for good, so that no reader's mapping can ever reach past its end (readers
    // refuse a segment without F_SEAL_SHRINK).
    if (fcntl(s->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
      throw Error(fmt::format("{}: cannot seal the shared memory: {}", name_, std::strerror(errno)));
    void* p = mmap(nullptr, s->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED) throw Error(fmt::format("{}: mmap of {} bytes: {}", name_, s->map_bytes, std::strerror(errno)));
    s->base = static_cast<uint8_t*>(p);
    s->refs.assign(size_t(spec_.slots), 0);
    s->writing.assign(size_t(spec_.slots), 0);
    seg_ = std::move(s);
    next_slot_ = 0;
  }

  static void unref(Item& it) {
    if (it.seg) --it.seg->refs[it.slot];
  }

  void unreserve() {
    std::lock_guard<std::mutex> lk(mu_);
    unreserve_locked();
  }
  void unreserve_locked() {
    if (reserved_slot_ != kInline && seg_) seg_->writing[reserved_slot_] = 0;
    reserved_slot_ = kInline;
    reserved_ptr_ = nullptr;
  }

  // --- the readers (mu_ held)

  void enqueue(Reader& r, const std::shared_ptr<Item>& item) {
    if (r.broken || r.ended) return;
    if (!lossless_) {
      if (item->frame && !r.every_frame) {  // the newest frame of a camera replaces an older one still waiting
        for (auto it = r.queue.begin(); it != r.queue.end();) {
          if ((*it)->frame && (*it)->cam == item->cam) {
            unref(**it);
            it = r.queue.erase(it);
          } else {
            ++it;
          }
        }
      }
      if (r.queue.size() >= kLiveQueue) {  // a reader that stopped asking: its oldest message goes
        unref(*r.queue.front());
        r.queue.pop_front();
      }
    }
    if (item->seg) ++item->seg->refs[item->slot];
    r.queue.push_back(item);
    send_next(r);
  }

  // Sends the head of the reader's queue if it asked for a message.
  void send_next(Reader& r) {
    if (!r.wanting || r.queue.empty() || r.broken) return;
    std::shared_ptr<Item> item = r.queue.front();
    if (item->seg && r.known_gen != item->seg->gen) {
      if (!send_segment(r, *item->seg)) return;
      r.known_gen = item->seg->gen;
    }
    MessagePacket p;
    p.gen = item->seg ? item->seg->gen : 0;
    p.slot = item->slot;
    p.header_len = uint32_t(item->header.size());
    p.msg_no = item->msg_no;
    p.payload_len = item->payload_len;
    iovec iov[3] = {{&p, sizeof p},
                    {const_cast<char*>(item->header.data()), item->header.size()},
                    {item->inline_payload.data(), item->inline_payload.size()}};
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = 3;
    if (sendmsg(r.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      r.broken = true;
      return;
    }
    r.queue.pop_front();
    r.wanting = false;
    if (item->seg) r.held.emplace(item->msg_no, std::move(item));
  }

  bool send_segment(Reader& r, const Segment& s) {
    SegmentPacket p;
    p.gen = s.gen;
    p.slots = uint32_t(s.refs.size());
    p.stride = s.stride;
    p.slot_bytes = s.slot_bytes;
    if (send_packet(r.fd, &p, sizeof p, s.fd, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      r.broken = true;
      return false;
    }
    return true;
  }

  void drop_reader(size_t i) {
    Reader& r = readers_[i];
    for (auto& it : r.queue) unref(*it);
    for (auto& [no, it] : r.held) unref(*it);
    close(r.fd);
    readers_.erase(readers_.begin() + long(i));
    cv_.notify_all();
  }

  // Lossless: before the first message, until `wanted_` readers are there; later, while none is.
  bool wait_for_readers(std::unique_lock<std::mutex>& lk) {
    if (!lossless_) return true;
    size_t need = ending_ ? (sent_ == 0 && !stop_requested() ? size_t(wanted_) : 0) : sent_ == 0 ? size_t(wanted_) : 1;
    if (live_readers() >= need) return true;
    if (sent_ == 0) {
      if (!said_waiting_) log_line(fmt::format("waiting for {} reader{} on {}", need, need == 1 ? "" : "s", name_));
      said_waiting_ = true;
    } else {
      log_line(fmt::format("{}: every reader left after {} messages; waiting for one", name_, sent_));
    }
    while (live_readers() < need) {
      if (stop_requested()) return false;
      cv_.wait_for(lk, std::chrono::milliseconds(kSliceMs));
    }
    return true;
  }

  size_t live_readers() const {
    return size_t(std::count_if(readers_.begin(), readers_.end(), [](const Reader& r) { return !r.ended && !r.broken; }));
  }

  bool wait_for_queue_room(std::unique_lock<std::mutex>& lk) {
    for (;;) {
      bool full = std::any_of(readers_.begin(), readers_.end(),
                              [](const Reader& r) { return !r.broken && r.queue.size() >= kLosslessQueue; });
      if (!full) return true;
      if (stop_requested() && !ending_) return false;
      cv_.wait_for(lk, std::chrono::milliseconds(kSliceMs));
    }
  }

  // --- the service thread: new readers, their requests and releases

  void serve() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({listen_fd_, POLLIN, 0});
      fds.push_back({wake_fd_, POLLIN, 0});
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (quit_) return;
        for (const Reader& r : readers_) fds.push_back({r.fd, POLLIN, 0});
      }
      if (poll(fds.data(), nfds_t(fds.size()), 1000) < 0 && errno != EINTR) return;
      std::lock_guard<std::mutex> lk(mu_);
      if (quit_) return;
      if (fds[1].revents) {
        uint64_t v;
        (void)!::read(wake_fd_, &v, sizeof v);
      }
      for (size_t k = 2; k < fds.size(); ++k) {
        if (!fds[k].revents) continue;
        for (size_t i = 0; i < readers_.size(); ++i)
          if (readers_[i].fd == fds[k].fd) {
            if (!take_requests(readers_[i])) readers_[i].broken = true;
            break;
          }
      }
      for (size_t i = readers_.size(); i-- > 0;)
        if (readers_[i].broken) drop_reader(i);
      if (fds[0].revents) accept_readers();
    }
  }

  void accept_readers() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      ucred cred{};
      socklen_t len = sizeof cred;
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || (cred.uid != getuid() && cred.uid != 0)) {
        close(fd);
        continue;
      }
      int buf = 1 << 20;
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
      Reader r;
      r.fd = fd;
      readers_.push_back(std::move(r));
      cv_.notify_all();
    }
  }

  // Reads what a reader sent; false when it has gone (or sent nonsense).
  bool take_requests(Reader& r) {
    for (;;) {
      uint8_t buf[64];
      ssize_t got = recv(r.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      if (got == 0) return false;
      if (buf[0] == kAll && got == 1) {
        r.every_frame = true;
      } else if (buf[0] == kBye && got == 1) {
        r.ended = true;
        for (auto& it : r.queue) unref(*it);
        r.queue.clear();
        cv_.notify_all();
      } else if (buf[0] == kNext && got == 1) {
        r.wanting = true;
        send_next(r);
      } else if (buf[0] == kRelease && size_t(got) == sizeof(ReleasePacket)) {
        ReleasePacket p;
        std::memcpy(&p, buf, sizeof p);
        auto it = r.held.find(p.msg_no);
        if (it == r.held.end()) return false;
        unref(*it->second);
        r.held.erase(it);
        cv_.notify_all();
      } else {
        return false;
      }
    }
  }

  // --- the end

  void write_end_of_stream() {
    for (const Json& eos : wire::eos_records(cams_.cams()))
      if (!write(eos, nullptr, 0)) return;
  }

  // Until every reader has been sent everything, or it has closed (at most kLiveEndUs, or
  // kLosslessEndUs for a recorded stream, or kStoppedEndUs after a stop).
  void wait_for_readers_to_finish() {
    const int64_t start = mono_us();
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      bool done = std::all_of(readers_.begin(), readers_.end(), [](const Reader& r) { return r.queue.empty(); });
      int64_t allowed = stop_requested() ? kStoppedEndUs : lossless_ ? kLosslessEndUs : kLiveEndUs;
      if (done || mono_us() - start > allowed) return;
      cv_.wait_for(lk, std::chrono::milliseconds(20));
    }
  }

  // READY=1 at the first message, WATCHDOG=1 at most every 500 ms (only under a supervisor).
  void say_alive() {
    if (!notify_) return;
    int64_t now = mono_us();
    if (said_ready_ && now - said_at_ < 500000) return;
    sd_notify(0, said_ready_ ? "WATCHDOG=1" : "READY=1\nWATCHDOG=1");
    said_ready_ = true;
    said_at_ = now;
  }

  ShmSpec spec_;
  bool lossless_;
  int wanted_;
  int listen_fd_ = -1, wake_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;  // a slot freed, a reader came or went, a queue shrank
  std::vector<Reader> readers_;
  std::shared_ptr<Segment> seg_;
  uint32_t gen_ = 0, next_slot_ = 0;
  uint32_t reserved_slot_ = kInline;
  uint8_t* reserved_ptr_ = nullptr;
  uint64_t sent_ = 0;
  bool ending_ = false, quit_ = false, said_waiting_ = false;
  wire::CamList cams_;
  bool notify_ = false, said_ready_ = false;
  int64_t said_at_ = 0;
  std::thread service_;
};

// ---------------------------------------------------------------- the reader

struct Connection {
  int fd;
  explicit Connection(int f) : fd(f) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { close(fd); }
};

struct Mapping {
  uint8_t* base = nullptr;
  size_t bytes = 0, stride = 0, slot_bytes = 0;
  uint32_t slots = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (base) munmap(base, bytes);
  }
};

// A borrowed slot: its destruction (the message reused or gone, in whatever thread) gives it back.
struct Lease {
  std::shared_ptr<Connection> conn;
  std::shared_ptr<Mapping> map;
  uint64_t msg_no = 0;
  ~Lease() {
    ReleasePacket p;
    p.msg_no = msg_no;
    // Blocking, tiny, and never for long: the writer's service thread reads these as they come. If
    // the writer is gone the send fails, and nothing needs giving back.
    (void)send(conn->fd, &p, sizeof p, MSG_NOSIGNAL);
  }
};

class ShmInput final : public Input {
 public:
  ShmInput(const std::string& spec, const InputOptions& opts)
      : spec_(parse_shm_spec(spec, false)), opts_(opts), buf_(new uint8_t[kMaxPacket]) {
    name_ = opts.display_name.empty() ? spec : opts.display_name;
    started_ = mono_us();
  }

  bool read(Message& m) override {
    // The slot of the message m held goes back now, while nothing waits, rather than when the next
    // message replaces it (a send and the writer's wake-up on the way of a frame).
    if (m.payload.borrowed()) m.payload.clear();
    for (;;) {
      if (ended_ || stop_requested()) return false;
      if (!ready_to_read(kSliceMs)) continue;
      Got g = receive(m);
      if (g == Got::message) return true;
      if (g == Got::end) return false;
    }
  }

  bool wait_readable(int timeout_ms) override {
    if (ended_) return true;
    const int64_t end = mono_us() + int64_t(timeout_ms) * 1000;
    for (;;) {
      if (ready_to_read(int(std::min<int64_t>(kSliceMs, std::max<int64_t>(0, (end - mono_us()) / 1000))))) return true;
      if (mono_us() >= end || stop_requested()) return false;
    }
  }

  uint64_t count() const override { return count_; }

 private:
  enum class Got { message, other, end };

  // Connected, the next message asked for, and a packet waiting (within timeout_ms).
  bool ready_to_read(int timeout_ms) {
    if (!conn_ && !connect_writer()) {
      if (!said_waiting_ && mono_us() - started_ > 2000000) {
        said_waiting_ = true;
        log_line(fmt::format("{}: no writer yet; waiting for one", name_));
      }
      usleep(useconds_t(std::min(timeout_ms, 50)) * 1000);
      return false;
    }
    if (!asked_) {
      uint8_t next = kNext;
      if (send(conn_->fd, &next, 1, MSG_NOSIGNAL) != 1) {
        writer_lost();
        return false;
      }
      asked_ = true;
    }
    pollfd p{conn_->fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) > 0;
  }

  bool connect_writer() {
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(fmt::format("{}: socket: {}", name_, std::strerror(errno)));
    sockaddr_un a;
    socklen_t len = socket_address(spec_.name, a);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) {
      close(fd);
      return false;
    }
    conn_ = std::make_shared<Connection>(fd);
    asked_ = false;
    if (!opts_.newest_frames) {
      uint8_t all = kAll;
      (void)send(fd, &all, 1, MSG_NOSIGNAL);
    }
    return true;
  }

  void writer_lost() {
    conn_.reset();
    maps_.clear();
    asked_ = false;
    if (!said_lost_ && count_ > 0)
      log_line(fmt::format("{}: the writer went away without an end of stream after {} messages; waiting for it",
                           name_, count_));
    said_lost_ = true;
  }

  Got receive(Message& m) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    iovec iov{buf_.get(), kMaxPacket};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t n = recvmsg(conn_->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return Got::other;
      writer_lost();
      return Got::other;
    }
    if (n == 0) {
      writer_lost();
      return Got::other;
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      if (fd >= 0) close(fd);
      fail(fmt::format("a packet larger than {} bytes", kMaxPacket));
    }
    if (buf_[0] == kSegment) return take_segment(size_t(n), fd), Got::other;
    if (fd >= 0) close(fd);
    if (buf_[0] != kMessage || size_t(n) < sizeof(MessagePacket))
      fail(fmt::format("a packet of kind {} and {} bytes (expected S or M)", int(buf_[0]), n));
    asked_ = false;
    ++count_;
    MessagePacket p;
    std::memcpy(&p, buf_.get(), sizeof p);
    size_t inline_bytes = size_t(n) - sizeof p;
    if (p.header_len > inline_bytes || p.header_len > kMaxHeaderBytes) fail("a header longer than its packet");
    inline_bytes -= p.header_len;
    std::string_view text(reinterpret_cast<const char*>(buf_.get() + sizeof p), p.header_len);
    std::string problem = wire::parse_header_line(text, m.header, opts_.max_payload);
    if (!problem.empty()) fail(problem);
    uint64_t bytes = m.header.value("bytes", uint64_t(0));
    if (bytes != p.payload_len) fail(fmt::format("field 'bytes': {} but the payload has {} bytes", bytes, p.payload_len));
    if (p.slot == kInline) {
      if (inline_bytes != p.payload_len) fail(fmt::format("an inline payload of {} bytes, not {}", inline_bytes, p.payload_len));
      m.payload.assign(buf_.get() + sizeof p + p.header_len, inline_bytes);
    } else {
      auto it = maps_.find(p.gen);
      if (it == maps_.end()) fail(fmt::format("slot {} of segment {}, which was never sent", p.slot, p.gen));
      const Mapping& map = *it->second;
      if (p.slot >= map.slots || p.payload_len > map.slot_bytes)
        fail(fmt::format("slot {} with {} bytes: segment {} has {} slots of {} bytes", p.slot, p.payload_len, p.gen,
                         map.slots, map.slot_bytes));
      const uint8_t* slot = map.base + size_t(p.slot) * map.stride;
      uint64_t stamp;
      std::memcpy(&stamp, slot, sizeof stamp);
      auto lease = std::make_shared<Lease>();
      lease->conn = conn_;
      lease->map = it->second;
      lease->msg_no = p.msg_no;
      if (stamp != p.msg_no) fail(fmt::format("slot {} holds message {}, not this one", p.slot, stamp));
      m.payload.borrow(slot + kSlotHeader, p.payload_len, std::move(lease));
    }
    if (m.type() == records::Eos::kType) {
      records::Eos e;
      try {
        e = m.header.get<records::Eos>();
      } catch (const records::RecordError& err) {
        fail(err.what());
      }
      ended_ = true;
      uint8_t bye = kBye;  // the writer need not wait for this reader to take the rest
      (void)send(conn_->fd, &bye, 1, MSG_NOSIGNAL);
      conn_.reset();
      if (e.error) {
        std::string whose = e.cam ? fmt::format("camera '{}'", *e.cam) : std::string("its writer");
        throw StreamError(fmt::format("{}: the stream of {} ended with an error: {}", name_, whose, *e.error));
      }
      return Got::end;
    }
    return Got::message;
  }

  void take_segment(size_t n, int fd) {
    if (fd < 0) fail("a segment without its file descriptor");
    SegmentPacket p;
    if (n != sizeof p) {
      close(fd);
      fail(fmt::format("a segment packet of {} bytes", n));
    }
    std::memcpy(&p, buf_.get(), sizeof p);
    // Checked without overflow: whatever the numbers, every slot read later lies inside the memory.
    struct stat st;
    bool fits = p.slots >= 1 && p.slots <= kMaxSlots && p.stride >= kSlotHeader &&
                p.slot_bytes <= p.stride - kSlotHeader && fstat(fd, &st) == 0 && st.st_size > 0 &&
                p.stride <= uint64_t(st.st_size) / p.slots;
    if (!fits) {
      close(fd);
      fail(fmt::format("segment {}: {} slots of {} bytes ({} for a payload) do not fit its memory", p.gen, p.slots,
                       p.stride, p.slot_bytes));
    }
    // Sealed against shrinking: memory that could be cut short under the mapping would make a read
    // of it a SIGBUS rather than an error.
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
      close(fd);
      fail(fmt::format("segment {}: its memory is not sealed against shrinking", p.gen));
    }
    size_t bytes = size_t(p.slots) * size_t(p.stride);
    void* base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) throw Error(fmt::format("{}: mmap of {} bytes: {}", name_, bytes, std::strerror(errno)));
    auto map = std::make_shared<Mapping>();
    map->base = static_cast<uint8_t*>(base);
    map->bytes = bytes;
    map->stride = p.stride;
    map->slot_bytes = p.slot_bytes;
    map->slots = p.slots;
    // Older segments are not sent messages any more; their borrowed slots keep their own mapping.
    maps_.erase(maps_.begin(), maps_.lower_bound(p.gen));
    maps_[p.gen] = std::move(map);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw StreamError(fmt::format("{}: message {}: {}", name_, count_, problem));
  }

  ShmSpec spec_;
  InputOptions opts_;
  std::unique_ptr<uint8_t[]> buf_;
  std::shared_ptr<Connection> conn_;
  std::map<uint32_t, std::shared_ptr<Mapping>> maps_;
  bool asked_ = false, ended_ = false;
  bool said_waiting_ = false, said_lost_ = false;
  int64_t started_ = 0;
  uint64_t count_ = 0;
};

}  // namespace
}  // namespace shmio

bool is_shm_spec(const std::string& spec) { return spec.rfind("shm://", 0) == 0; }

std::unique_ptr<Input> open_shm_input(const std::string& spec, const InputOptions& opts) {
  return std::make_unique<shmio::ShmInput>(spec, opts);
}
std::unique_ptr<Output> open_shm_output(const std::string& spec, const OutputOptions& opts) {
  return std::make_unique<shmio::ShmOutput>(spec, opts);
}

}  // namespace rvkit
