#include "rvkit/overlay/text_template.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::overlay {

namespace {

constexpr const char* kMissing = "--";
constexpr size_t kMaxOutput = 200;  // characters per rendered template
const std::set<std::string> kBuiltins = {"cam", "seq", "w", "h", "fps", "latency", "time", "tags", "targets"};

bool is_integer_conv(char c) { return c == 'd' || c == 'i'; }
bool is_unsigned_conv(char c) { return c == 'u' || c == 'x' || c == 'X' || c == 'o'; }
bool is_float_conv(char c) { return c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G'; }

// Checks "%[flags][width][.precision]conv" and returns "" or the problem.
bool valid_format(const std::string& f) {
  size_t i = 0, n = f.size();
  if (n < 2 || f[i++] != '%') return false;
  while (i < n && std::string_view("-+ #0").find(f[i]) != std::string_view::npos) ++i;
  size_t d = 0;
  while (i < n && std::isdigit(static_cast<unsigned char>(f[i]))) ++i, ++d;
  if (d > 2) return false;
  if (i < n && f[i] == '.') {
    ++i;
    d = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(f[i]))) ++i, ++d;
    if (d > 2) return false;
  }
  if (i + 1 != n) return false;
  char c = f[i];
  return is_integer_conv(c) || is_unsigned_conv(c) || is_float_conv(c) || c == 's';
}

std::string trimmed_fixed(double v) {
  std::string s = fmt::format("{:.2f}", v);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string as_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return trimmed_fixed(v.get<double>());
  return v.dump();
}

double as_double(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return v.get<double>();
}

int64_t as_int(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_unsigned()) return int64_t(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  double d = std::round(v.get<double>());
  if (!(d > -9.2e18)) return INT64_MIN;  // also NaN
  if (d > 9.2e18) return INT64_MAX;
  return int64_t(d);
}

std::string clip(std::string s) {
  if (s.size() > kMaxOutput) s.resize(kMaxOutput);
  return s;
}

OptionError bad(const std::string& text, const std::string& problem) { return OptionError("--text", text, problem); }

std::string utc_time(int64_t t_us) {
  time_t secs = time_t(t_us / 1000000);
  int ms = int((t_us % 1000000) / 1000);
  if (ms < 0) ms += 1000, --secs;
  std::tm tm{};
  if (!gmtime_r(&secs, &tm)) return kMissing;
  return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

std::string format_value(const Json& v, const std::string& format) {
  bool number = v.is_number() || v.is_boolean();
  if (format.empty()) return clip(as_text(v));
  char conv = format.back();
  std::string spec = format.substr(0, format.size() - 1);
  char buf[512];
  if (number && is_integer_conv(conv)) {
    std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), static_cast<long long>(as_int(v)));
  } else if (number && is_unsigned_conv(conv)) {
    std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), static_cast<unsigned long long>(as_int(v)));
  } else if (number && is_float_conv(conv)) {
    std::snprintf(buf, sizeof buf, format.c_str(), as_double(v));
  } else if (conv == 's') {
    std::snprintf(buf, sizeof buf, format.c_str(), clip(as_text(v)).c_str());
  } else {
    return clip(as_text(v));  // a string, array or object shown with a number's format: as it is
  }
  return clip(buf);
}

