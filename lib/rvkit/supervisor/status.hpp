// rvkit supervisor: what `hub status` shows and what the control socket can ask of a running
// `hub run` (docs/launch.md, "Control").
//
// The supervisor's event loop implements Control; the control socket server (control_server.hpp)
// and the status page (status_page.hpp) call it from that same loop, so nothing here needs locking.
// ProcessStatus travels as JSON (the control socket's status reply, the page's /status.json):
// to_json() and process_status_from_json() are the one place its field names are written, and
// status_table() is the one rendering of it for a person (`hub status`).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"

namespace rvkit::supervisor {

// Waiting: for the processes in its `after` to be ready. Starting: forked, not yet ready (readiness
// "notify", a topic or a port). Running: started, ready = "started" has nothing more to wait for.
// Ready: its readiness was seen. Backoff: ended, waiting out the delay before its restart.
// Stopping: signalled, not yet reaped. Stopped: ended and not restarted (restart policy, hub stop).
// Failed: ended more often than its restart limit allows; stays down.
enum class ProcessState { Waiting, Starting, Running, Ready, Backoff, Stopping, Stopped, Failed };
const char* to_string(ProcessState s);  // "waiting", "starting", ... (lower case, as in JSON)
// The inverse of to_string; nullopt for anything else.
std::optional<ProcessState> process_state_from_string(const std::string& s);

// One process of the launch file as the supervisor sees it now. JSON keys are the member names
// (last_message_age_s is null when the process has no topics to watch or none was seen yet).
struct ProcessStatus {
  std::string name;
  ProcessState state = ProcessState::Waiting;
  int pid = 0;                       // 0 when not running
  double uptime_s = 0;               // since the current start (0 when not running)
  int restarts = 0;
  std::string last_exit;             // "exit 1", "signal 9 (SIGKILL)", "" if it never ended
  std::string reason;                // why it was last restarted or failed ("stalled: no detections/front/ for 2 s")
  double cpu_percent = 0;            // of one core, over the last second, the whole process group (proc_stats.hpp)
  uint64_t rss_bytes = 0;            // the whole process group
  std::optional<double> last_message_age_s;  // newest message on its topics (stall or topics keys)
};

Json to_json(const ProcessStatus& s);
// Throws rvkit::Error naming the field when `j` is not an object with the fields of to_json()
// (unknown fields are ignored, so a newer hub's extra fields do not break an older client).
ProcessStatus process_status_from_json(const Json& j);

// The `hub status` table: a header line, then one line per process (name, state, pid, uptime,
// restarts, last exit, CPU %, RSS, age of the last message, and the reason when there is one).
// Columns are as wide as their widest cell; "-" marks a value that does not apply.
std::string status_table(const std::vector<ProcessStatus>& processes);
// The table's cells, for anyone else who shows a duration or a size to a person:
std::string format_duration(double seconds);  // "0.4s", "12s", "3m05s", "2h07m", "3d04h"
std::string format_bytes(uint64_t bytes);      // "812K", "45.3M", "1.2G" (binary units)

// A process that a `save` request signalled: its name, its pid, and how many lines it had written
// until then (Control::log_total), so that a client can find the line the save makes
// (rvkit/recording/hub_save.hpp reads `rec`'s "saved the ring to PATH").
struct SaveSignal {
  std::string name;
  int pid = 0;
  uint64_t log_total = 0;
};

class Control {
 public:
  virtual ~Control() = default;
  virtual std::vector<ProcessStatus> status() = 0;
  // Each returns "" on success or a one-line error ("no process named 'x'").
  virtual std::string restart(const std::string& name) = 0;
  // "" name: stop everything and exit. The reply to the request is still written: the supervisor
  // keeps polling the control server (ControlServer::on_ready) while its processes stop.
  virtual std::string stop(const std::string& name) = 0;
  // The last `lines` lines the process wrote, oldest first (0: all that are kept, [hub].log_lines).
  virtual std::vector<std::string> logs(const std::string& name, size_t lines, std::string& error) = 0;
  // The lines the process has written since hub run started (across its restarts), kept or not; 0
  // for an unknown name.
  virtual uint64_t log_total(const std::string& name) = 0;
  // `rec save`: SIGUSR1 (save the ring buffer) to the named process, or with "" to every running
  // process whose launch entry runs rec itself (launched_program(), launch_file.hpp); the process
  // alone, not its group. `error` is set, and nothing signalled, for an unknown name, a process that
  // does not run rec itself or is not running, no rec running at all, or a rec that does not catch
  // SIGUSR1 yet (just started: the signal would end it).
  virtual std::vector<SaveSignal> save(const std::string& name, std::string& error) = 0;
};

}  // namespace rvkit::supervisor
