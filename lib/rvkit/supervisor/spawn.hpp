// rvkit supervisor: starting one child process the way `hub run` needs it (docs/launch.md).
//
// spawn_process() forks and, in the child, before exec: puts it in a process group of its own
// (setpgid), asks for SIGKILL when the supervisor dies (PR_SET_PDEATHSIG) and then checks that the
// supervisor is still its parent (the death may have happened before the prctl: the race the check
// closes), restores default signal dispositions and an empty mask, gives it /dev/null as stdin and
// ONE pipe as stdout and stderr (so its lines keep their order), the hub's report pipe as fd 3 when
// asked, closes every other descriptor, changes directory, applies CPU affinity and nice, and
// execs. It returns once the child has exec'd or failed to: a failure (a missing program, a bad
// cwd, an affinity the machine cannot give) comes back as one line, "cannot run 'detectt': No such
// file or directory", and the failed child is already reaped.
//
// Everything the child needs is prepared before fork(); between fork and exec it makes only
// system calls (async-signal-safe), so it is safe even in a process that has threads, although
// `hub run` has none (the supervisor never starts one; HELPER-11 item 5).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rvkit::supervisor {

struct SpawnRequest {
  std::string program;            // what execve() runs: a path (find_program() resolves names)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // the whole environment, "NAME=VALUE"
  std::string cwd;                // "" = the supervisor's working directory
  std::vector<int> cpus;          // affinity; empty = inherited
  std::optional<int> nice;
  int report_fd = -1;             // >= 0: becomes the child's fd 3 (the hub's --report-fd 3)
  pid_t supervisor_pid = 0;       // the parent the child checks for after PR_SET_PDEATHSIG
};

struct Spawned {
  pid_t pid = 0;       // > 0 on success; also the child's process group id
  int output_fd = -1;  // the read end of the child's stdout+stderr pipe (non-blocking, close-on-exec)
  std::string error;   // non-empty when it could not be started; then pid is 0 and output_fd -1
};

Spawned spawn_process(const SpawnRequest& request);

// Where `name` runs from: a name with a '/' as it is; otherwise `beside_dir`/name if executable
// (the hub's own folder, so build/bin's tools win over installed ones), else the first match in
// the ':'-separated `path`. nullopt when nothing is found.
std::optional<std::string> find_program(const std::string& name, const std::string& beside_dir,
                                        const std::string& path);
// The folder of the running binary (from /proc/self/exe), "" if unknown.
std::string own_binary_dir();

// The environment to start children from: this process's, with `remove` names taken out and
// `set` entries ("NAME=VALUE") replacing or adding, in that order.
std::vector<std::string> make_environment(const std::vector<std::string>& remove,
                                          const std::vector<std::string>& set);

}  // namespace rvkit::supervisor
