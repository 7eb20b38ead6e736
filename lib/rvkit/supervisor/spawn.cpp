#include "rvkit/supervisor/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace rvkit::supervisor {

namespace {

// What the child reports through the status pipe when it cannot exec.
enum class Stage : int { Parent, ProcessGroup, Chdir, Affinity, Nice, Exec };
struct ChildFailure {
  Stage stage;
  int error;
};

// An owned descriptor, closed when it goes.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset(int f = -1) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// Moves `fd` to a number >= 10, close-on-exec, so the child's dup2() onto 0..3 can never overwrite
// one of the descriptors it still needs.
int above_std(int fd) {
  if (fd < 0) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

// A supervisor started with stdin, stdout or stderr closed would hand those numbers to its own
// pipes; /dev/null keeps 0..2 taken.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = ::open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        ::dup2(n, fd);
        ::close(n);
      }
    }
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

std::string failure_text(const SpawnRequest& r, const ChildFailure& f) {
  const char* why = std::strerror(f.error);
  switch (f.stage) {
    case Stage::Parent: return "the supervisor ended while it started";
    case Stage::ProcessGroup: return fmt::format("cannot create a process group: {}", why);
    case Stage::Chdir: return fmt::format("cannot change to directory '{}': {}", r.cwd, why);
    case Stage::Affinity: return fmt::format("cannot set CPU affinity to {}: {}", cpu_list(r.cpus), why);
    case Stage::Nice: return fmt::format("cannot set nice to {}: {}", r.nice.value_or(0), why);
    case Stage::Exec: return fmt::format("cannot run '{}': {}", r.argv.empty() ? r.program : r.argv[0], why);
  }
  return "cannot start";
}

// The child, between fork and exec: system calls only.
[[noreturn]] void child_main(const SpawnRequest& r, char* const* argv, char* const* envp, const cpu_set_t* cpus,
                             int dev_null, int out_w, int report_fd, int status_w) {
  auto fail = [status_w](Stage stage, int error) {
    ChildFailure f{stage, error};
    ssize_t ignored = ::write(status_w, &f, sizeof f);
    (void)ignored;
    ::_exit(127);
  };
  if (::setpgid(0, 0) != 0) fail(Stage::ProcessGroup, errno);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != r.supervisor_pid) fail(Stage::Parent, 0);  // it died before the prctl took hold

  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // SIGPIPE was ignored, say
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  ::dup2(dev_null, 0);
  ::dup2(out_w, 1);
  ::dup2(out_w, 2);
  int first_closed = 3;
  if (report_fd >= 0) {
    ::dup2(report_fd, 3);
    first_closed = 4;
  }
  // Everything else closes at exec (close-on-exec rather than closed now, so status_w lives until
  // exec succeeds and its closing tells the parent so).
  if (::close_range(first_closed, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    struct rlimit rl;
    long max = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? long(rl.rlim_cur) : 65536;
    for (long fd = first_closed; fd < max && fd < 65536; ++fd)
      if (fd != status_w) ::close(int(fd));
  }

  if (!r.cwd.empty() && ::chdir(r.cwd.c_str()) != 0) fail(Stage::Chdir, errno);
  if (cpus && ::sched_setaffinity(0, sizeof *cpus, cpus) != 0) fail(Stage::Affinity, errno);
  if (r.nice && ::setpriority(PRIO_PROCESS, 0, *r.nice) != 0) fail(Stage::Nice, errno);
  ::execve(r.program.c_str(), argv, envp);
  fail(Stage::Exec, errno);
  ::_exit(127);  // not reached
}

}  // namespace

Spawned spawn_process(const SpawnRequest& r) {
  Spawned result;
  ensure_standard_fds();
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    result.error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    return result;
  }
  Fd out_r(above_std(p[0])), out_w(above_std(p[1]));
  if (::pipe2(p, O_CLOEXEC) != 0) {
    result.error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    return result;
  }
  Fd status_r(above_std(p[0])), status_w(above_std(p[1]));
  Fd dev_null(above_std(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  Fd report(r.report_fd >= 0 ? ::fcntl(r.report_fd, F_DUPFD_CLOEXEC, 10) : -1);
  if (out_r.fd < 0 || out_w.fd < 0 || status_r.fd < 0 || status_w.fd < 0 || dev_null.fd < 0 ||
      (r.report_fd >= 0 && report.fd < 0)) {
    result.error = fmt::format("cannot prepare descriptors: {}", std::strerror(errno));
    return result;
  }

  std::vector<char*> argv, envp;
  for (auto& a : r.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : r.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c : r.cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &cpus);

  pid_t pid = ::fork();
  if (pid < 0) {
    result.error = fmt::format("cannot fork: {}", std::strerror(errno));
    return result;
  }
  if (pid == 0)
    child_main(r, argv.data(), envp.data(), r.cpus.empty() ? nullptr : &cpus, dev_null.fd, out_w.fd, report.fd,
               status_w.fd);

  ::setpgid(pid, pid);  // also here, so the group exists whichever runs first (EACCES after exec: fine)
  out_w.reset();
  status_w.reset();
  ChildFailure failure{};
  ssize_t n;
  do n = ::read(status_r.fd, &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  if (n == ssize_t(sizeof failure)) {
    int ignored;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    result.error = failure_text(r, failure);
    return result;
  }
  ::fcntl(out_r.fd, F_SETFL, ::fcntl(out_r.fd, F_GETFL) | O_NONBLOCK);
  result.pid = pid;
  result.output_fd = out_r.release();
  return result;
}

std::optional<std::string> find_program(const std::string& name, const std::string& beside_dir,
                                        const std::string& path) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return name;
  auto runnable = [](const std::string& file) {
    struct stat st;
    return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0;
  };
  if (!beside_dir.empty() && runnable(beside_dir + "/" + name)) return beside_dir + "/" + name;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string file = (dir.empty() ? "." : dir) + "/" + name;
    if (runnable(file)) return file;
    start = end + 1;
  }
  return std::nullopt;
}

std::string own_binary_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, size_t(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::vector<std::string> make_environment(const std::vector<std::string>& remove,
                                          const std::vector<std::string>& set) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  auto listed = [&](const std::vector<std::string>& names, const std::string& name) {
    for (auto& n : names)
      if (name_of(n) == name) return true;
    return false;
  };
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = name_of(entry);
    if (!listed(remove, name) && !listed(set, name)) env.push_back(entry);
  }
  // Later entries of `set` win over earlier ones of the same name.
  for (size_t i = 0; i < set.size(); ++i) {
    bool overridden = false;
    for (size_t j = i + 1; j < set.size(); ++j) overridden = overridden || name_of(set[j]) == name_of(set[i]);
    if (!overridden) env.push_back(set[i]);
  }
  return env;
}

}  // namespace rvkit::supervisor
