// The launch file of `hub run` (docs/launch.md): what a good file becomes, and the one-line error of
// every kind of bad file, with its line.
#include "test_util.hpp"

#include <map>
#include <string>
#include <vector>

#include "rvkit/supervisor/launch_file.hpp"

using namespace rvkit::supervisor;
using testutil::error_of;

namespace {

// The tests' machine has 4 CPUs, whatever this one has.
LaunchOptions opts(std::map<std::string, std::string> vars = {}) { return LaunchOptions{std::move(vars), 4}; }

LaunchFile parse(const std::string& text, std::map<std::string, std::string> vars = {}) {
  return parse_launch_file(text, "robot.toml", opts(std::move(vars)));
}

std::string error(const std::string& text, std::map<std::string, std::string> vars = {}) {
  return error_of<LaunchFileError>([&] { parse(text, std::move(vars)); });
}

// A file of one process whose table is `body` (line 1 is [[process]], line 2 its name, line 3 its cmd).
std::string one(const std::string& body) { return "[[process]]\nname = \"p\"\ncmd = [\"true\"]\n" + body; }

}  // namespace

TEST_CASE("launch file: a complete file parses to the expected structs") {
  const LaunchFile f = parse(R"([vars]
cam = "front"
dev = "/dev/video0"

[hub]
enabled = true
args = ["--bind", "0.0.0.0"]
http = 5800
control = "/run/rvkit/${cam}.sock"
log_lines = 50

[[process]]
name = "cap-${cam}"
cmd = ["cap", "--dev", "${dev}", "--out", "hub"]
env = { RVKIT_LOG = "debug", CAM = "${cam}" }
cwd = "/tmp"
restart = "on-failure"
backoff = { first = 0.5, factor = 3, max = 10, reset = 30 }
limit = { restarts = 4, window = 20 }
ready = { topic = "frame/${cam}/", timeout = 5 }
stall = { topic = "frame/${cam}/", seconds = 2 }
topics = ["frame/${cam}/"]
cpus = [0, 3]
nice = -5
stop_timeout = 1.5

[[process]]
name = "detect"
sh = "detect --in hub?topic=frame/ | ntpub --team 1234"
after = ["cap-${cam}"]
ready = { port = 1181, host = "localhost" }
stall = [{ topic = "detections/", seconds = 1 }, { topic = "nt/", seconds = 3 }]
notify = true
watchdog = 2
restart = "never"

[[process]]
name = "ntserver"
cmd = ["ntserver"]
ready = "notify"
)");
  CHECK(f.path == "robot.toml");
  CHECK(f.hub.enabled);
  CHECK(f.hub.args == std::vector<std::string>{"--bind", "0.0.0.0"});
  CHECK(f.hub.http_port == 5800);
  CHECK(f.hub.control == "/run/rvkit/front.sock");
  CHECK(f.hub.log_lines == 50);
  REQUIRE(f.processes.size() == 3);

  const ProcessSpec& cap = f.processes[0];
  CHECK(cap.name == "cap-front");
  CHECK(cap.line == 12);
  CHECK(cap.cmd == std::vector<std::string>{"cap", "--dev", "/dev/video0", "--out", "hub"});
  CHECK(cap.sh.empty());
  CHECK(cap.env == std::map<std::string, std::string>{{"CAM", "front"}, {"RVKIT_LOG", "debug"}});
  CHECK(cap.cwd == "/tmp");
  CHECK(cap.restart == RestartPolicy::OnFailure);
  CHECK(cap.backoff.first_s == 0.5);
  CHECK(cap.backoff.factor == 3);
  CHECK(cap.backoff.max_s == 10);
  CHECK(cap.backoff.reset_after_s == 30);
  CHECK(cap.limit.restarts == 4);
  CHECK(cap.limit.window_s == 20);
  CHECK(cap.ready.kind == Readiness::Kind::Topic);
  CHECK(cap.ready.topic == "frame/front/");
  CHECK(cap.ready.timeout_s == 5);
  REQUIRE(cap.stalls.size() == 1);
  CHECK(cap.stalls[0].topic == "frame/front/");
  CHECK(cap.stalls[0].seconds == 2);
  CHECK(cap.topics == std::vector<std::string>{"frame/front/"});
  CHECK(cap.cpus == std::vector<int>{0, 3});
  CHECK(cap.nice == -5);
  CHECK_FALSE(cap.notify);
  CHECK(cap.watchdog_s == 0);
  CHECK(cap.stop_timeout_s == 1.5);

  const ProcessSpec& detect = f.processes[1];
  CHECK(detect.line == 27);
  CHECK(detect.cmd.empty());
  CHECK(detect.sh == "detect --in hub?topic=frame/ | ntpub --team 1234");
  CHECK(detect.after == std::vector<std::string>{"cap-front"});
  CHECK(detect.ready.kind == Readiness::Kind::Port);
  CHECK(detect.ready.port == 1181);
  CHECK(detect.ready.host == "localhost");
  CHECK(detect.ready.timeout_s == 30);
  REQUIRE(detect.stalls.size() == 2);
  CHECK(detect.stalls[1].topic == "nt/");
  CHECK(detect.stalls[1].seconds == 3);
  CHECK(detect.notify);
  CHECK(detect.watchdog_s == 2);
  CHECK(detect.restart == RestartPolicy::Never);
  CHECK_FALSE(detect.nice.has_value());
  CHECK(detect.cpus.empty());

  const ProcessSpec& nt = f.processes[2];
  CHECK(nt.ready.kind == Readiness::Kind::Notify);
  CHECK(nt.notify);  // ready = "notify" needs NOTIFY_SOCKET
  CHECK(nt.restart == RestartPolicy::Always);
}

