#include "rvkit/recording/naming.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace rvkit::recording {
namespace fs = std::filesystem;

namespace {

std::string safe(std::string s) {
  for (char& c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return s;
}

// Applies one NT topic's value; true when it changed something.
bool apply(FmsInfo& f, const std::string& topic, const Json& v) {
  if (topic == "/FMSInfo/EventName" && v.is_string()) {
    std::string e = v.get<std::string>();
    if (e == f.event) return false;
    f.event = e;
    return true;
  }
  if (topic == "/FMSInfo/MatchType" && v.is_number()) {
    int t = v.get<int>();
    if (t == f.match_type) return false;
    f.match_type = t;
    return true;
  }
  if (topic == "/FMSInfo/MatchNumber" && v.is_number()) {
    int64_t n = v.get<int64_t>();
    if (n == f.match_number) return false;
    f.match_number = n;
    return true;
  }
  return false;
}

// The pattern's extension ("rvs" for "x/%Y.rvs"), "" when it has none.
std::string extension(const std::string& pattern) {
  std::string file = fs::path(pattern).filename().string();
  auto dot = file.find_last_of('.');
  return dot == std::string::npos ? "" : file.substr(dot);
}

}  // namespace

bool FmsInfo::update(const Json& r) {
  if (!r.is_object()) return false;
  const std::string type = r.value("type", "");
  if (type == "nt" && r.contains("topic") && r["topic"].is_string() && r.contains("value"))
    return apply(*this, r["topic"].get<std::string>(), r["value"]);
  if (type == "nt_snapshot" && r.contains("values") && r["values"].is_object()) {
    bool changed = false;
    for (auto& [k, v] : r["values"].items()) changed = apply(*this, k, v) || changed;
    return changed;
  }
  return false;
}

std::string FmsInfo::event_text() const { return event.empty() ? "noevent" : safe(event); }

std::string FmsInfo::match_text() const {
  if (match_number < 0) return "nomatch";
  const char* kind = match_type == 1 ? "P" : match_type == 2 ? "Q" : match_type == 3 ? "E" : "M";
  return fmt::format("{}{}", kind, match_number);
}

bool pattern_uses_fms(const std::string& p) {
  return p.find("%event") != std::string::npos || p.find("%match") != std::string::npos;
}

std::string expand_name(const std::string& pattern, const FmsInfo& fms, std::time_t when) {
  // Our conversions first, their values with '%' doubled so strftime leaves them as they are.
  std::string p;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 6, "%event") == 0) {
      p += fms.event_text();
      i += 6;
    } else if (pattern.compare(i, 6, "%match") == 0) {
      p += fms.match_text();
      i += 6;
    } else if (pattern.compare(i, 2, "%%") == 0) {
      p += "%%";
      i += 2;
    } else {
      p += pattern[i++];
    }
  }
  std::tm tm{};
  localtime_r(&when, &tm);
  std::string out(p.size() * 4 + 64, '\0');
  size_t n = std::strftime(out.data(), out.size(), p.c_str(), &tm);
  if (n == 0 && !p.empty()) return p;  // nothing strftime could make of it: the text as it is
  out.resize(n);
  return out;
}

std::string unique_name(const std::string& name) {
  std::error_code ec;
  if (!fs::exists(name, ec)) return name;
  fs::path p(name);
  std::string ext = p.has_extension() ? p.extension().string() : "";
  std::string base = ext.empty() ? name : name.substr(0, name.size() - ext.size());
  for (int i = 1;; ++i) {
    std::string n = fmt::format("{}-{}{}", base, i, ext);
    if (!fs::exists(n, ec)) return n;
  }
}

std::vector<std::string> list_recordings(const std::string& pattern) {
  fs::path dir = fs::path(pattern).parent_path();
  if (dir.empty()) dir = ".";
  const std::string ext = extension(pattern);
  std::vector<std::pair<fs::file_time_type, std::string>> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    if (!ext.empty() && (name.size() < ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0))
      continue;
    found.emplace_back(it->last_write_time(ec), it->path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [t, p] : found) out.push_back(p);
  return out;
}

std::vector<std::string> prune_recordings(const std::string& pattern, uint64_t keep_bytes, const std::string& current) {
  std::vector<std::string> files = list_recordings(pattern), deleted;
  std::error_code ec;
  uint64_t total = 0;
  for (auto& f : files) total += fs::file_size(f, ec);
  for (auto& f : files) {
    if (total <= keep_bytes) break;
    if (fs::equivalent(f, current, ec)) continue;
    uint64_t size = fs::file_size(f, ec);
    if (fs::remove(f, ec)) {
      total -= std::min(total, size);
      deleted.push_back(f);
    }
  }
  return deleted;
}

}  // namespace rvkit::recording
