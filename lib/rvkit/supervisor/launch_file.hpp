// rvkit supervisor: the launch file (docs/launch.md), what `hub run FILE` starts and how it watches it.
//
// A launch file is TOML (read with toml++, which only launch_file.cpp includes). read_launch_file()
// checks all of it before anything is started: syntax, unknown keys (with the nearest right one
// suggested), wrong types, a process without a command or with both cmd and sh, a bad or repeated
// name, `after` naming no process, a dependency cycle, a `${var}` that is not defined, values out of
// range (restart, durations, cpus beyond this machine's CPUs, nice). The first problem found is one
// LaunchFileError whose message is "FILE:LINE: KEY: problem" (KEY dotted, process indices 0-based as
// in the file, e.g. "robot.toml:12: process[2].restart: ..."); `hub run` prints it and exits 2.
// [defaults] holds process keys applied to every process before its own (tables such as backoff and
// env merge key by key). The result is plain data: nothing is started, no thread, no global state.
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
  bool enabled = true;           // false (or a ${var} that is "false"): checked, then left out
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

// What `hub run` passes besides the file.
struct LaunchOptions {
  // hub run --set NAME=VALUE: replaces [vars].NAME (a NAME the file does not define is an error,
  // so that a misspelt --set is not silently ignored).
  std::map<std::string, std::string> vars;
  int cpu_count = 0;  // the CPUs `cpus` may name (0..cpu_count-1); 0 = this machine's count
};

// ${NAME} in any string value (of [hub], [defaults] and every process; not in [vars] itself) is
// replaced by the variable before the value is checked; $$ is a literal '$' (so a shell's own ${X}
// is written $${X} in sh); any other '$' stays as it is.
// read_launch_file() reads the file (LaunchFileError "FILE: cannot read: ..." if it cannot);
// parse_launch_file() parses `text`, using `name` as FILE in messages. The map forms are LaunchOptions
// with this machine's CPUs (a braced list as the second argument is ambiguous: name its type).
LaunchFile read_launch_file(const std::string& path, const LaunchOptions& options);
LaunchFile parse_launch_file(std::string_view text, const std::string& name, const LaunchOptions& options);
inline LaunchFile read_launch_file(const std::string& path, const std::map<std::string, std::string>& vars = {}) {
  return read_launch_file(path, LaunchOptions{vars, 0});
}
inline LaunchFile parse_launch_file(std::string_view text, const std::string& name,
                                    const std::map<std::string, std::string>& vars = {}) {
  return parse_launch_file(text, name, LaunchOptions{vars, 0});
}

// Adds one `--set NAME=VALUE` argument to `vars` (a later one for the same NAME wins); a malformed
// one throws LaunchFileError "--set ARG: expected NAME=VALUE".
void add_set_option(std::map<std::string, std::string>& vars, std::string_view arg);

// Indices into processes in an order where each comes after everything in its `after` (file order
// otherwise: among the processes whose `after` are all placed, the first in the file goes next).
// Stopping goes in the reverse order. A cycle (only possible in a LaunchFile not made by
// parse_launch_file) throws LaunchFileError.
std::vector<size_t> start_order(const LaunchFile& f);

// The program a process's pid is: the file name of cmd[0] (cmd = ["/usr/bin/rec", ...] -> "rec"), or
// of the command after a leading `exec` in sh (sh = "exec rec --ring 150s ..." -> "rec"); "" for
// any other sh line (the pid is the shell's). A signal meant for the program goes to this pid only.
std::string launched_program(const ProcessSpec& p);

}  // namespace rvkit::supervisor
