// rvkit supervisor: the launch file's reader (see launch_file.hpp and docs/launch.md).
//
// toml++ parses; this file walks the document table by table ([vars] first: the other tables need
// its variables) and checks every key in the order the keys appear in the file (toml++ keeps a
// table's keys sorted by name, so they are sorted back by their source position first), then what
// needs all processes at once (names, after, cycles). The first problem found is the one reported.
#include "rvkit/supervisor/launch_file.hpp"

#include <unistd.h>  // sysconf

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace rvkit::supervisor {

const char* to_string(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::Always: return "always";
    case RestartPolicy::OnFailure: return "on-failure";
    case RestartPolicy::Never: return "never";
  }
  return "?";
}

namespace {

// The keys each table may hold, in the order docs/launch.md lists them (also the order of the
// "the keys of ... are" hint).
const std::vector<std::string> kTopKeys = {"vars", "hub", "defaults", "process"};
const std::vector<std::string> kHubKeys = {"enabled", "args", "http", "control", "log_lines"};
const std::vector<std::string> kProcessKeys = {"name", "enabled", "cmd",    "sh",     "env",      "cwd",   "restart",
                                               "backoff", "limit", "after", "ready",    "stall", "topics",
                                               "cpus",  "nice",   "notify", "watchdog", "stop_timeout"};
// A process's own keys: meaningless (or a sure cycle) if [defaults] gave them to every process.
const std::vector<std::string> kOwnKeys = {"name", "cmd", "sh", "after"};
const std::vector<std::string> kBackoffKeys = {"first", "factor", "max", "reset"};
const std::vector<std::string> kLimitKeys = {"restarts", "window"};
const std::vector<std::string> kReadyKeys = {"topic", "port", "host", "timeout"};
const std::vector<std::string> kStallKeys = {"topic", "seconds"};
const std::vector<std::string> kRestartValues = {"always", "on-failure", "never"};
const std::vector<std::string> kReadyValues = {"started", "notify"};

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string join(const std::vector<std::string>& list, const char* sep = ", ") {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Edit distance with adjacent transpositions counted as one edit ("restrat" is one from "restart").
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The candidate `word` was most likely meant to be, "" if none is close (at most two edits, and
// fewer than the word's own length, so "x" does not suggest "sh").
std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  const std::string w = lower(word);
  for (const auto& c : candidates) {
    const size_t dist = edit_distance(w, lower(c));
    if (dist < best_distance && dist < std::max<size_t>(w.size(), 2)) {
      best = c;
      best_distance = dist;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         const char* before = "'", const char* after = "'") {
  const std::string n = nearest(word, candidates);
  return n.empty() ? "" : fmt::format(" (did you mean {}{}{}?)", before, n, after);
}

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }
int line_of(const toml::key& k) { return static_cast<int>(k.source().begin.line); }

// A table's entries in file order.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (const auto& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

std::string dotted(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

bool valid_process_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool valid_var_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int machine_cpu_count() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// A process being read, with what the checks after all processes are read need.
struct ProcessEntry {
  ProcessSpec spec;
  std::string path;                    // "process[2]"
  std::map<std::string, int> key_line;  // the line each key was last set on (here or in [defaults])
  std::vector<int> after_lines;        // one per spec.after
};

class Parser {
 public:
  Parser(std::string file, const LaunchOptions& options)
      : file_(std::move(file)),
        set_(options.vars),
        cpu_count_(options.cpu_count > 0 ? options.cpu_count : machine_cpu_count()) {}

  LaunchFile parse(std::string_view text) {
    toml::table doc;
    try {
      doc = toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      // toml++ says "Error while parsing value: ..."; as "syntax error while parsing value: ...".
      std::string_view what = e.description();
      const std::string_view prefix = "Error while ";
      const std::string problem = what.substr(0, prefix.size()) == prefix
                                      ? fmt::format("syntax error while {}", what.substr(prefix.size()))
                                      : fmt::format("syntax error: {}", what);
      fail(static_cast<int>(e.source().begin.line), "", problem);
    }
    LaunchFile out;
    out.path = file_;
    const toml::table* vars = nullptr;
    const toml::table* hub = nullptr;
    const toml::table* defaults = nullptr;
    const toml::array* processes = nullptr;
    for (const auto& [k, v] : in_file_order(doc)) {
      const std::string key(k->str());
      if (!contains(kTopKeys, key)) unknown_key(*k, "", kTopKeys, "a launch file's tables");
      if (key == "process") {
        processes = v->as_array();
        if (processes == nullptr || (!processes->empty() && !processes->is_array_of_tables()))
          fail(line_of(*v), key, fmt::format("expected an array of tables ([[process]]), got {}", type_name(*v)));
      } else {
        const toml::table* t = expect_table(*v, key);
        (key == "vars" ? vars : key == "hub" ? hub : defaults) = t;
      }
    }
    read_vars(vars);
    if (hub != nullptr) read_hub(*hub, out.hub);

    ProcessEntry base;
    if (defaults != nullptr) read_process_keys(*defaults, "defaults", base, /*is_defaults=*/true);

    std::vector<ProcessEntry> entries;
    if (processes != nullptr) {
      for (size_t i = 0; i < processes->size(); ++i) {
        const toml::table& t = *processes->get(i)->as_table();
        ProcessEntry e = base;
        e.path = fmt::format("process[{}]", i);
        e.spec.line = line_of(t);
        e.after_lines.clear();
        read_process_keys(t, e.path, e, /*is_defaults=*/false);
        check_process(t, e, out.hub);
        entries.push_back(std::move(e));
      }
    }
    check_names(entries);
    check_after(entries);
    check_cycles(entries);
    // A process with enabled = false is checked like the others, then left out; waiting for it is
    // waiting for nothing.
    std::vector<std::string> disabled;
    for (const auto& e : entries)
      if (!e.spec.enabled) disabled.push_back(e.spec.name);
    for (auto& e : entries) {
      if (!e.spec.enabled) continue;
      auto& after = e.spec.after;
      after.erase(std::remove_if(after.begin(), after.end(), [&](const std::string& d) { return contains(disabled, d); }),
                  after.end());
      out.processes.push_back(std::move(e.spec));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& key, const std::string& problem) const {
    if (key.empty()) throw LaunchFileError(fmt::format("{}:{}: {}", file_, line, problem));
    throw LaunchFileError(fmt::format("{}:{}: {}: {}", file_, line, key, problem));
  }

  [[noreturn]] void unknown_key(const toml::key& k, const std::string& path, const std::vector<std::string>& allowed,
                                const char* what) const {
    const std::string hint = did_you_mean(k.str(), allowed);
    fail(line_of(k), dotted(path, k.str()),
         hint.empty() ? fmt::format("unknown key ({} are: {})", what, join(allowed)) : "unknown key" + hint);
  }

  [[noreturn]] void wrong_type(const toml::node& n, const std::string& key, const char* expected) const {
    fail(line_of(n), key, fmt::format("expected {}, got {}", expected, type_name(n)));
  }

  const toml::table* expect_table(const toml::node& n, const std::string& key) const {
    if (!n.is_table()) wrong_type(n, key, "a table");
    return n.as_table();
  }

  // ${NAME} replaced, $$ made '$'; any other '$' is kept (a shell's $HOME passes through).
  std::string substitute(std::string_view s, int line, const std::string& key) const {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '$' || i + 1 == s.size()) {
        out += s[i];
      } else if (s[i + 1] == '$') {
        out += '$';
        ++i;
      } else if (s[i + 1] == '{') {
        const size_t end = s.find('}', i + 2);
        if (end == std::string_view::npos) fail(line, key, fmt::format("'${{' without a closing '}}' in \"{}\"", s));
        const std::string name(s.substr(i + 2, end - i - 2));
        const auto it = vars_.find(name);
        if (it == vars_.end()) {
          std::vector<std::string> names;
          for (const auto& [n, v] : vars_) names.push_back(n);
          fail(line, key, fmt::format("undefined variable ${{{}}}{}", name, did_you_mean(name, names, "${", "}")));
        }
        out += it->second;
        i = end;
      } else {
        out += s[i];
      }
    }
    return out;
  }

  std::string literal_string(const toml::node& n, const std::string& key) const {
    if (!n.is_string()) wrong_type(n, key, "a string");
    return std::string(n.as_string()->get());
  }

  std::string string_value(const toml::node& n, const std::string& key) const {
    return substitute(literal_string(n, key), line_of(n), key);
  }

  std::vector<std::string> string_array(const toml::node& n, const std::string& key) const {
    const toml::array* a = n.as_array();
    if (a == nullptr) wrong_type(n, key, "an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& item = *a->get(i);
      const std::string item_key = fmt::format("{}[{}]", key, i);
      out.push_back(string_value(item, item_key));
    }
    return out;
  }

  // A boolean, an integer or a number may also be given as a string, so that a ${var} can set it
  // (e.g. port = "${nt_port}"); the string must then be exactly one such value.
  bool bool_value(const toml::node& n, const std::string& key) const {
    if (n.is_string()) {
      const std::string s = string_value(n, key);
      if (s == "true" || s == "1") return true;
      if (s == "false" || s == "0" || s.empty()) return false;
      fail(line_of(n), key, fmt::format("expected a boolean (true or false), got the string '{}'", s));
    }
    if (!n.is_boolean()) wrong_type(n, key, "a boolean (true or false)");
    return n.as_boolean()->get();
  }

  int64_t int_value(const toml::node& n, const std::string& key) const {
    if (n.is_string()) {
      const std::string s = string_value(n, key);
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        fail(line_of(n), key, fmt::format("expected an integer, got the string '{}'", s));
      return v;
    }
    if (!n.is_integer()) wrong_type(n, key, "an integer");
    return n.as_integer()->get();
  }

  int int_in(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) const {
    const int64_t v = int_value(n, key);
    if (v < lo || v > hi) fail(line_of(n), key, fmt::format("{} is outside {}..{}", v, lo, hi));
    return static_cast<int>(v);
  }

  double number_value(const toml::node& n, const std::string& key) const {
    double v = 0;
    if (n.is_string()) {
      const std::string s = string_value(n, key);
      char* end = nullptr;
      v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0') fail(line_of(n), key, fmt::format("expected a number, got the string '{}'", s));
    } else if (n.is_integer()) {
      v = static_cast<double>(n.as_integer()->get());
    } else if (n.is_floating_point()) {
      v = n.as_floating_point()->get();
    } else {
      wrong_type(n, key, "a number");
    }
    if (!std::isfinite(v)) fail(line_of(n), key, "must be a finite number");
    return v;
  }

  // A duration in seconds that must be > 0 (zero_ok: >= 0).
  double seconds_value(const toml::node& n, const std::string& key, bool zero_ok = false) const {
    const double v = number_value(n, key);
    if (v < 0 || (v == 0 && !zero_ok))
      fail(line_of(n), key, fmt::format("must be {} seconds, got {}", zero_ok ? "0 or more" : "more than 0", v));
    return v;
  }

  void read_vars(const toml::table* vars) {
    if (vars != nullptr) {
      for (const auto& [k, v] : in_file_order(*vars)) {
        const std::string key = dotted("vars", k->str());
        if (!valid_var_name(k->str()))
          fail(line_of(*k), key, "a variable's name is letters, digits and '_', not starting with a digit");
        vars_[std::string(k->str())] = literal_string(*v, key);
      }
    }
    for (const auto& [name, value] : set_) {
      if (vars_.count(name) == 0) {
        std::vector<std::string> names;
        for (const auto& [n, v] : vars_) names.push_back(n);
        throw LaunchFileError(fmt::format("{}: --set {}: not a variable of [vars]{}", file_, name,
                                          did_you_mean(name, names)));
      }
      vars_[name] = value;
    }
  }

  void read_hub(const toml::table& t, HubSettings& hub) const {
    for (const auto& [k, v] : in_file_order(t)) {
      const std::string name(k->str());
      const std::string key = dotted("hub", name);
      if (name == "enabled") {
        hub.enabled = bool_value(*v, key);
      } else if (name == "args") {
        hub.args = string_array(*v, key);
      } else if (name == "http") {
        hub.http_port = int_in(*v, key, 1, 65535);
      } else if (name == "control") {
        hub.control = string_value(*v, key);
        if (hub.control.empty()) fail(line_of(*v), key, "must not be empty (leave it out for the default)");
      } else if (name == "log_lines") {
        hub.log_lines = int_in(*v, key, 1, 1000000);
      } else {
        unknown_key(*k, "hub", kHubKeys, "the keys of [hub]");
      }
    }
  }

  void read_process_keys(const toml::table& t, const std::string& path, ProcessEntry& e, bool is_defaults) const {
    ProcessSpec& p = e.spec;
    bool has_cmd = false;
    bool has_sh = false;
    for (const auto& [k, vp] : in_file_order(t)) {
      const toml::node& v = *vp;
      const std::string name(k->str());
      const std::string key = dotted(path, name);
      if (!contains(kProcessKeys, name)) unknown_key(*k, path, kProcessKeys, "the keys of a process");
      if (is_defaults && contains(kOwnKeys, name))
        fail(line_of(*k), key, "not allowed in [defaults]: each process gives its own");
      e.key_line[name] = line_of(*k);
      if (name == "enabled") {
        p.enabled = bool_value(v, key);
      } else if (name == "name") {
        p.name = string_value(v, key);
        if (!valid_process_name(p.name))
          fail(line_of(v), key, fmt::format("'{}' is not a valid name: use letters, digits, '_', '.' and '-'", p.name));
      } else if (name == "cmd") {
        p.cmd = string_array(v, key);
        if (p.cmd.empty()) fail(line_of(v), key, "must not be empty: the program and its arguments");
        if (p.cmd[0].empty()) fail(line_of(v), key + "[0]", "the program's name must not be empty");
        has_cmd = true;
      } else if (name == "sh") {
        p.sh = string_value(v, key);
        if (p.sh.find_first_not_of(" \t\n") == std::string::npos)
          fail(line_of(v), key, "must not be empty: a shell command line");
        has_sh = true;
      } else if (name == "env") {
        const toml::table* env = expect_table(v, key);
        for (const auto& [ek, evp] : in_file_order(*env)) {
          const std::string env_key = dotted(key, ek->str());
          if (ek->str().empty() || ek->str().find('=') != std::string_view::npos)
            fail(line_of(*ek), env_key, "an environment variable's name must be non-empty, without '='");
          p.env[std::string(ek->str())] = string_value(*evp, env_key);
        }
      } else if (name == "cwd") {
        p.cwd = string_value(v, key);
      } else if (name == "restart") {
        const std::string r = string_value(v, key);
        if (r == "always") {
          p.restart = RestartPolicy::Always;
        } else if (r == "on-failure") {
          p.restart = RestartPolicy::OnFailure;
        } else if (r == "never") {
          p.restart = RestartPolicy::Never;
        } else {
          fail(line_of(v), key,
               fmt::format("'{}' is not one of always, on-failure, never{}", r, did_you_mean(r, kRestartValues)));
        }
      } else if (name == "backoff") {
        read_backoff(*expect_table(v, key), key, p.backoff);
      } else if (name == "limit") {
        read_limit(*expect_table(v, key), key, p.limit);
      } else if (name == "after") {
        p.after = string_array(v, key);
        e.after_lines.clear();
        for (size_t i = 0; i < p.after.size(); ++i) e.after_lines.push_back(line_of(*v.as_array()->get(i)));
      } else if (name == "ready") {
        read_ready(v, key, p);
      } else if (name == "stall") {
        p.stalls.clear();
        if (const toml::array* a = v.as_array()) {
          for (size_t i = 0; i < a->size(); ++i) {
            const std::string item_key = fmt::format("{}[{}]", key, i);
            p.stalls.push_back(read_stall(*expect_table(*a->get(i), item_key), item_key));
          }
        } else if (v.is_table()) {
          p.stalls.push_back(read_stall(*v.as_table(), key));
        } else {
          wrong_type(v, key, "a table {topic, seconds} or an array of them");
        }
      } else if (name == "topics") {
        p.topics = string_array(v, key);
        for (size_t i = 0; i < p.topics.size(); ++i)
          if (p.topics[i].empty()) fail(line_of(*v.as_array()->get(i)), fmt::format("{}[{}]", key, i), "must not be empty");
      } else if (name == "cpus") {
        p.cpus.clear();
        auto add_cpu = [&](int64_t cpu, int line, const std::string& item_key) {
          if (cpu < 0 || cpu >= cpu_count_)
            fail(line, item_key,
                 fmt::format("no CPU {}: this machine has {} CPU{} (0..{})", cpu, cpu_count_, cpu_count_ == 1 ? "" : "s",
                             cpu_count_ - 1));
          if (std::find(p.cpus.begin(), p.cpus.end(), cpu) == p.cpus.end()) p.cpus.push_back(static_cast<int>(cpu));
        };
        if (v.is_string()) {  // a CPU list as taskset and cpusets write it: "0", "1-3", "0,2-3"
          const std::string list = string_value(v, key);
          size_t pos = 0;
          while (pos <= list.size()) {
            const size_t comma = std::min(list.find(',', pos), list.size());
            const std::string part = list.substr(pos, comma - pos);
            int64_t lo = 0, hi = 0;
            const char* b = part.data();
            const char* e = b + part.size();
            auto r = std::from_chars(b, e, lo);
            hi = lo;
            if (r.ec == std::errc() && r.ptr != e && *r.ptr == '-') r = std::from_chars(r.ptr + 1, e, hi);
            if (part.empty() || r.ec != std::errc() || r.ptr != e || hi < lo)
              fail(line_of(v), key, fmt::format("'{}' is not a CPU list (like \"0\", \"1-3\" or \"0,2-3\")", list));
            for (int64_t c = lo; c <= hi; ++c) add_cpu(c, line_of(v), key);
            pos = comma + 1;
          }
        } else {
          const toml::array* a = v.as_array();
          if (a == nullptr) wrong_type(v, key, "an array of integers or a CPU list string (\"1-3\")");
          for (size_t i = 0; i < a->size(); ++i) {
            const toml::node& item = *a->get(i);
            const std::string item_key = fmt::format("{}[{}]", key, i);
            add_cpu(int_value(item, item_key), line_of(item), item_key);
          }
        }
      } else if (name == "nice") {
        p.nice = int_in(v, key, -20, 19);
      } else if (name == "notify") {
        p.notify = bool_value(v, key);
      } else if (name == "watchdog") {
        p.watchdog_s = seconds_value(v, key, /*zero_ok=*/true);
      } else if (name == "stop_timeout") {
        p.stop_timeout_s = seconds_value(v, key);
      }
    }
    if (is_defaults) return;
    if (has_cmd && has_sh)
      fail(std::max(e.key_line["cmd"], e.key_line["sh"]), path, "both cmd and sh: give one of them");
    if (!has_cmd && !has_sh) fail(line_of(t), path, "no command: give cmd = [\"program\", \"arg\", ...] or sh = \"...\"");
  }

  void read_backoff(const toml::table& t, const std::string& path, Backoff& b) const {
    for (const auto& [k, v] : in_file_order(t)) {
      const std::string name(k->str());
      const std::string key = dotted(path, name);
      if (name == "first") {
        b.first_s = seconds_value(*v, key, /*zero_ok=*/true);
      } else if (name == "factor") {
        b.factor = number_value(*v, key);
        if (b.factor < 1) fail(line_of(*v), key, fmt::format("must be 1 or more, got {}", b.factor));
      } else if (name == "max") {
        b.max_s = seconds_value(*v, key, /*zero_ok=*/true);
      } else if (name == "reset") {
        b.reset_after_s = seconds_value(*v, key);
      } else {
        unknown_key(*k, path, kBackoffKeys, "the keys of backoff");
      }
    }
    // Checked on the whole of it: a process may change only one of them from [defaults].
    if (b.max_s < b.first_s)
      fail(line_of(t), path, fmt::format("max ({} s) is less than first ({} s)", b.max_s, b.first_s));
  }

  void read_limit(const toml::table& t, const std::string& path, RestartLimit& l) const {
    for (const auto& [k, v] : in_file_order(t)) {
      const std::string name(k->str());
      const std::string key = dotted(path, name);
      if (name == "restarts") {
        l.restarts = int_in(*v, key, 0, 1000000);
      } else if (name == "window") {
        l.window_s = seconds_value(*v, key);
      } else {
        unknown_key(*k, path, kLimitKeys, "the keys of limit");
      }
    }
  }

  void read_ready(const toml::node& v, const std::string& key, ProcessSpec& p) const {
    Readiness r;
    if (v.is_string()) {
      const std::string s = string_value(v, key);
      if (s == "started") {
        r.kind = Readiness::Kind::Started;
      } else if (s == "notify") {
        r.kind = Readiness::Kind::Notify;
        p.notify = true;  // READY=1 needs NOTIFY_SOCKET
      } else {
        fail(line_of(v), key,
             fmt::format("'{}' is not started, notify, {{topic = ...}} or {{port = ...}}{}", s,
                         did_you_mean(s, kReadyValues)));
      }
    } else if (const toml::table* t = v.as_table()) {
      bool has_topic = false;
      bool has_port = false;
      int host_line = 0;
      for (const auto& [k, item] : in_file_order(*t)) {
        const std::string name(k->str());
        const std::string item_key = dotted(key, name);
        if (name == "topic") {
          r.topic = string_value(*item, item_key);
          if (r.topic.empty()) fail(line_of(*item), item_key, "must not be empty");
          has_topic = true;
        } else if (name == "port") {
          r.port = int_in(*item, item_key, 1, 65535);
          has_port = true;
        } else if (name == "host") {
          r.host = string_value(*item, item_key);
          if (r.host.empty()) fail(line_of(*item), item_key, "must not be empty");
          host_line = line_of(*k);
        } else if (name == "timeout") {
          r.timeout_s = seconds_value(*item, item_key);
        } else {
          unknown_key(*k, key, kReadyKeys, "the keys of ready");
        }
      }
      if (has_topic && has_port) fail(line_of(v), key, "both topic and port: give one of them");
      if (!has_topic && !has_port) fail(line_of(v), key, "give topic = \"...\" or port = N");
      if (host_line != 0 && !has_port) fail(host_line, dotted(key, "host"), "goes with port, not topic");
      r.kind = has_topic ? Readiness::Kind::Topic : Readiness::Kind::Port;
    } else {
      wrong_type(v, key, "a string (\"started\", \"notify\") or a table ({topic = ...} or {port = ...})");
    }
    p.ready = r;
  }

  Stall read_stall(const toml::table& t, const std::string& path) const {
    Stall s;
    bool has_seconds = false;
    for (const auto& [k, v] : in_file_order(t)) {
      const std::string name(k->str());
      const std::string key = dotted(path, name);
      if (name == "topic") {
        s.topic = string_value(*v, key);
        if (s.topic.empty()) fail(line_of(*v), key, "must not be empty");
      } else if (name == "seconds") {
        s.seconds = seconds_value(*v, key);
        has_seconds = true;
      } else {
        unknown_key(*k, path, kStallKeys, "the keys of stall");
      }
    }
    if (s.topic.empty()) fail(line_of(t), path, "no topic: give topic = \"...\" and seconds = N");
    if (!has_seconds) fail(line_of(t), path, "no seconds: give topic = \"...\" and seconds = N");
    return s;
  }

  // The checks of one process whose keys come from [defaults] and its own table together.
  void check_process(const toml::table& t, ProcessEntry& e, const HubSettings& hub) const {
    const ProcessSpec& p = e.spec;
    if (!e.key_line.count("name")) fail(line_of(t), e.path, "no name: give name = \"...\"");
    if (hub.enabled && p.name == "hub")
      fail(e.key_line["name"], dotted(e.path, "name"),
           "'hub' is the message hub's name (hub status and hub logs know it so): choose another");
    if (p.watchdog_s > 0 && !p.notify)
      fail(e.key_line["watchdog"], dotted(e.path, "watchdog"), "needs notify = true (WATCHDOG=1 comes over NOTIFY_SOCKET)");
    if (!hub.enabled) {
      if (!p.stalls.empty())
        fail(e.key_line["stall"], dotted(e.path, "stall"), "needs the hub, but [hub] has enabled = false");
      if (p.ready.kind == Readiness::Kind::Topic)
        fail(e.key_line["ready"], dotted(e.path, "ready"), "a topic needs the hub, but [hub] has enabled = false");
    }
  }

  void check_names(const std::vector<ProcessEntry>& entries) const {
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      const auto [it, fresh] = seen.emplace(e.spec.name, i);
      if (!fresh) {
        const auto& first = entries[it->second];
        fail(e.key_line.at("name"), dotted(e.path, "name"),
             fmt::format("'{}' is already the name of {} (line {})", e.spec.name, first.path, first.key_line.at("name")));
      }
    }
  }

  void check_after(const std::vector<ProcessEntry>& entries) const {
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.spec.name);
    for (const auto& e : entries) {
      for (size_t i = 0; i < e.spec.after.size(); ++i) {
        const std::string& dep = e.spec.after[i];
        if (!contains(names, dep))
          fail(e.after_lines[i], fmt::format("{}.after[{}]", e.path, i),
               fmt::format("no process named '{}'{}", dep, did_you_mean(dep, names)));
      }
    }
  }

  // A depth-first walk along `after` in file order; the first edge back to a process on the current
  // path closes a cycle, reported at that process's `after` as "a -> b -> a" (a waits for b, ...).
  void check_cycles(const std::vector<ProcessEntry>& entries) const {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < entries.size(); ++i) index[entries[i].spec.name] = i;
    enum { Unseen, OnPath, Done };
    std::vector<int> mark(entries.size(), Unseen);
    std::vector<size_t> path;
    std::function<void(size_t)> visit = [&](size_t i) {
      mark[i] = OnPath;
      path.push_back(i);
      for (const auto& dep : entries[i].spec.after) {
        const size_t j = index.at(dep);
        if (mark[j] == OnPath) {
          const auto start = std::find(path.begin(), path.end(), j);
          std::vector<std::string> cycle;
          for (auto it = start; it != path.end(); ++it) cycle.push_back(entries[*it].spec.name);
          cycle.push_back(entries[j].spec.name);
          fail(entries[j].key_line.at("after"), dotted(entries[j].path, "after"),
               "dependency cycle: " + join(cycle, " -> "));
        }
        if (mark[j] == Unseen) visit(j);
      }
      path.pop_back();
      mark[i] = Done;
    };
    for (size_t i = 0; i < entries.size(); ++i)
      if (mark[i] == Unseen) visit(i);
  }

