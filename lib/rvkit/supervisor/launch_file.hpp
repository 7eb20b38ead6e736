// rvkit supervisor: the launch file (docs/launch.md), what `hub run FILE` starts and how it watches it.
//
// A launch file is TOML (read with toml++). read_launch_file() checks all of it before anything is
// started: syntax, unknown keys, wrong types, a process without a command, two processes of one name,
// `after` naming no process, a dependency cycle, a `${var}` that is not defined. A problem is one
// LaunchFileError whose message is "FILE:LINE: KEY: problem" (KEY dotted, e.g. process[2].restart);
// `hub run` prints it and exits 2. The result is plain data: no process is started here.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rvkit/core/error.hpp"

namespace rvkit::supervisor {

class LaunchFileError : public Error {
 public:
  using Error::Error;
};

enum class RestartPolicy { Always, OnFailure, Never };
const char* to_string(RestartPolicy p);

// The delay before restart n (0-based) is min(first_s * factor^n, max_s); it starts again from
// first_s once the process has stayed up reset_after_s.
struct Backoff {
  double first_s = 0.1;
  double factor = 2.0;
  double max_s = 5.0;
  double reset_after_s = 10.0;
};

// More than `restarts` restarts within `window_s` marks the process failed (it stays stopped, the
// others keep running, and `hub run` exits non-zero at the end).
struct RestartLimit {
  int restarts = 10;
  double window_s = 60.0;
};

// When a process counts as ready, for the processes that list it in `after`.
struct Readiness {
  enum class Kind { Started, Topic, Port, Notify };
  Kind kind = Kind::Started;
  std::string topic;               // Topic: a message whose topic starts with this has reached the hub
  std::string host = "127.0.0.1";  // Port: a TCP connect to host:port succeeds
  int port = 0;
  double timeout_s = 30.0;         // not ready by then: the waiting processes start anyway, with a warning
};

// Restart the process when no message on `topic` (a prefix) has reached the hub for `seconds`.
struct Stall {
  std::string topic;
  double seconds = 0;
};

struct ProcessSpec {
  std::string name;
  std::vector<std::string> cmd;  // argv; cmd[0] is looked up beside the hub binary, then in PATH
  std::string sh;                // or a shell command line (/bin/sh -c), run as one process group
  std::map<std::string, std::string> env;  // added to the hub's environment
  std::string cwd;                         // "" = the hub's working directory
  RestartPolicy restart = RestartPolicy::Always;
  Backoff backoff;
  RestartLimit limit;
  std::vector<std::string> after;  // names of processes that must be ready first (and stop after it)
  Readiness ready;
  std::vector<Stall> stalls;
  std::vector<std::string> topics;  // hub topics it publishes (status shows the age of the newest)
  std::vector<int> cpus;            // CPU affinity; empty = any
  std::optional<int> nice;
  bool notify = false;            // speaks sd_notify: NOTIFY_SOCKET set, READY=1 and WATCHDOG=1 honoured
  double watchdog_s = 0;          // with notify: restart when WATCHDOG=1 is this late (0 = off)
  double stop_timeout_s = 3.0;    // SIGINT, then SIGTERM after this, then SIGKILL after this again
  int line = 0;                   // where its table starts in the file, for messages
};

// The [hub] table: the message hub `hub run` starts first (see hub serve --help).
struct HubSettings {
  bool enabled = true;            // false: no hub (the processes talk over pipes or their own sockets)
  std::vector<std::string> args;  // extra `hub serve` arguments, e.g. ["--bind", "0.0.0.0"]
  std::optional<int> http_port;   // the status page (hub run --http overrides)
  std::string control;            // the control socket's path; "" = the default (docs/launch.md)
  int log_lines = 200;            // lines kept per process for `hub logs`
};

struct LaunchFile {
  std::string path;
  HubSettings hub;
  std::vector<ProcessSpec> processes;  // in file order
};

// `vars` override the file's [vars] table (hub run --set NAME=VALUE); ${NAME} in any string of
// cmd, sh, env, cwd and hub.args is replaced; $$ is a literal '$'.
LaunchFile read_launch_file(const std::string& path, const std::map<std::string, std::string>& vars = {});
LaunchFile parse_launch_file(std::string_view text, const std::string& name,
                             const std::map<std::string, std::string>& vars = {});

// Indices into processes in an order where each comes after everything in its `after` (file order
// otherwise). Stopping goes in the reverse order.
std::vector<size_t> start_order(const LaunchFile& f);

}  // namespace rvkit::supervisor