TEST_CASE("launch file: an empty file is the hub alone, with the documented defaults") {
  const LaunchFile f = parse("");
  CHECK(f.processes.empty());
  CHECK(f.hub.enabled);
  CHECK(f.hub.args.empty());
  CHECK_FALSE(f.hub.http_port.has_value());
  CHECK(f.hub.control.empty());
  CHECK(f.hub.log_lines == 200);

  const ProcessSpec p = parse(one("")).processes.at(0);
  CHECK(p.restart == RestartPolicy::Always);
  CHECK(p.backoff.first_s == 0.1);
  CHECK(p.backoff.factor == 2);
  CHECK(p.backoff.max_s == 5);
  CHECK(p.backoff.reset_after_s == 10);
  CHECK(p.limit.restarts == 10);
  CHECK(p.limit.window_s == 60);
  CHECK(p.ready.kind == Readiness::Kind::Started);
  CHECK(p.stop_timeout_s == 3);
}

TEST_CASE("launch file: [defaults] apply to every process before its own keys") {
  const LaunchFile f = parse(R"([defaults]
restart = "on-failure"
backoff = { first = 1, max = 8 }
env = { A = "1", B = "2" }
nice = 5
cpus = [1]

[[process]]
name = "a"
cmd = ["a"]

[[process]]
name = "b"
cmd = ["b"]
backoff = { factor = 4 }
env = { B = "two", C = "3" }
nice = -1
cpus = [2, 3]
restart = "always"
)");
  REQUIRE(f.processes.size() == 2);
  const ProcessSpec& a = f.processes[0];
  CHECK(a.restart == RestartPolicy::OnFailure);
  CHECK(a.backoff.first_s == 1);
  CHECK(a.backoff.max_s == 8);
  CHECK(a.backoff.factor == 2);  // not in [defaults]: the built-in default
  CHECK(a.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}});
  CHECK(a.nice == 5);
  CHECK(a.cpus == std::vector<int>{1});

  const ProcessSpec& b = f.processes[1];
  CHECK(b.restart == RestartPolicy::Always);
  CHECK(b.backoff.first_s == 1);  // tables merge key by key
  CHECK(b.backoff.max_s == 8);
  CHECK(b.backoff.factor == 4);
  CHECK(b.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}, {"C", "3"}});
  CHECK(b.nice == -1);
  CHECK(b.cpus == std::vector<int>{2, 3});  // arrays replace
}

