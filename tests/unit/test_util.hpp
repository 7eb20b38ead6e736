// The unit tests' one utility header: every tests/unit/test_*.cpp includes it first (it brings
// doctest). It holds what the tests of any module need, so that no test file writes it again:
// a temporary folder removed with everything in it, reading and writing whole files, the paths of
// the test data (../shared/testdata, failing clearly when that folder is missing), of tests/golden
// and of the built tools, the message of a thrown error, a bounded wait for a condition, and
// starting a program that does not outlive the test binary.
// Domain helpers build on it in their own files: synthetic_tags.hpp (images of AprilTags at
// exactly known poses), overlay_scene.hpp (the overlay test scene, its records, golden images).
// Call these from a test's own thread (they report through doctest); only the condition given to
// eventually() may be made true by other threads.
#pragma once
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>  // mkdtemp
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>  // access

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace testutil {

// A fresh folder under the temporary directory ($TMPDIR, else /tmp), removed with what it holds
// when the object goes, whether the test passed or not.
struct TempDir {
  std::string path;
  TempDir() {
    std::string name = (std::filesystem::temp_directory_path() / "rvkit-test-XXXXXX").string();
    REQUIRE_MESSAGE(::mkdtemp(name.data()) != nullptr, "cannot create a temporary folder " << name);
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;  // never throw from a destructor; a leftover folder is harmless
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The path of NAME in the folder (the file is not created).
  std::string file(const std::string& name) const { return path + "/" + name; }
  // Writes NAME with `bytes` and returns its path.
  std::string write(const std::string& name, const std::string& bytes) const;
};

// The whole file as it is; fails the test if it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `bytes` to `path`, replacing it; fails the test if it cannot.
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

inline std::string TempDir::write(const std::string& name, const std::string& bytes) const {
  std::string p = file(name);
  write_file(p, bytes);
  return p;
}

// ../shared/testdata: the repository's sibling folder of real data others published (field
// layouts, reference detections, photos, calibrations; its README.md says what and whence). The
// environment's RVKIT_TESTDATA (as the pipeline tests read it) comes first, then the build's
// RVKIT_TESTDATA_DIR (tests/CMakeLists.txt).
inline std::string testdata_dir() {
  const char* env = std::getenv("RVKIT_TESTDATA");
  return std::filesystem::path(env && *env ? env : RVKIT_TESTDATA_DIR).lexically_normal().string();
}

// A file or folder under ../shared/testdata. Missing, it fails the test, saying what is missing:
// a test that needs the data never passes (nor is skipped) without it.
inline std::string testdata(const std::string& rel) {
  const std::string dir = testdata_dir();
  if (!std::filesystem::is_directory(dir))
    FAIL("test data missing: " << dir << " does not exist; the tests need ../shared/testdata, the "
                               << "repository's sibling folder, beside the checkout (see README.md)");
  std::string p = dir + "/" + rel;
  if (!std::filesystem::exists(p)) FAIL("test data missing: " << p);
  return p;
}

// tests/golden: the expected images and records the tests compare against.
inline std::string golden_dir() { return RVKIT_GOLDEN_DIR; }
// RVKIT_UPDATE_GOLDEN=1: a golden comparison writes what it got as the new golden instead.
inline bool update_golden() {
  const char* u = std::getenv("RVKIT_UPDATE_GOLDEN");
  return u != nullptr && std::string(u) == "1";
}

// A tool of this build (build/bin/NAME); fails the test if it is not built.
inline std::string tool_path(const std::string& name) {
  std::string p = std::string(RVKIT_BIN_DIR) + "/" + name;
  if (::access(p.c_str(), X_OK) != 0) FAIL("tool not built: " << p);
  return p;
}

// The message of the exception `f` throws, "" if it throws none. With E (error_of<rvkit::Error>),
// an exception of another type is not caught: it fails the test as an unexpected exception.
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

// Polls `cond` every 5 ms until it holds, for at most `seconds`, and returns its last answer: the
// wait for what other threads or processes do, instead of a fixed sleep before a check (which a
// loaded machine outlasts).
inline bool eventually(const std::function<bool()>& cond, double seconds = 5.0) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

// Where a spawned program's standard streams go: a file opened for it, "" = this process's own.
struct SpawnIo {
  std::string in;        // opened read-only
  std::string out, err;  // created or truncated
};

// Starts argv[0] (a path, or a name looked up in PATH) with `argv` and the environment `env` ("NAME=value"
// strings; nullptr: this process's), and returns its pid for the caller to wait for or kill; fails
// the test if it cannot be run. The child gets SIGKILL when this binary ends, however it ends
// (PR_SET_PDEATHSIG): a SIGTERM, a SIGKILL from a timeout or a crash runs no destructor, and a tool
// waiting for a peer in this process (cap for its hub) would otherwise run on as an orphan. The
// signal follows the thread that forked, not the process: call this from the thread doctest runs
// the cases in, which lives as long as the binary.
inline pid_t spawn(const std::vector<std::string>& argv, const SpawnIo& io = {},
                   const std::vector<std::string>* env = nullptr) {
  REQUIRE(!argv.empty());
  // Everything the child needs is made here: after a fork of a process that may have threads,
  // only async-signal-safe calls (no allocation) until the exec.
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (size_t b = 0, e; b <= dirs.size(); b = e + 1) {
      e = dirs.find(':', b);
      if (e == std::string::npos) e = dirs.size();
      std::string candidate = (e > b ? dirs.substr(b, e - b) : std::string(".")) + "/" + argv[0];
      if (::access(candidate.c_str(), X_OK) == 0) {
        program = candidate;
        break;
      }
    }
  }
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (env) {
    for (const std::string& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char* const* child_env = env ? envp.data() : environ;
  int report[2];  // the child's errno if it cannot get to the exec; closed by a successful exec
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(report[0]);
    auto fail = [&] {
      int e = errno;
      (void)!::write(report[1], &e, sizeof e);
      ::_exit(127);
    };
    // Also when the parent ended between the fork and the prctl: nobody would send the signal.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
    if (::getppid() != parent) ::_exit(127);
    auto redirect = [&](const std::string& file, int fd, int flags) {
      if (file.empty()) return;
      int f = ::open(file.c_str(), flags, 0644);
      if (f < 0 || (f != fd && ::dup2(f, fd) < 0)) fail();
      if (f != fd) ::close(f);
    };
    redirect(io.in, STDIN_FILENO, O_RDONLY);
    redirect(io.out, STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    redirect(io.err, STDERR_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    ::execve(program.c_str(), args.data(), child_env);
    fail();
  }
  ::close(report[1]);
  if (pid < 0) ::close(report[0]);
  REQUIRE_MESSAGE(pid > 0, "cannot fork to run " << argv[0] << ": " << std::strerror(errno));
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n > 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    FAIL("cannot run " << argv[0] << ": " << std::strerror(child_errno));
  }
  return pid;
}

}  // namespace testutil
