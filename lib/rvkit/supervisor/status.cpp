// rvkit supervisor: ProcessStatus as JSON and as the `hub status` table (see status.hpp).
#include "rvkit/supervisor/status.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::supervisor {
namespace {

constexpr ProcessState kStates[] = {ProcessState::Waiting, ProcessState::Starting, ProcessState::Running,
                                    ProcessState::Ready,   ProcessState::Backoff,  ProcessState::Stopping,
                                    ProcessState::Stopped, ProcessState::Failed};

// The field `key` of a status object, of the JSON type `want` describes; throws naming the field.
const Json& field(const Json& j, const char* key, bool (Json::*is)() const noexcept, const char* want) {
  auto it = j.find(key);
  if (it == j.end()) throw Error(fmt::format("process status: no field '{}'", key));
  if (!((*it).*is)()) throw Error(fmt::format("process status: '{}' is not {}", key, want));
  return *it;
}

}  // namespace

const char* to_string(ProcessState s) {
  switch (s) {
    case ProcessState::Waiting: return "waiting";
    case ProcessState::Starting: return "starting";
    case ProcessState::Running: return "running";
    case ProcessState::Ready: return "ready";
    case ProcessState::Backoff: return "backoff";
    case ProcessState::Stopping: return "stopping";
    case ProcessState::Stopped: return "stopped";
    case ProcessState::Failed: return "failed";
  }
  return "?";
}

std::optional<ProcessState> process_state_from_string(const std::string& s) {
  for (ProcessState st : kStates)
    if (s == to_string(st)) return st;
  return std::nullopt;
}

Json to_json(const ProcessStatus& s) {
  Json j;
  j["name"] = s.name;
  j["state"] = to_string(s.state);
  j["pid"] = s.pid;
  j["uptime_s"] = s.uptime_s;
  j["restarts"] = s.restarts;
  j["last_exit"] = s.last_exit;
  j["reason"] = s.reason;
  j["cpu_percent"] = s.cpu_percent;
  j["rss_bytes"] = s.rss_bytes;
  j["last_message_age_s"] = s.last_message_age_s ? Json(*s.last_message_age_s) : Json(nullptr);
  return j;
}

ProcessStatus process_status_from_json(const Json& j) {
  if (!j.is_object()) throw Error("process status: not a JSON object");
  ProcessStatus s;
  s.name = field(j, "name", &Json::is_string, "a string").get<std::string>();
  std::string state = field(j, "state", &Json::is_string, "a string").get<std::string>();
  auto st = process_state_from_string(state);
  if (!st) throw Error(fmt::format("process status: 'state' is '{}', not a known state", state));
  s.state = *st;
  s.pid = field(j, "pid", &Json::is_number_integer, "an integer").get<int>();
  s.uptime_s = field(j, "uptime_s", &Json::is_number, "a number").get<double>();
  s.restarts = field(j, "restarts", &Json::is_number_integer, "an integer").get<int>();
  s.last_exit = field(j, "last_exit", &Json::is_string, "a string").get<std::string>();
  s.reason = field(j, "reason", &Json::is_string, "a string").get<std::string>();
  s.cpu_percent = field(j, "cpu_percent", &Json::is_number, "a number").get<double>();
  s.rss_bytes = field(j, "rss_bytes", &Json::is_number_unsigned, "a byte count").get<uint64_t>();
  auto age = j.find("last_message_age_s");
  if (age != j.end() && !age->is_null()) {
    if (!age->is_number()) throw Error("process status: 'last_message_age_s' is not a number or null");
    s.last_message_age_s = age->get<double>();
  }
  return s;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  if (seconds < 10) return fmt::format("{:.1f}s", seconds);
  auto t = static_cast<uint64_t>(seconds);
  if (t < 60) return fmt::format("{}s", t);
  if (t < 3600) return fmt::format("{}m{:02}s", t / 60, t % 60);
  if (t < 86400) return fmt::format("{}h{:02}m", t / 3600, t % 3600 / 60);
  return fmt::format("{}d{:02}h", t / 86400, t % 86400 / 3600);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{}B", bytes);
  const char* units[] = {"K", "M", "G", "T"};
  double v = double(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return v < 100 ? fmt::format("{:.1f}{}", v, units[u]) : fmt::format("{:.0f}{}", v, units[u]);
}

std::string status_table(const std::vector<ProcessStatus>& processes) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "CPU", "RSS", "LAST MSG", ""});
  for (const ProcessStatus& p : processes) {
    bool running = p.pid > 0;
    rows.push_back({p.name, to_string(p.state), running ? std::to_string(p.pid) : "-",
                    running ? format_duration(p.uptime_s) : "-", std::to_string(p.restarts),
                    p.last_exit.empty() ? "-" : p.last_exit,
                    running ? fmt::format("{:.1f}%", p.cpu_percent) : "-",
                    running ? format_bytes(p.rss_bytes) : "-",
                    p.last_message_age_s ? format_duration(*p.last_message_age_s) : "-", p.reason});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  // Numbers align right, words left, as `ps` does.
  const bool right[] = {false, false, true, true, true, false, true, true, true, false};
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      if (c) line += "  ";
      line += right[c] ? fmt::format("{:>{}}", r[c], width[c]) : fmt::format("{:<{}}", r[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace rvkit::supervisor