TextTemplate TextTemplate::parse(const std::string& text) {
  TextTemplate t;
  t.text_ = text;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Part p;
    p.text = std::move(literal);
    t.parts_.push_back(std::move(p));
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      throw bad(text, fmt::format("unmatched '}}' at column {} (write '}}}}' for a brace)", i + 1));
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 1);
    if (close == std::string::npos)
      throw bad(text, fmt::format("unclosed '{{' at column {} (write '{{{{' for a brace)", i + 1));
    std::string field = text.substr(i + 1, close - i - 1);
    if (field.find('{') != std::string::npos)
      throw bad(text, fmt::format("'{{' inside the field at column {}", i + 1));
    flush();
    Part p;
    size_t colon = field.rfind(":%");
    if (colon != std::string::npos) {
      p.format = field.substr(colon + 1);
      field.resize(colon);
      if (!valid_format(p.format))
        throw bad(text, fmt::format("'{}' is not a printf format for one value (e.g. %.2f, %5.1f, %d, %s)",
                                          p.format));
    }
    if (!field.empty() && field[0] == '#') {
      p.count = true;
      field.erase(0, 1);
    }
    if (field.empty()) throw bad(text, fmt::format("empty field at column {}", i + 1));
    if (field[0] == '/') {
      p.kind = Kind::Topic;
      p.text = field;
      t.topics_.insert(field);
    } else if (size_t slash = field.find('/'); slash != std::string::npos) {
      p.kind = Kind::Field;
      std::string type = field.substr(0, slash);
      if (size_t at = type.find('@'); at != std::string::npos) {
        p.cam = type.substr(at + 1);
        type.resize(at);
        if (p.cam.empty()) throw bad(text, fmt::format("'{}': no camera after '@'", field));
      }
      if (type.empty()) throw bad(text, fmt::format("'{}': no record type before '/'", field));
      p.text = type;
      try {
        p.pointer = Json::json_pointer(field.substr(slash));
      } catch (const Json::exception&) {
        throw bad(text, fmt::format("'{}': '{}' is not a JSON Pointer ('~' must be ~0 or ~1)", field,
                                          field.substr(slash + 1)));
      }
      t.types_.insert(type);
    } else if (kBuiltins.count(field) && !p.count) {
      p.kind = Kind::Builtin;
      p.text = field;
    } else {
      throw bad(text, fmt::format("unknown name '{}': use a built-in (cam, seq, w, h, fps, latency, time, tags, "
                                        "targets), an NT topic (/Table/key) or a record field (TYPE/field, e.g. "
                                        "detections/tags/0/id)", (p.count ? "#" : "") + field));
    }
    t.parts_.push_back(std::move(p));
    i = close;
  }
  flush();
  return t;
}

std::string TextTemplate::render(const TemplateContext& ctx) const {
  std::string out;
  for (const Part& p : parts_) {
    if (p.kind == Kind::Literal) {
      out += p.text;
      continue;
    }
    const Json* v = nullptr;
    Json tmp;
    if (p.kind == Kind::Builtin) {
      const FrameDetections* det = ctx.frame_record ? ctx.frame_record->detections.get() : nullptr;
      const std::string& n = p.text;
      if (n == "cam") tmp = ctx.cam;
      else if (n == "seq") tmp = ctx.seq;
      else if (n == "w") tmp = ctx.w;
      else if (n == "h") tmp = ctx.h;
      else if (n == "time") tmp = utc_time(ctx.t_capture);
      else if (n == "tags" && det) tmp = det->tags.size();
      else if (n == "targets" && det) tmp = det->targets.size();
      else if (n == "fps" && ctx.fps > 0) tmp = p.format.empty() ? Json(fmt::format("{:.1f}", ctx.fps)) : Json(ctx.fps);
      else if (n == "latency") tmp = p.format.empty() ? Json(fmt::format("{:.0f}", ctx.latency_ms)) : Json(ctx.latency_ms);
      if (!tmp.is_null()) v = &tmp;
    } else if (p.kind == Kind::Topic) {
      v = ctx.store ? ctx.store->nt_value(p.text) : nullptr;
    } else {
      const std::string& cam = p.cam.empty() ? ctx.cam : p.cam;
      const Record* r = nullptr;
      if (ctx.frame_record && ctx.frame_record->type == p.text && ctx.frame_record->cam == cam) r = ctx.frame_record;
      else if (ctx.store) r = ctx.store->latest(p.text, cam);
      if (r) {
        try {
          if (r->json.contains(p.pointer)) v = &r->json.at(p.pointer);
        } catch (const Json::exception&) {
          v = nullptr;  // e.g. "tags/x" on an array: not there
        }
        if (!v && p.count) {
          tmp = 0;
          v = &tmp;
        }
      }
    }
    if (v && p.count) {
      tmp = (v->is_array() || v->is_object()) ? v->size() : size_t(0);
      v = &tmp;
    }
    out += v ? format_value(*v, p.format) : kMissing;
  }
  return clip(out);
}

}  // namespace rvkit::overlay
