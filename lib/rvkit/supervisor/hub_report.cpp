#include "rvkit/supervisor/hub_report.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"
#include "rvkit/records/hub.hpp"

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
  records::Hub hub;
  try {
    records::from_json(j, hub);
  } catch (const records::RecordError& e) {
    return e.what();
  }
  for (const records::HubTopic& t : hub.topics) newest_us_[t.topic] = now_us - std::max<int64_t>(t.age_ms, 0) * 1000;
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
