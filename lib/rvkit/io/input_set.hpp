// rvkit io: several inputs read at once, one reader thread each, merged into one queue.
//
// Each reader opens its input in its own thread (a FIFO's open blocks until a writer comes) and
// pushes every message, in the order read, onto a queue shared by all inputs. The queue is bounded:
// at most `max_frames` messages with a payload (frames) and `max_records` without; a reader that
// finds its share full waits. So a fast recorded source is slowed to the pace overlay draws at
// (backpressure, nothing dropped), and a live source upstream drops frames itself. Frame buffers
// come back through recycle() and are reused, so steady streaming allocates nothing.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rvkit/core/message.hpp"
#include "rvkit/io/transport.hpp"

namespace rvkit {

struct InputEvent {
  enum class Kind { Message, End, Error } kind = Kind::Message;
  int input = 0;          // index into the spec list
  uint64_t number = 0;    // the message's number on its input (from 1)
  Message msg;
  std::string error;      // Kind::Error: the reader's one-line problem
};

class InputSet {
 public:
  InputSet(std::vector<std::string> specs, InputOptions opts, size_t max_frames = 4, size_t max_records = 256);
  // Closes the queue and waits up to a second for the readers, which end within ~200 ms of a
  // request_stop() (rvkit/core/signals.hpp) when blocked in a read. A reader still stuck after that (in
  // the open() of a FIFO nobody writes to) is left to the end of the process.
  ~InputSet();
  InputSet(const InputSet&) = delete;
  InputSet& operator=(const InputSet&) = delete;

  void start();
  // Waits up to timeout_ms for the next event.
  bool pop(InputEvent& ev, int timeout_ms);
  // Gives a frame's buffers back for the readers to reuse.
  void recycle(Message&& m);
  const std::string& spec(int i) const { return specs_[size_t(i)]; }
  size_t size() const { return specs_.size(); }

 private:
  struct Shared;
  std::vector<std::string> specs_;
  InputOptions opts_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace rvkit