TEST_CASE("launch file: ${vars}, --set overrides, $$") {
  const std::string text = R"([vars]
team = "1234"
host = "10.12.34.2"

[[process]]
name = "ntpub"
cmd = ["ntpub", "--team", "${team}", "--server=${host}:5810"]
sh = "echo ${team} $$HOME $${X} $PATH"
)";
  // cmd and sh together are an error; check the substitution on each alone.
  const std::string with_cmd = text.substr(0, text.find("sh = "));
  const std::string with_sh = text.substr(0, text.find("cmd = ")) + text.substr(text.find("sh = "));
  CHECK(parse(with_cmd).processes[0].cmd ==
        std::vector<std::string>{"ntpub", "--team", "1234", "--server=10.12.34.2:5810"});
  CHECK(parse(with_cmd, {{"team", "254"}}).processes[0].cmd ==
        std::vector<std::string>{"ntpub", "--team", "254", "--server=10.12.34.2:5810"});
  CHECK(parse(with_sh).processes[0].sh == "echo 1234 $HOME ${X} $PATH");

  // Every string is substituted, names and after included, before it is checked.
  const LaunchFile named = parse(R"([vars]
cam = "front"
policy = "never"
[[process]]
name = "cap-${cam}"
cmd = ["cap"]
restart = "${policy}"
[[process]]
name = "detect-${cam}"
cmd = ["detect"]
after = ["cap-${cam}"]
)");
  CHECK(named.processes[0].name == "cap-front");
  CHECK(named.processes[0].restart == RestartPolicy::Never);
  CHECK(named.processes[1].after == std::vector<std::string>{"cap-front"});
  CHECK(error(R"([vars]
cam = "front left"
[[process]]
name = "cap-${cam}"
cmd = ["cap"]
)") == "robot.toml:4: process[0].name: 'cap-front left' is not a valid name: use letters, digits, '_', '.' and '-'");

  CHECK(error(with_cmd, {{"tema", "254"}}) == "robot.toml: --set tema: not a variable of [vars] (did you mean 'team'?)");
  CHECK(error(with_cmd, {{"speed", "1"}}) == "robot.toml: --set speed: not a variable of [vars]");

  std::map<std::string, std::string> vars;
  add_set_option(vars, "team=254");
  add_set_option(vars, "args=a=b");
  add_set_option(vars, "empty=");
  add_set_option(vars, "team=971");  // a later one wins
  CHECK(vars == std::map<std::string, std::string>{{"args", "a=b"}, {"empty", ""}, {"team", "971"}});
  CHECK(error_of<LaunchFileError>([&] { add_set_option(vars, "team"); }) == "--set team: expected NAME=VALUE");
  CHECK(error_of<LaunchFileError>([&] { add_set_option(vars, "=1"); }) == "--set =1: expected NAME=VALUE");
}

TEST_CASE("launch file: read_launch_file reads a file and names it in errors") {
  testutil::TempDir dir;
  const std::string path = dir.write("robot.toml", one("restart = \"sometimes\"\n"));
  CHECK(error_of<LaunchFileError>([&] { read_launch_file(path); }) ==
        path + ":4: process[0].restart: 'sometimes' is not one of always, on-failure, never");
  const std::string good = dir.write("good.toml", "[vars]\nx = \"1\"\n" + one("cwd = \"${x}\"\n"));
  const std::map<std::string, std::string> set = {{"x", "2"}};
  CHECK(read_launch_file(good, set).processes.at(0).cwd == "2");
  CHECK(read_launch_file(good).path == good);
  CHECK(error_of<LaunchFileError>([&] { read_launch_file(dir.file("missing.toml")); }) ==
        dir.file("missing.toml") + ": cannot read: No such file or directory");
}

TEST_CASE("launch file: start_order puts each process after its `after`, in file order otherwise") {
  const LaunchFile f = parse(R"(
[[process]]
name = "overlay"
cmd = ["overlay"]
after = ["detect", "ntsub"]
[[process]]
name = "cap"
cmd = ["cap"]
[[process]]
name = "detect"
cmd = ["detect"]
after = ["cap"]
[[process]]
name = "ntsub"
cmd = ["ntsub"]
[[process]]
name = "stream"
cmd = ["stream"]
after = ["overlay"]
[[process]]
name = "log"
cmd = ["log"]
)");
  // cap, detect, ntsub, overlay, stream, log: overlay waits for detect and ntsub.
  CHECK(start_order(f) == std::vector<size_t>{1, 2, 3, 0, 4, 5});
  CHECK(start_order(parse("")).empty());

  LaunchFile cyclic;
  cyclic.path = "made.toml";
  cyclic.processes.resize(2);
  cyclic.processes[0].name = "a";
  cyclic.processes[0].after = {"b"};
  cyclic.processes[1].name = "b";
  cyclic.processes[1].after = {"a"};
  CHECK(error_of<LaunchFileError>([&] { start_order(cyclic); }) ==
        "made.toml: the processes' `after` lists form a cycle");
}

