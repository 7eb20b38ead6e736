#include "rvkit/geometry/field_layout.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/core/json_error.hpp"

namespace rvkit::geometry {

namespace {

constexpr size_t kMaxLayoutBytes = 16 << 20;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("field layout '{}': cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, size_t(f.gcount()));
    if (text.size() > kMaxLayoutBytes)
      throw Error(fmt::format("field layout '{}': larger than {} bytes; not a field layout", path, kMaxLayoutBytes));
  }
  if (f.bad()) throw Error(fmt::format("field layout '{}': read error", path));
  return text;
}

bool is_regular_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0);
}
}  // namespace

FieldLayout parse_field_layout(const std::string& text, const std::string& name) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("field layout '{}': invalid JSON: {}", name, json_error_text(e)));
  }
  if (!root.is_object()) throw Error(fmt::format("field layout '{}': expected a JSON object at the top", name));
  auto tags = root.find("tags");
  if (tags == root.end() || !tags->is_array())
    throw Error(fmt::format("field layout '{}': missing the \"tags\" array (not a WPILib AprilTagFieldLayout?)", name));
  FieldLayout layout;
  layout.source = name;
  size_t i = 0;
  for (const Json& t : *tags) {
    std::string where = fmt::format("field layout '{}': tags[{}]", name, i++);
    if (!t.is_object()) throw Error(where + ": expected an object");
    auto id = t.find("ID");
    if (id == t.end()) throw Error(where + ": missing \"ID\"");
    if (!id->is_number_integer() || id->get<int64_t>() < 0 || id->get<int64_t>() > 1000000)
      throw Error(fmt::format("{}: \"ID\" must be a non-negative integer, got {}", where, id->dump()));
    int tag_id = id->get<int>();
    auto pose = t.find("pose");
    if (pose == t.end()) throw Error(where + ": missing \"pose\"");
    Pose3 p = pose_from_json(*pose, where + ".pose");
    if (!layout.tags.emplace(tag_id, p).second) throw Error(fmt::format("{}: tag ID {} appears twice", where, tag_id));
  }
  auto field = root.find("field");
  if (field != root.end()) {
    auto dim = [&](const char* key) {
      auto v = field->find(key);
      if (v == field->end() || !v->is_number() || !(v->get<double>() >= 0))
        throw Error(fmt::format("field layout '{}': \"field\".\"{}\" must be a number >= 0", name, key));
      return v->get<double>();
    };
    if (!field->is_object()) throw Error(fmt::format("field layout '{}': \"field\" must be an object", name));
    layout.length = dim("length");
    layout.width = dim("width");
  }
  return layout;
}

std::string FieldLayout::describe() const {
  return fmt::format("{} ({} tag{}, field {:g} x {:g} m)", source, tags.size(), tags.size() == 1 ? "" : "s", length,
                     width);
}

std::vector<std::string> field_layout_dirs() {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path())
    dirs.push_back((exe.parent_path() / ".." / "share" / "rvkit" / "fields").lexically_normal());
  dirs.push_back(fs::path(RVKIT_SOURCE_DATA_DIR "/fields").lexically_normal());
  dirs.push_back(fs::path(RVKIT_DATA_DIR "/fields").lexically_normal());
  std::vector<std::string> out;
  for (const auto& d : dirs) {
    // The same folder twice (an installed tool in the configured prefix) is searched once; compared
    // through symlinks when it exists.
    bool seen = false;
    for (const auto& o : out) seen = seen || o == d.string() || fs::equivalent(o, d, ec);
    if (!seen) out.push_back(d.string());
  }
  return out;
}

std::vector<std::string> field_layout_names() {
  std::vector<std::string> names;
  for (const auto& dir : field_layout_dirs()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

FieldLayout load_field_layout(const std::string& spec) {
  if (spec.empty()) throw Error("field layout: empty name");
  if (is_regular_file(spec)) return parse_field_layout(read_file(spec), spec);
  if (looks_like_path(spec)) return parse_field_layout(read_file(spec), spec);  // reports why it cannot open
  const auto dirs = field_layout_dirs();
  for (const auto& dir : dirs) {
    std::string p = dir + "/" + spec + ".json";
    if (is_regular_file(p)) return parse_field_layout(read_file(p), p);
  }
  std::string known, looked;
  for (const auto& n : field_layout_names()) known += (known.empty() ? "" : ", ") + n;
  for (const auto& d : dirs) looked += (looked.empty() ? "" : ", ") + d;
  throw Error(fmt::format("field layout '{}': no such file, and not a known field name (known: {}; looked in {})",
                          spec, known.empty() ? "none installed" : known, looked));
}

}  // namespace rvkit::geometry
