// Small helpers shared by the vision unit tests.
#pragma once
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace vtest {

// ../shared/testdata; a missing folder fails the test loudly (never a silent skip).
inline std::string testdata(const std::string& rel) {
  std::string p = std::string(RVKIT_TESTDATA_DIR) + "/" + rel;
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) FAIL("test data missing: " << p << " (../shared/testdata must be beside the checkout)");
  return p;
}

// A file in a fresh temporary directory holding `text`; removed with the object.
struct TempFile {
  std::string path;
  TempFile(const std::string& name, const std::string& text) {
    char dir[] = "/tmp/rvkit-vision-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    path = std::string(dir) + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() {
    ::unlink(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
  }
};

// The message of the rvkit::Error (or other exception) `f` throws, "" if none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace vtest
