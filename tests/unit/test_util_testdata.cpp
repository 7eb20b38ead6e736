// testutil::testdata_dir(): RVKIT_TESTDATA from the environment first (as the pipeline tests read
// it), else the build's RVKIT_TESTDATA_DIR (tests/CMakeLists.txt, default ../shared/testdata).
#include "test_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

TEST_CASE("testutil::testdata_dir: RVKIT_TESTDATA from the environment, else the build's folder") {
  const char* was = std::getenv("RVKIT_TESTDATA");
  const std::optional<std::string> saved = was ? std::optional<std::string>(was) : std::nullopt;
  const std::string built = std::filesystem::path(RVKIT_TESTDATA_DIR).lexically_normal().string();

  testutil::TempDir dir;
  ::setenv("RVKIT_TESTDATA", dir.path.c_str(), 1);
  CHECK(testutil::testdata_dir() == std::filesystem::path(dir.path).lexically_normal().string());
  ::setenv("RVKIT_TESTDATA", "", 1);  // empty: as if unset
  CHECK(testutil::testdata_dir() == built);
  ::unsetenv("RVKIT_TESTDATA");
  CHECK(testutil::testdata_dir() == built);

  if (saved) ::setenv("RVKIT_TESTDATA", saved->c_str(), 1);
}
