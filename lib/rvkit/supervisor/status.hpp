// rvkit supervisor: what `hub status` shows and what the control socket can ask of a running
// `hub run` (docs/launch.md, "Control").
//
// The supervisor's event loop implements Control; the control socket server (control_server.hpp)
// and the status page call it from that same loop, so nothing here needs locking.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"

namespace rvkit::supervisor {

enum class ProcessState { Waiting, Starting, Running, Ready, Backoff, Stopping, Stopped, Failed };
const char* to_string(ProcessState s);

struct ProcessStatus {
  std::string name;
  ProcessState state = ProcessState::Waiting;
  int pid = 0;                       // 0 when not running
  double uptime_s = 0;               // since the current start
  int restarts = 0;
  std::string last_exit;             // "exit 1", "signal 9 (SIGKILL)", "" if it never ended
  std::string reason;                // why it was last restarted or failed ("stalled: no detections/front/ for 2 s")
  double cpu_percent = 0;            // of one core, over the last second, the whole process group
  uint64_t rss_bytes = 0;            // the whole process group
  std::optional<double> last_message_age_s;  // newest message on its topics (stall or topics keys)
};

Json to_json(const ProcessStatus& s);
ProcessStatus process_status_from_json(const Json& j);

class Control {
 public:
  virtual ~Control() = default;
  virtual std::vector<ProcessStatus> status() = 0;
  // Each returns "" on success or a one-line error ("no process named 'x'").
  virtual std::string restart(const std::string& name) = 0;
  virtual std::string stop(const std::string& name) = 0;  // "" name: stop everything and exit
  virtual std::vector<std::string> logs(const std::string& name, size_t lines, std::string& error) = 0;
};

}  // namespace rvkit::supervisor