TEST_CASE("launch file: every kind of error is one line naming file, line and key") {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      // syntax
      {"[[process]]\nname = p\n", "robot.toml:2: syntax error while parsing value: could not determine value type"},
      {"[[process]]\nname = \"p\"\ncmd = [\"a\"\n\n",
       "robot.toml:4: syntax error while parsing array: encountered end-of-file"},
      {"[[process]]\nname = \"p\"\nname = \"q\"\n",
       "robot.toml:3: syntax error while parsing key-value pair: cannot redefine existing string 'name'"},
      // unknown keys
      {"[vars]\n[hubb]\n", "robot.toml:2: hubb: unknown key (did you mean 'hub'?)"},
      {"[[processes]]\nname = \"p\"\n", "robot.toml:1: processes: unknown key (did you mean 'process'?)"},
      {"[programs]\n", "robot.toml:1: programs: unknown key (a launch file's tables are: vars, hub, defaults, process)"},
      {one("restrat = \"never\"\n"), "robot.toml:4: process[0].restrat: unknown key (did you mean 'restart'?)"},
      {one("Nice = 3\n"), "robot.toml:4: process[0].Nice: unknown key (did you mean 'nice'?)"},
      {one("command = [\"x\"]\n"),
       "robot.toml:4: process[0].command: unknown key (the keys of a process are: name, enabled, cmd, sh, env, cwd, restart, "
       "backoff, limit, after, ready, stall, topics, cpus, nice, notify, watchdog, stop_timeout)"},
      {one("backoff = { frist = 1 }\n"), "robot.toml:4: process[0].backoff.frist: unknown key (did you mean 'first'?)"},
      {one("limit = { restart = 1 }\n"), "robot.toml:4: process[0].limit.restart: unknown key (did you mean 'restarts'?)"},
      {one("ready = { topic = \"a/\", timout = 1 }\n"),
       "robot.toml:4: process[0].ready.timout: unknown key (did you mean 'timeout'?)"},
      {one("stall = { topic = \"a/\", second = 1 }\n"),
       "robot.toml:4: process[0].stall.second: unknown key (did you mean 'seconds'?)"},
      {"[hub]\nenable = false\n", "robot.toml:2: hub.enable: unknown key (did you mean 'enabled'?)"},
      {"[defaults]\nrestrat = \"never\"\n", "robot.toml:2: defaults.restrat: unknown key (did you mean 'restart'?)"},
      // wrong types
      {one("restart = 1\n"), "robot.toml:4: process[0].restart: expected a string, got an integer"},
      {"[[process]]\nname = \"p\"\ncmd = \"cap --cam 0\"\n",
       "robot.toml:3: process[0].cmd: expected an array of strings, got a string"},
      {"[[process]]\nname = \"p\"\ncmd = [\"cap\", 0]\n", "robot.toml:3: process[0].cmd[1]: expected a string, got an integer"},
      {one("nice = 1.5\n"), "robot.toml:4: process[0].nice: expected an integer, got a floating-point number"},
      {one("stop_timeout = \"2s\"\n"), "robot.toml:4: process[0].stop_timeout: expected a number, got the string '2s'"},
      {one("notify = \"yes\"\n"), "robot.toml:4: process[0].notify: expected a boolean (true or false), got the string 'yes'"},
      {one("env = [\"A=1\"]\n"), "robot.toml:4: process[0].env: expected a table, got an array"},
      {one("env = { PORT = 5800 }\n"), "robot.toml:4: process[0].env.PORT: expected a string, got an integer"},
      {one("stall = \"frame/\"\n"),
       "robot.toml:4: process[0].stall: expected a table {topic, seconds} or an array of them, got a string"},
      {one("ready = 5\n"),
       "robot.toml:4: process[0].ready: expected a string (\"started\", \"notify\") or a table ({topic = ...} or "
       "{port = ...}), got an integer"},
      {"[vars]\nteam = 1234\n", "robot.toml:2: vars.team: expected a string, got an integer"},
      {"hub = 1\n", "robot.toml:1: hub: expected a table, got an integer"},
      {"[process]\nname = \"p\"\n", "robot.toml:1: process: expected an array of tables ([[process]]), got a table"},
      {"[hub]\nhttp = \"58oo\"\n", "robot.toml:2: hub.http: expected an integer, got the string '58oo'"},
      // the command
      {"[[process]]\nname = \"p\"\n", "robot.toml:1: process[0]: no command: give cmd = [\"program\", \"arg\", ...] or sh = \"...\""},
      {one("sh = \"true\"\n"), "robot.toml:4: process[0]: both cmd and sh: give one of them"},
      {"[[process]]\nname = \"p\"\ncmd = []\n", "robot.toml:3: process[0].cmd: must not be empty: the program and its arguments"},
      {"[[process]]\nname = \"p\"\nsh = \"  \"\n", "robot.toml:3: process[0].sh: must not be empty: a shell command line"},
      // names
      {"[[process]]\ncmd = [\"x\"]\n", "robot.toml:1: process[0]: no name: give name = \"...\""},
      {"[[process]]\nname = \"my cam\"\ncmd = [\"x\"]\n",
       "robot.toml:2: process[0].name: 'my cam' is not a valid name: use letters, digits, '_', '.' and '-'"},
      {one("") + "\n[[process]]\nname = \"p\"\ncmd = [\"y\"]\n",
       "robot.toml:6: process[1].name: 'p' is already the name of process[0] (line 2)"},
      {"[defaults]\nname = \"p\"\n", "robot.toml:2: defaults.name: not allowed in [defaults]: each process gives its own"},
      {"[defaults]\nafter = [\"p\"]\n", "robot.toml:2: defaults.after: not allowed in [defaults]: each process gives its own"},
      // after
      {one("after = [\"detcet\"]\n") + "[[process]]\nname = \"detect\"\ncmd = [\"d\"]\n",
       "robot.toml:4: process[0].after[0]: no process named 'detcet' (did you mean 'detect'?)"},
      {one("after = [\n  \"p\",\n  \"nobody\",\n]\n"), "robot.toml:6: process[0].after[1]: no process named 'nobody'"},
      {one("after = [\"p\"]\n"), "robot.toml:4: process[0].after: dependency cycle: p -> p"},
      {"[[process]]\nname = \"a\"\ncmd = [\"a\"]\nafter = [\"b\"]\n"
       "[[process]]\nname = \"b\"\ncmd = [\"b\"]\nafter = [\"a\"]\n",
       "robot.toml:4: process[0].after: dependency cycle: a -> b -> a"},
      {"[[process]]\nname = \"x\"\ncmd = [\"x\"]\n"
       "[[process]]\nname = \"a\"\ncmd = [\"a\"]\nafter = [\"x\", \"b\"]\n"
       "[[process]]\nname = \"b\"\ncmd = [\"b\"]\nafter = [\"c\"]\n"
       "[[process]]\nname = \"c\"\ncmd = [\"c\"]\nafter = [\"x\", \"a\"]\n",
       "robot.toml:7: process[1].after: dependency cycle: a -> b -> c -> a"},
      // variables
      {"[vars]\ncam = \"front\"\n" + one("cwd = \"/tmp/${camm}\"\n"),
       "robot.toml:6: process[0].cwd: undefined variable ${camm} (did you mean ${cam}?)"},
      {"[[process]]\nname = \"p\"\ncmd = [\"x\", \"${dev}\"]\n", "robot.toml:3: process[0].cmd[1]: undefined variable ${dev}"},
      {"[[process]]\nname = \"p\"\nsh = \"echo ${HOME}\"\n",
       "robot.toml:3: process[0].sh: undefined variable ${HOME}"},
      {one("cwd = \"${x\"\n"), "robot.toml:4: process[0].cwd: '${' without a closing '}' in \"${x\""},
      {"[vars]\n\"my-var\" = \"1\"\n",
       "robot.toml:2: vars.my-var: a variable's name is letters, digits and '_', not starting with a digit"},
      {"[hub]\nargs = [\"--bind\", \"${ip}\"]\n", "robot.toml:2: hub.args[1]: undefined variable ${ip}"},
      // values
      {one("restart = \"on_failure\"\n"),
       "robot.toml:4: process[0].restart: 'on_failure' is not one of always, on-failure, never (did you mean "
       "'on-failure'?)"},
      {one("restart = \"sometimes\"\n"), "robot.toml:4: process[0].restart: 'sometimes' is not one of always, on-failure, never"},
      {one("stop_timeout = 0\n"), "robot.toml:4: process[0].stop_timeout: must be more than 0 seconds, got 0"},
      {one("watchdog = -1\nnotify = true\n"), "robot.toml:4: process[0].watchdog: must be 0 or more seconds, got -1"},
      {one("backoff = { first = -0.5 }\n"), "robot.toml:4: process[0].backoff.first: must be 0 or more seconds, got -0.5"},
      {one("backoff = { factor = 0.5 }\n"), "robot.toml:4: process[0].backoff.factor: must be 1 or more, got 0.5"},
      {one("backoff = { reset = 0 }\n"), "robot.toml:4: process[0].backoff.reset: must be more than 0 seconds, got 0"},
      {one("backoff = { first = 10 }\n"), "robot.toml:4: process[0].backoff: max (5 s) is less than first (10 s)"},
      {one("backoff = { max = inf }\n"), "robot.toml:4: process[0].backoff.max: must be a finite number"},
      {one("limit = { window = 0 }\n"), "robot.toml:4: process[0].limit.window: must be more than 0 seconds, got 0"},
      {one("limit = { restarts = -1 }\n"), "robot.toml:4: process[0].limit.restarts: -1 is outside 0..1000000"},
      {one("ready = { topic = \"a/\", timeout = 0 }\n"),
       "robot.toml:4: process[0].ready.timeout: must be more than 0 seconds, got 0"},
      {one("stall = [{ topic = \"a/\", seconds = 1 }, { topic = \"b/\", seconds = 0 }]\n"),
       "robot.toml:4: process[0].stall[1].seconds: must be more than 0 seconds, got 0"},
      {one("stall = { seconds = 1 }\n"), "robot.toml:4: process[0].stall: no topic: give topic = \"...\" and seconds = N"},
      {one("stall = { topic = \"a/\" }\n"), "robot.toml:4: process[0].stall: no seconds: give topic = \"...\" and seconds = N"},
      {one("cpus = [1, 4]\n"), "robot.toml:4: process[0].cpus[1]: no CPU 4: this machine has 4 CPUs (0..3)"},
      {one("cpus = [-1]\n"), "robot.toml:4: process[0].cpus[0]: no CPU -1: this machine has 4 CPUs (0..3)"},
      {one("nice = 20\n"), "robot.toml:4: process[0].nice: 20 is outside -20..19"},
      {one("nice = -21\n"), "robot.toml:4: process[0].nice: -21 is outside -20..19"},
      {one("ready = \"ready\"\n"),
       "robot.toml:4: process[0].ready: 'ready' is not started, notify, {topic = ...} or {port = ...}"},
      {one("ready = \"notfy\"\n"),
       "robot.toml:4: process[0].ready: 'notfy' is not started, notify, {topic = ...} or {port = ...} (did you mean "
       "'notify'?)"},
      {one("ready = { topic = \"a/\", port = 80 }\n"), "robot.toml:4: process[0].ready: both topic and port: give one of them"},
      {one("ready = { timeout = 3 }\n"), "robot.toml:4: process[0].ready: give topic = \"...\" or port = N"},
      {one("ready = { topic = \"a/\", host = \"x\" }\n"), "robot.toml:4: process[0].ready.host: goes with port, not topic"},
      {one("ready = { port = 70000 }\n"), "robot.toml:4: process[0].ready.port: 70000 is outside 1..65535"},
      {one("watchdog = 2\n"),
       "robot.toml:4: process[0].watchdog: needs notify = true (WATCHDOG=1 comes over NOTIFY_SOCKET)"},
      {"[hub]\nenabled = false\n" + one("stall = { topic = \"a/\", seconds = 1 }\n"),
       "robot.toml:6: process[0].stall: needs the hub, but [hub] has enabled = false"},
      {"[hub]\nenabled = false\n" + one("ready = { topic = \"a/\" }\n"),
       "robot.toml:6: process[0].ready: a topic needs the hub, but [hub] has enabled = false"},
      {"[hub]\nhttp = 0\n", "robot.toml:2: hub.http: 0 is outside 1..65535"},
      {"[hub]\nlog_lines = 0\n", "robot.toml:2: hub.log_lines: 0 is outside 1..1000000"},
      {"[hub]\ncontrol = \"\"\n", "robot.toml:2: hub.control: must not be empty (leave it out for the default)"},
      {one("topics = [\"a/\", \"\"]\n"), "robot.toml:4: process[0].topics[1]: must not be empty"},
      {one("env = { \"A=B\" = \"1\" }\n"),
       "robot.toml:4: process[0].env.A=B: an environment variable's name must be non-empty, without '='"},
      // [defaults] problems name [defaults]'s own line
      {"[defaults]\nnice = 30\n" + one(""), "robot.toml:2: defaults.nice: 30 is outside -20..19"},
      {"[defaults]\nwatchdog = 1\n" + one(""),
       "robot.toml:2: process[0].watchdog: needs notify = true (WATCHDOG=1 comes over NOTIFY_SOCKET)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(error(c.text) == c.message);
  }
}

