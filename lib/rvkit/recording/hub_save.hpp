// rvkit recording: `rec save`, the ring buffers of the rec processes that a `hub run` supervises,
// saved through its control socket (docs/rec.md, "The ring buffer"; the protocol:
// rvkit/supervisor/control_server.hpp).
//
// One `save` request makes hub run send SIGUSR1 to each rec it runs (or to the one named); its reply
// names them, with how many lines each had written. Then, until every one has said where its save
// went, the client reads their new lines (`logs`, by the line count): the first "saving the ring"
// line gives its save's number, and save_notice.hpp's "saved the ring to PATH" with that number
// where it went (an earlier save that finishes meanwhile is not taken for it); and their status: a rec that ends or restarts first, or that says it has
// no ring, is an error naming it and its last line; so is no notice within `wait_s`. The paths are
// absolute (rec makes them so). Blocking, polling the socket every 100 ms; any thread.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace rvkit::recording {

struct HubSaveOptions {
  std::string control;    // the control socket ("" = hub run's default)
  std::string name;       // one process ("" = every rec)
  double timeout_s = 5;   // for each request
  double wait_s = 300;    // for the saves to be written (150 s of the demo: 30-60 s raw, 2 min as JPEG)
  bool wait = true;       // false: signal and return (the saves' paths are then not known)
};

struct HubSaved {
  std::string name;  // the process
  int pid = 0;
  std::string path;  // "" when not waited for
};

// Returns one entry per rec signalled, in the reply's order; `on_saved` is told each as it is known.
// Throws rvkit::Error with one line (no hub run, a refused request, a failed or silent save).
std::vector<HubSaved> save_through_hub(const HubSaveOptions& o,
                                       const std::function<void(const HubSaved&)>& on_saved = {});

}  // namespace rvkit::recording
