// The unit tests' one utility header: every tests/unit/test_*.cpp includes it first (it brings
// doctest). It holds what the tests of any module need, so that no test file writes it again:
// a temporary folder removed with everything in it, reading and writing whole files, the paths of
// the test data (../shared/testdata, failing clearly when that folder is missing), of tests/golden
// and of the built tools, the message of a thrown error, and a bounded wait for a condition.
// Domain helpers build on it in their own files: synthetic_tags.hpp (images of AprilTags at
// exactly known poses), overlay_scene.hpp (the overlay test scene, its records, golden images).
// Call these from a test's own thread (they report through doctest); only the condition given to
// eventually() may be made true by other threads.
#pragma once
#include <doctest/doctest.h>

#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // access

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>

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
// layouts, reference detections, photos, calibrations; its README.md says what and whence).
inline std::string testdata_dir() { return std::filesystem::path(RVKIT_TESTDATA_DIR).lexically_normal().string(); }

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

}  // namespace testutil