TEST_CASE("launch file: dotted keys and sub-tables are the same keys, with their own lines") {
  const LaunchFile f = parse(one("backoff.first = 2\nlimit.window = 5\n") + "[process.env]\nA = \"1\"\n");
  CHECK(f.processes.at(0).backoff.first_s == 2);
  CHECK(f.processes.at(0).limit.window_s == 5);
  CHECK(f.processes.at(0).env == std::map<std::string, std::string>{{"A", "1"}});
  CHECK(error(one("backoff.first = 10\n")) == "robot.toml:4: process[0].backoff: max (5 s) is less than first (10 s)");
  CHECK(error(one("") + "[process.backoff]\nfirst = 1\nfactr = 2\n") ==
        "robot.toml:6: process[0].backoff.factr: unknown key (did you mean 'factor'?)");
  CHECK(error(one("") + "\n[process.backoff]\nfirst = 10\n") ==
        "robot.toml:5: process[0].backoff: max (5 s) is less than first (10 s)");
}

TEST_CASE("launch file: a table's keys are checked in file order") {
  // toml++ keeps keys sorted by name; the reader sorts them back into file order.
  CHECK(error(one("zzz = 1\naaa = 2\n")) ==
        "robot.toml:4: process[0].zzz: unknown key (the keys of a process are: name, enabled, cmd, sh, env, cwd, restart, "
        "backoff, limit, after, ready, stall, topics, cpus, nice, notify, watchdog, stop_timeout)");
}

