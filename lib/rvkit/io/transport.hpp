// rvkit: moving messages between processes.
//
// An endpoint spec names where messages come from or go to:
//   "-"                       stdin (for inputs) or stdout (for outputs)
//   PATH                      a file or FIFO
//   tcp://HOST:PORT, ipc://P  ZeroMQ PUB (outputs) and SUB (inputs). Outputs bind and
//                             inputs connect by default; a leading '@' forces bind and '>'
//                             forces connect. Inputs may add "?topic=PREFIX" (repeatable
//                             with '&') to subscribe to part of a stream, e.g.
//                             "tcp://localhost:5555?topic=frame/cam0/".
//   shm://NAME                shared memory between processes on this machine (shm_transport.cpp):
//                             the output writes its payloads into frame slots that every input maps,
//                             and only headers travel; several inputs may read one output, each at
//                             its own pace. An output may add "?slots=N" (default 8).
//   hub, hub?topic=PREFIX     the message hub (`hub serve`, io/hub_address.hpp): inputs subscribe
//                             at its subscribe endpoint, outputs publish at its publish endpoint.
// See docs/protocol.md for the exact mapping.
//
// Live and lossless outputs (OutputOptions): a live ZeroMQ or shm output drops whole messages for a slow
// subscriber and never stalls; a lossless one (recorded streams: docs/protocol.md "Lossless
// streams") waits for its subscribers before its first message and then blocks instead of dropping,
// directly (an XPUB that never drops) or through the hub (credit from the hub's lossless endpoint).
// Byte streams are lossless either way. Every wait is stop-aware: SIGINT/SIGTERM end it quietly.
//
// The end of a ZeroMQ stream: an output sends an `eos` per camera it published, then a plain one
// (docs/records.md). A direct input ends at the first; a hub input (InputOptions::from_hub) ends
// when every camera its topic filters name has ended, and never at an eos when they name none. An
// eos with `error` that ends an input makes read() throw StreamError naming the input and the cam.
// Threading: an Input or Output is used by one thread at a time (the hub output has a thread of
// its own inside).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rvkit/core/error.hpp"
#include "rvkit/core/message.hpp"

namespace rvkit {

// A malformed stream: names the input, the message number, its byte offset and the problem.
class StreamError : public Error {
 public:
  using Error::Error;
};

struct InputOptions {
  uint64_t max_payload = kDefaultMaxPayloadBytes;
  // A hub input (set by open_input for a "hub" spec, not a user option): many publishers share the
  // hub, so one publisher's eos does not end the input; the cam rule above does.
  bool from_hub = false;
  // How errors name the input when not by its spec (a hub input: "hub?topic=X (hub at BASE)", not
  // the two endpoints it was rewritten to).
  std::string display_name;
  // A hub input's live frames (docs/protocol.md, "Live frames through the hub: the newest"): when
  // several frames of one camera are already queued for this reader, read() returns the newest and
  // skips the older ones, so a consumer slower than the camera works on fresh frames instead of on
  // frames the hub's queues held for hundreds of ms. Lossless (recorded) streams and records are
  // never skipped. False for a reader that wants every live frame it can get (rec). An shm:// input
  // asks its writer likewise (the writer then keeps a queue of up to 64 messages for it, and drops
  // the oldest past that or when readers hold every slot).
  bool newest_frames = true;
};

struct OutputOptions {
  // A recorded stream: a ZeroMQ output waits for its subscribers and never drops (no effect on byte
  // streams, which never drop).
  bool lossless = false;
  // A lossless direct ZeroMQ output: how many subscribers to wait for before the first message.
  int subscribers = 1;
};

class Input {
 public:
  virtual ~Input() = default;
  // Reads the next message into `m` (its buffers are reused). Returns false at the clean
  // end of the stream or when a stop was requested; throws StreamError on a bad stream.
  virtual bool read(Message& m) = 0;
  // Waits up to timeout_ms for a message to be readable (true) or for nothing (false).
  // Lets a tool merge several inputs or keep working while an input is quiet.
  virtual bool wait_readable(int timeout_ms) = 0;
  // Messages read so far.
  virtual uint64_t count() const = 0;
  const std::string& name() const { return name_; }

 protected:
  std::string name_;
};

class Output {
 public:
  virtual ~Output() = default;
  // Writes one message. Returns false when the reader has gone away (a closed pipe) or a
  // stop was requested before anything of the message was written: the normal end.
  virtual bool write(const Json& header, const uint8_t* payload, size_t n) = 0;
  bool write(const Message& m) { return write(m.header, m.payload.data(), m.payload.size()); }
  // For live sources: blocks until the consumer has taken everything written so far, so a
  // live source can pick its newest frame at the last moment instead of queueing old ones.
  // Returns false if a stop was requested while waiting.
  virtual bool wait_consumer_ready() { return true; }
  // Zero-copy writing: a buffer of n bytes to build the next payload in. A write() whose payload is
  // this buffer then costs no copy where the transport can avoid one (shm://: it is a frame slot);
  // elsewhere it is an ordinary buffer. Valid until the next reserve_payload() or write().
  virtual uint8_t* reserve_payload(size_t n) {
    reserved_.resize(n);
    return reserved_.data();
  }
  const std::string& name() const { return name_; }

 protected:
  std::string name_;
  Buffer reserved_;
};

std::unique_ptr<Input> open_input(const std::string& spec, const InputOptions& opts = {});
std::unique_ptr<Output> open_output(const std::string& spec, const OutputOptions& opts = {});

// True when the spec names a ZeroMQ endpoint.
bool is_zmq_endpoint(const std::string& spec);
// True when the spec names a shared-memory stream ("shm://NAME").
bool is_shm_spec(const std::string& spec);
// The ZeroMQ topic of a message: "<type>/<cam>/" or "<type>/" when it has no cam.
std::string zmq_topic(const Json& header);

// Reads messages from any byte stream (used by the fd input; exposed for tests).
// Raises the pipe buffer to `pipe_bytes` when fd is a pipe.
std::unique_ptr<Input> input_from_fd(int fd, std::string name, const InputOptions& opts = {},
                                     bool owns_fd = false);
std::unique_ptr<Output> output_to_fd(int fd, std::string name, bool owns_fd = false);

}  // namespace rvkit
