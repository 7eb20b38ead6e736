// rvkit supervisor: how the control socket and the status page join the supervisor's event loop.
//
// `hub run` is one thread and one poll() (HELPER-11 item 5). Anything else that must wait on
// descriptors inside it (the control socket server, its client connections, the HTTP status
// page) is a PollSource: before every poll() the loop asks it for the descriptors it wants and the
// events it waits for (add_fds appends them), and after poll() hands back exactly those entries,
// with revents filled in, together with the Control the requests act on (status.hpp). A source
// must never block: its descriptors are non-blocking, and a request it cannot finish now waits
// for the next round. wake_at_us() lets it ask for a round at a monotonic time (a client's
// timeout, say) even if none of its descriptors becomes ready.
//
// FdPollSource adapts the simplest shape of such a server, a class with `int fd()` (one
// descriptor, read events) and `void on_readable(Control&)`, so a server needs no knowledge of
// this interface.
//
// Single-threaded: called from the supervisor's event loop only.
#pragma once
#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

class PollSource {
 public:
  virtual ~PollSource() = default;
  // Appends the descriptors to wait on now (fd, events).
  virtual void add_fds(std::vector<pollfd>& fds) = 0;
  // The entries add_fds appended, in the same order, after poll() filled in revents.
  virtual void on_poll(const pollfd* fds, size_t count, Control& control) = 0;
  // A monotonic time (rvkit/core/clock.hpp: mono_us) by which the loop should come round again;
  // 0 for none.
  virtual int64_t wake_at_us() { return 0; }
};

template <class Server>
class FdPollSource : public PollSource {
 public:
  explicit FdPollSource(Server& server) : server_(server) {}
  void add_fds(std::vector<pollfd>& fds) override {
    if (server_.fd() >= 0) fds.push_back(pollfd{server_.fd(), POLLIN, 0});
  }
  void on_poll(const pollfd* fds, size_t count, Control& control) override {
    if (count > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) server_.on_readable(control);
  }

 private:
  Server& server_;
};

}  // namespace rvkit::supervisor