TEST_CASE("launch file: cpus are checked against this machine when no count is given") {
  const std::string text = one("cpus = [100000]\n");
  const std::string e = error_of<LaunchFileError>([&] { parse_launch_file(text, "robot.toml"); });
  CHECK(e.rfind("robot.toml:4: process[0].cpus[0]: no CPU 100000: this machine has ", 0) == 0);
  CHECK(parse_launch_file(one("cpus = [0]\n"), "robot.toml").processes.at(0).cpus == std::vector<int>{0});
}

TEST_CASE("launch file: the complete example of docs/launch.md parses") {
  const std::string doc = testutil::read_file(std::string(RVKIT_DOCS_DIR) + "/launch.md");
  const size_t heading = doc.find("## A complete example");
  REQUIRE(heading != std::string::npos);
  const size_t start = doc.find("```toml\n", heading);
  REQUIRE(start != std::string::npos);
  const size_t end = doc.find("```\n", start + 8);
  REQUIRE(end != std::string::npos);
  const LaunchFile f = parse(doc.substr(start + 8, end - start - 8), {{"tagcam", "/dev/video2"}});
  REQUIRE(f.processes.size() == 5);
  CHECK(f.hub.http_port == 5800);
  CHECK(f.processes[0].cmd.at(2) == "/dev/video2");
  CHECK(f.processes[1].cmd.at(4) == "2026-rebuilt-welded");
  CHECK(f.processes[2].restart == RestartPolicy::OnFailure);
  CHECK(f.processes[3].restart == RestartPolicy::Always);  // from [defaults]
  CHECK(f.processes[3].stop_timeout_s == 2);
  CHECK(f.processes[4].ready.port == 1181);
  CHECK(start_order(f) == std::vector<size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("launch file: numbers and booleans from ${vars}, CPU lists, enabled") {
  const std::string text = R"([vars]
demo = "false"
port = "5810"
cpus = "1-3"
wait = "2.5"

[[process]]
name = "ntserver"
enabled = "${demo}"
cmd = ["ntserver", "--port", "${port}"]
ready = { port = "${port}", timeout = "${wait}" }

[[process]]
name = "detect"
cmd = ["detect"]
after = ["ntserver"]
cpus = "${cpus}"

[[process]]
name = "ntpub"
cmd = ["ntpub"]
cpus = "0,2-3"
enabled = true
)";
  LaunchFile f = parse(text);
  REQUIRE(f.processes.size() == 2);  // ntserver is left out
  CHECK(f.processes[0].name == "detect");
  CHECK(f.processes[0].after.empty());  // waiting for a disabled process is waiting for nothing
  CHECK(f.processes[0].cpus == std::vector<int>{1, 2, 3});
  CHECK(f.processes[1].cpus == std::vector<int>{0, 2, 3});

  f = parse(text, {{"demo", "true"}});
  REQUIRE(f.processes.size() == 3);
  CHECK(f.processes[0].ready.kind == Readiness::Kind::Port);
  CHECK(f.processes[0].ready.port == 5810);
  CHECK(f.processes[0].ready.timeout_s == doctest::Approx(2.5));
  CHECK(f.processes[1].after == std::vector<std::string>{"ntserver"});

  CHECK(error(text, {{"demo", "maybe"}}) ==
        "robot.toml:9: process[0].enabled: expected a boolean (true or false), got the string 'maybe'");
  CHECK(error(text, {{"port", "58x"}, {"demo", "true"}}) ==
        "robot.toml:11: process[0].ready.port: expected an integer, got the string '58x'");
  CHECK(error(text, {{"cpus", "2-1"}}) ==
        "robot.toml:17: process[1].cpus: '2-1' is not a CPU list (like \"0\", \"1-3\" or \"0,2-3\")");
  CHECK(error(text, {{"cpus", "3-4"}}) == "robot.toml:17: process[1].cpus: no CPU 4: this machine has 4 CPUs (0..3)");
  // A disabled process is still checked.
  CHECK(error(one("enabled = false\nrestart = \"sometimes\"\n")).find("process[0].restart") != std::string::npos);
}

TEST_CASE("launch file: 'hub' is the message hub's name unless there is no hub") {
  CHECK(error("[[process]]\nname = \"hub\"\ncmd = [\"true\"]\n") ==
        "robot.toml:2: process[0].name: 'hub' is the message hub's name (hub status and hub logs know it so): choose another");
  CHECK(parse("[hub]\nenabled = false\n[[process]]\nname = \"hub\"\ncmd = [\"true\"]\n").processes.at(0).name == "hub");
}

TEST_CASE("launch file: launched_program is the program the pid runs (cmd[0], or sh's exec)") {
  auto program = [](std::vector<std::string> cmd, std::string sh) {
    ProcessSpec p;
    p.cmd = std::move(cmd);
    p.sh = std::move(sh);
    return launched_program(p);
  };
  CHECK(program({"rec", "--ring", "150s"}, "") == "rec");
  CHECK(program({"/usr/local/bin/rec"}, "") == "rec");
  CHECK(program({}, "exec rec --in hub --ring 150s --out 'r/%H%M%S.rvs'") == "rec");
  CHECK(program({}, "  exec   ./build/bin/rec --ring 1s") == "rec");
  CHECK(program({}, "cap --test-pattern | rec --ring 1s") == "");  // the pid is the shell's
  CHECK(program({}, "exec RVKIT_X=1 rec") == "");
  CHECK(program({}, "exec -a other rec") == "");
  CHECK(program({}, "exec") == "");
  CHECK(program({"detect"}, "") == "detect");
}