  std::string file_;
  std::map<std::string, std::string> set_;
  std::map<std::string, std::string> vars_;
  int cpu_count_;
};

}  // namespace

LaunchFile parse_launch_file(std::string_view text, const std::string& name, const LaunchOptions& options) {
  return Parser(name, options).parse(text);
}

LaunchFile read_launch_file(const std::string& path, const LaunchOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LaunchFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw LaunchFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return parse_launch_file(text.str(), path, options);
}

void add_set_option(std::map<std::string, std::string>& vars, std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw LaunchFileError(fmt::format("--set {}: expected NAME=VALUE", arg));
  vars[std::string(arg.substr(0, eq))] = std::string(arg.substr(eq + 1));
}

std::vector<size_t> start_order(const LaunchFile& f) {
  const auto& ps = f.processes;
  std::vector<size_t> order;
  std::vector<bool> placed(ps.size(), false);
  auto index_of = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < ps.size(); ++i)
      if (ps[i].name == name) return i;
    throw LaunchFileError(fmt::format("{}: no process named '{}'", f.path, name));
  };
  while (order.size() < ps.size()) {
    bool progressed = false;
    for (size_t i = 0; i < ps.size() && !progressed; ++i) {
      if (placed[i]) continue;
      const bool ready = std::all_of(ps[i].after.begin(), ps[i].after.end(),
                                     [&](const std::string& dep) { return placed[index_of(dep)]; });
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        progressed = true;
      }
    }
    if (!progressed) throw LaunchFileError(fmt::format("{}: the processes' `after` lists form a cycle", f.path));
  }
  return order;
}

std::string launched_program(const ProcessSpec& p) {
  std::string path;
  if (!p.cmd.empty()) {
    path = p.cmd[0];
  } else {
    std::istringstream words(p.sh);
    std::string first;
    if (!(words >> first) || first != "exec" || !(words >> path)) return "";
    // `exec VAR=x rec` or `exec -a name rec` would run something else than the word: not ours to guess.
    if (path.find('=') != std::string::npos || path[0] == '-' || path.find_first_of("'\"$`;|&<>()") != std::string::npos)
      return "";
  }
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace rvkit::supervisor
