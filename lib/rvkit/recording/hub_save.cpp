#include "rvkit/recording/hub_save.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/recording/save_notice.hpp"
#include "rvkit/supervisor/control_client.hpp"

namespace rvkit::recording {
namespace {

struct Pending {
  HubSaved saved;
  uint64_t since = 0;  // its line count when signalled
  uint64_t save = 0;   // its save's number, from the first "saving" line after `since` (0: not yet)
  bool done = false;
};

std::string last_line(const std::vector<std::string>& lines) {
  return lines.empty() ? "(no lines)" : lines.back();
}

}  // namespace

std::vector<HubSaved> save_through_hub(const HubSaveOptions& o, const std::function<void(const HubSaved&)>& on_saved) {
  namespace sv = supervisor;
  Json req{{"cmd", "save"}};
  if (!o.name.empty()) req["name"] = o.name;
  Json reply = sv::control_call(o.control, req, o.timeout_s);
  std::vector<Pending> pending;
  for (const Json& s : reply.at("signalled")) {
    Pending p;
    p.saved.name = s.at("name").get<std::string>();
    p.saved.pid = s.at("pid").get<int>();
    p.since = s.at("log_total").get<uint64_t>();
    pending.push_back(std::move(p));
  }
  std::vector<HubSaved> out;
  if (!o.wait) {
    for (auto& p : pending) {
      if (on_saved) on_saved(p.saved);
      out.push_back(p.saved);
    }
    return out;
  }
  const int64_t deadline = mono_us() + int64_t(o.wait_s * 1e6);
  size_t left = pending.size();
  while (left) {
    for (Pending& p : pending) {
      if (p.done) continue;
      Json logs = sv::control_call(o.control, {{"cmd", "logs"}, {"name", p.saved.name}, {"lines", 0}}, o.timeout_s);
      std::vector<std::string> lines = logs.at("lines").get<std::vector<std::string>>();
      const uint64_t total = logs.at("total").get<uint64_t>();
      const uint64_t fresh = total > p.since ? total - p.since : 0;
      for (size_t i = lines.size() > fresh ? lines.size() - fresh : 0; i < lines.size(); ++i) {
        auto notice = parse_save_notice(lines[i]);
        if (!notice) continue;
        if (notice->kind == SaveNotice::Kind::nothing) throw Error(fmt::format("{}: {}", p.saved.name, lines[i]));
        if (notice->kind == SaveNotice::Kind::saving) {
          if (!p.save) p.save = notice->save;  // ours: the first taken after our signal
          continue;
        }
        // A saved line: ours only with our number (an earlier save may finish after our signal).
        if (!p.save || notice->save != p.save) continue;
        p.saved.path = notice->path;
        p.done = true;
        --left;
        if (on_saved) on_saved(p.saved);
        break;
      }
      if (p.done) continue;
      // Ended, or restarted (another pid) before its save was written: the save is lost.
      Json st = sv::control_call(o.control, {{"cmd", "status"}}, o.timeout_s);
      for (const Json& s : st.at("processes")) {
        if (s.at("name") != p.saved.name) continue;
        if (s.at("pid").get<int>() != p.saved.pid)
          throw Error(fmt::format("{} (pid {}) ended before its save was written: {}", p.saved.name, p.saved.pid,
                                  last_line(lines)));
      }
    }
    if (!left) break;
    if (mono_us() > deadline)
      for (const Pending& p : pending)
        if (!p.done)
          throw Error(fmt::format("{} (pid {}): no saved file within {:g} s (--wait)", p.saved.name, p.saved.pid,
                                  o.wait_s));
    ::usleep(100000);
  }
  for (auto& p : pending) out.push_back(p.saved);
  return out;
}

}  // namespace rvkit::recording
