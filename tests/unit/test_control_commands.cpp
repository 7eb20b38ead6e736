// The hub tool's control clients (`hub status [--json]`, `hub restart`, `hub stop`, `hub logs`) as a
// user runs them, against a control server with a fake supervisor behind it, served by a loop in
// this test: what they print, their exit status, and their one-line errors.
// What only the end-to-end test of `hub run` can check: these commands against a real supervisor
// (a restart that really restarts, `hub stop` ending hub run).
#include "test_util.hpp"

#include "control_test_loop.hpp"
#include "rvkit/supervisor/control_server.hpp"

using namespace rvkit;
using namespace rvkit::supervisor;
using controltest::FakeControl;
using controltest::Run;
using controltest::run_while_serving;

namespace {

struct Hub {
  testutil::TempDir dir;
  FakeControl control;
  ControlServer server{dir.file("hub.sock")};
  // `hub ARGS... --control SOCKET`
  Run run(std::vector<std::string> args) {
    args.insert(args.begin(), testutil::tool_path("hub"));
    args.push_back("--control");
    args.push_back(server.path());
    return run_while_serving(server, control, args);
  }
};

}  // namespace

TEST_CASE("hub status: the table, and --json the processes as the hub run sent them") {
  Hub hub;
  Run r = hub.run({"status"});
  CHECK(r.status == 0);
  CHECK(r.err == "");
  CHECK(r.out == status_table(hub.control.processes));
  CHECK(r.out.rfind("NAME          STATE    PID  UPTIME", 0) == 0);

  r = hub.run({"status", "--json"});
  CHECK(r.status == 0);
  Json want = Json::array();
  for (const auto& p : hub.control.processes) want.push_back(to_json(p));
  CHECK(Json::parse(r.out) == want);
}

TEST_CASE("hub restart, stop and logs: what the supervisor is asked, what is printed") {
  Hub hub;
  Run r = hub.run({"restart", "ntpub"});
  CHECK(r.status == 0);
  CHECK(r.out == "");
  r = hub.run({"stop", "ntpub"});
  CHECK(r.status == 0);
  r = hub.run({"stop"});
  CHECK(r.status == 0);
  r = hub.run({"logs", "detect-front", "-n", "2"});
  CHECK(r.status == 0);
  CHECK(r.out == "line 2\nline 3\n");
  r = hub.run({"logs", "detect-front"});
  CHECK(r.out == "line 1\nline 2\nline 3\n");
  CHECK(hub.control.calls ==
        std::vector<std::string>{"restart ntpub", "stop ntpub", "stop ", "logs detect-front 2", "logs detect-front 0"});
}

TEST_CASE("hub restart, stop, logs: an unknown name is one line and exit 1") {
  Hub hub;
  for (std::vector<std::string> args : {std::vector<std::string>{"restart", "nope"}, {"stop", "nope"}, {"logs", "nope"}}) {
    Run r = hub.run(args);
    CHECK(r.status == 1);
    CHECK(r.out == "");
    CHECK(r.err == "hub: no process named 'nope'\n");
  }
  Run r = hub.run({"restart"});  // NAME is required: a bad command line
  CHECK(r.status == 2);
}

TEST_CASE("hub status: no hub run listening is one line and exit 1, and the default path is used") {
  Hub hub;
  std::string none = hub.dir.file("none.sock");
  Run r = run_while_serving(hub.server, hub.control, {testutil::tool_path("hub"), "status", "--control", none});
  CHECK(r.status == 1);
  CHECK(r.err == "hub: no hub run is listening on " + none + "\n");

  testutil::TempDir runtime;
  controltest::ScopedEnv xdg("XDG_RUNTIME_DIR", runtime.path);
  r = run_while_serving(hub.server, hub.control, {testutil::tool_path("hub"), "status"});
  CHECK(r.status == 1);
  CHECK(r.err == "hub: no hub run is listening on " + runtime.path + "/rvkit/hub.sock\n");
  ControlServer at_default;
  FakeControl c;
  r = run_while_serving(at_default, c, {testutil::tool_path("hub"), "status", "--json"});
  CHECK(r.status == 0);
  CHECK(Json::parse(r.out).size() == 2);
}
