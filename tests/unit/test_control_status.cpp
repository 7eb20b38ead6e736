// ProcessStatus as the control socket and the status page send it (to_json and back), and as
// `hub status` prints it (the table and its cells).
#include "test_util.hpp"

#include "rvkit/core/error.hpp"
#include "rvkit/supervisor/status.hpp"

using namespace rvkit;
using namespace rvkit::supervisor;
using testutil::error_of;

namespace {

ProcessStatus sample() {
  ProcessStatus s;
  s.name = "detect-front";
  s.state = ProcessState::Backoff;
  s.pid = 0;
  s.uptime_s = 0;
  s.restarts = 3;
  s.last_exit = "signal 9 (SIGKILL)";
  s.reason = "stalled: no detections/front/ for 2 s";
  s.cpu_percent = 12.5;
  s.rss_bytes = 123456789;
  s.last_message_age_s = 2.25;
  return s;
}

}  // namespace

TEST_CASE("status: every state has a name that reads back") {
  for (ProcessState s : {ProcessState::Waiting, ProcessState::Starting, ProcessState::Running, ProcessState::Ready,
                         ProcessState::Backoff, ProcessState::Stopping, ProcessState::Stopped, ProcessState::Failed})
    CHECK(process_state_from_string(to_string(s)) == s);
  CHECK(std::string(to_string(ProcessState::Backoff)) == "backoff");
  CHECK(!process_state_from_string("Running"));
  CHECK(!process_state_from_string(""));
}

TEST_CASE("status: ProcessStatus to JSON and back") {
  ProcessStatus s = sample();
  Json j = to_json(s);
  CHECK(j.dump() ==
        R"j({"name":"detect-front","state":"backoff","pid":0,"uptime_s":0.0,"restarts":3,"last_exit":"signal 9 (SIGKILL)",)j"
        R"j("reason":"stalled: no detections/front/ for 2 s","cpu_percent":12.5,"rss_bytes":123456789,"last_message_age_s":2.25})j");
  ProcessStatus back = process_status_from_json(Json::parse(j.dump()));
  CHECK(back.name == s.name);
  CHECK(back.state == s.state);
  CHECK(back.restarts == 3);
  CHECK(back.last_exit == s.last_exit);
  CHECK(back.reason == s.reason);
  CHECK(back.cpu_percent == 12.5);
  CHECK(back.rss_bytes == 123456789u);
  REQUIRE(back.last_message_age_s);
  CHECK(*back.last_message_age_s == 2.25);

  s.last_message_age_s.reset();
  j = to_json(s);
  CHECK(j["last_message_age_s"].is_null());
  CHECK(!process_status_from_json(j).last_message_age_s);
  j.erase("last_message_age_s");  // an older hub may not send it
  CHECK(!process_status_from_json(j).last_message_age_s);
  j["from_a_newer_hub"] = 1;      // unknown fields are ignored
  CHECK(process_status_from_json(j).name == "detect-front");
}

TEST_CASE("status: a malformed status object names its field") {
  Json j = to_json(sample());
  auto err = [](Json x) { return error_of<Error>([&] { process_status_from_json(x); }); };
  CHECK(err(Json::array()) == "process status: not a JSON object");
  Json k = j;
  k.erase("name");
  CHECK(err(k) == "process status: no field 'name'");
  k = j;
  k["state"] = "asleep";
  CHECK(err(k) == "process status: 'state' is 'asleep', not a known state");
  k = j;
  k["pid"] = "12";
  CHECK(err(k) == "process status: 'pid' is not an integer");
  k = j;
  k["rss_bytes"] = -5;
  CHECK(err(k) == "process status: 'rss_bytes' is not a byte count");
  k = j;
  k["last_message_age_s"] = "soon";
  CHECK(err(k) == "process status: 'last_message_age_s' is not a number or null");
}

TEST_CASE("status: durations and sizes as a person reads them") {
  CHECK(format_duration(0) == "0.0s");
  CHECK(format_duration(0.44) == "0.4s");
  CHECK(format_duration(9.94) == "9.9s");
  CHECK(format_duration(12.7) == "12s");
  CHECK(format_duration(185) == "3m05s");
  CHECK(format_duration(2 * 3600 + 7 * 60 + 59) == "2h07m");
  CHECK(format_duration(3 * 86400 + 4 * 3600) == "3d04h");
  CHECK(format_duration(-1) == "-");
  CHECK(format_bytes(0) == "0B");
  CHECK(format_bytes(1023) == "1023B");
  CHECK(format_bytes(812 * 1024) == "812K");
  CHECK(format_bytes(uint64_t(45.3 * 1024 * 1024)) == "45.3M");
  CHECK(format_bytes(uint64_t(1.25 * 1024 * 1024 * 1024)) == "1.2G");
}

TEST_CASE("status: the hub status table") {
  ProcessStatus a;
  a.name = "detect-front";
  a.state = ProcessState::Ready;
  a.pid = 4242;
  a.uptime_s = 75.5;
  a.restarts = 2;
  a.last_exit = "signal 9 (SIGKILL)";
  a.cpu_percent = 37.54;
  a.rss_bytes = 48u << 20;
  a.last_message_age_s = 0.03;
  ProcessStatus b = sample();
  b.name = "ntpub";
  b.state = ProcessState::Failed;
  b.last_exit = "exit 1";
  b.reason = "restarted 10 times within 60 s";
  b.last_message_age_s.reset();
  CHECK(status_table({a, b}) ==
        "NAME          STATE    PID  UPTIME  RESTARTS  LAST EXIT             CPU    RSS  LAST MSG\n"
        "detect-front  ready   4242   1m15s         2  signal 9 (SIGKILL)  37.5%  48.0M      0.0s\n"
        "ntpub         failed     -       -         3  exit 1                  -      -         -  restarted 10 times within 60 s\n");
  CHECK(status_table({}) == "NAME  STATE  PID  UPTIME  RESTARTS  LAST EXIT  CPU  RSS  LAST MSG\n");
}
