// rvkit ntserver: persistent topics: loaded from the --persist file at start, saved to it (at most
// once a second, and at stop) when they change.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/nt/server/impl.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

using namespace server;

void Server::Impl::load_persistent() {
  if (opts.persist_file.empty()) return;
  std::ifstream in(opts.persist_file);
  if (!in) return;  // nothing saved yet
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    log(fmt::format("{}: not a JSON array of topics; starting without persistent topics", opts.persist_file));
    return;
  }
  size_t n = 0;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("type") ||
        !e["type"].is_string() || !e.contains("value")) {
      log(fmt::format("{}: skipping an entry without name, type and value", opts.persist_file));
      continue;
    }
    std::string name = e["name"], type = e["type"];
    std::optional<Value> v;
    if (type_of(type) == NtType::String) {
      if (e["value"].is_string()) v = Value::string(e["value"].get<std::string>());
    } else {
      v = value_from_json(type, e["value"]);
    }
    if (!v || topics.find(name) || name.empty() || name[0] == '$') {
      log(fmt::format("{}: skipping topic {} (bad value or duplicate)", opts.persist_file, name));
      continue;
    }
    Json props = e.contains("properties") && e["properties"].is_object() ? e["properties"] : Json::object();
    props["persistent"] = true;
    Topic& t = create_topic(name, type, props, false);
    set_value(t, std::move(*v), mono_us(), nullptr);
    ++n;
  }
  topics.persist_dirty = false;
  log(fmt::format("loaded {} persistent topics from {}", n, opts.persist_file));
}

void Server::Impl::save_persistent() {
  if (opts.persist_file.empty() || !topics.persist_dirty) return;
  Json a = Json::array();
  for (const auto& [id, t] : topics) {
    if (!t.persistent() || !t.value) continue;
    a.push_back(Json{{"name", t.name}, {"type", t.type}, {"value", value_to_json(*t.value)}, {"properties", t.props}});
  }
  std::string tmp = opts.persist_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << a.dump(2) << "\n";
    if (!out) {
      log(fmt::format("cannot write {}", tmp));
      return;
    }
  }
  if (std::rename(tmp.c_str(), opts.persist_file.c_str()) != 0) {
    log(fmt::format("cannot replace {}", opts.persist_file));
    return;
  }
  topics.persist_dirty = false;
}

void Server::Impl::persist_tick() {
  if (opts.persist_file.empty()) return;
  persist_timer.expires_after(std::chrono::seconds(1));
  persist_timer.async_wait([this](const error_code& ec) {
    if (ec || stopping) return;
    save_persistent();
    persist_tick();
  });
}

}  // namespace rvkit::nt
