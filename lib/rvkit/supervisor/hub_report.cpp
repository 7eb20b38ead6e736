#include "rvkit/supervisor/hub_report.hpp"

#include <vector>

#include <fmt/format.h>

#include "rvkit/core/json.hpp"

namespace rvkit::supervisor {

std::string HubReport::feed(std::string_view bytes, int64_t now_us) {
  std::vector<std::string> lines;
  lines_.feed(bytes, lines);
  std::string problem;
  for (auto& line : lines) {
    ++line_number_;
    if (line.empty()) continue;
    std::string p = parse(line, now_us);
    if (!p.empty()) problem = fmt::format("hub report line {}: {}", line_number_, p);
  }
  return problem;
}

std::string HubReport::parse(const std::string& line, int64_t now_us) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "not JSON";
  if (!j.is_object()) return "not a JSON object";
  auto topics = j.find("topics");
  if (topics == j.end() || !topics->is_array()) return "no topics array";
  for (auto& t : *topics) {
    if (!t.is_object()) continue;
    auto name = t.find("topic");
    auto age = t.find("age_ms");
    // A topic the hub knows but has no message on yet has no age (null or absent): nothing to note.
    if (name == t.end() || !name->is_string() || age == t.end() || !age->is_number()) continue;
    double age_ms = age->get<double>();
    if (age_ms < 0) age_ms = 0;
    newest_us_[name->get<std::string>()] = now_us - int64_t(age_ms * 1000.0);
  }
  ++reports_;
  last_report_us_ = now_us;
  return "";
}

void HubReport::reset() {
  newest_us_.clear();
  reports_ = 0;
  last_report_us_ = 0;
  lines_ = LineSplitter(1 << 20);
}

std::optional<int64_t> HubReport::newest_message_us(const std::string& prefix) const {
  std::optional<int64_t> newest;
  for (auto it = newest_us_.lower_bound(prefix); it != newest_us_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;  // sorted: past the prefix's range
    if (!newest || it->second > *newest) newest = it->second;
  }
  return newest;
}

}  // namespace rvkit::supervisor
