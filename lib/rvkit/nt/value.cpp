#include "rvkit/nt/value.hpp"

#include <cmath>
#include <limits>

#include <boost/beast/core/detail/base64.hpp>
#include <fmt/format.h>

namespace rvkit::nt {

NtType type_of(std::string_view s) {
  if (s == "boolean") return NtType::Boolean;
  if (s == "double") return NtType::Double;
  if (s == "int") return NtType::Int;
  if (s == "float") return NtType::Float;
  if (s == "string" || s == "json") return NtType::String;
  if (s == "boolean[]") return NtType::BooleanArray;
  if (s == "double[]") return NtType::DoubleArray;
  if (s == "int[]") return NtType::IntArray;
  if (s == "float[]") return NtType::FloatArray;
  if (s == "string[]") return NtType::StringArray;
  return NtType::Raw;
}

const char* type_string(NtType t) {
  switch (t) {
    case NtType::Boolean: return "boolean";
    case NtType::Double: return "double";
    case NtType::Int: return "int";
    case NtType::Float: return "float";
    case NtType::String: return "string";
    case NtType::Raw: return "raw";
    case NtType::BooleanArray: return "boolean[]";
    case NtType::DoubleArray: return "double[]";
    case NtType::IntArray: return "int[]";
    case NtType::FloatArray: return "float[]";
    case NtType::StringArray: return "string[]";
  }
  return "raw";
}

bool is_known_type_id(int64_t id) { return (id >= 0 && id <= 5) || (id >= 16 && id <= 20); }

// ------------------------------------------------------------------ MessagePack

void pack_value(msgpack::packer<msgpack::sbuffer>& pk, const Value& v) {
  switch (v.type()) {
    case NtType::Boolean: pk.pack(v.get<bool>()); break;
    case NtType::Int: pk.pack_int64(v.get<int64_t>()); break;
    case NtType::Float: pk.pack_float(v.get<float>()); break;
    case NtType::Double: pk.pack_double(v.get<double>()); break;
    case NtType::String: {
      const auto& s = v.get<std::string>();
      pk.pack_str(uint32_t(s.size()));
      pk.pack_str_body(s.data(), uint32_t(s.size()));
      break;
    }
    case NtType::Raw: {
      const auto& b = v.get<Bytes>();
      pk.pack_bin(uint32_t(b.size()));
      pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), uint32_t(b.size()));
      break;
    }
    case NtType::BooleanArray: {
      const auto& a = v.get<std::vector<bool>>();
      pk.pack_array(uint32_t(a.size()));
      for (bool b : a) pk.pack(b);
      break;
    }
    case NtType::IntArray: {
      const auto& a = v.get<std::vector<int64_t>>();
      pk.pack_array(uint32_t(a.size()));
      for (int64_t x : a) pk.pack_int64(x);
      break;
    }
    case NtType::FloatArray: {
      const auto& a = v.get<std::vector<float>>();
      pk.pack_array(uint32_t(a.size()));
      for (float x : a) pk.pack_float(x);
      break;
    }
    case NtType::DoubleArray: {
      const auto& a = v.get<std::vector<double>>();
      pk.pack_array(uint32_t(a.size()));
      for (double x : a) pk.pack_double(x);
      break;
    }
    case NtType::StringArray: {
      const auto& a = v.get<std::vector<std::string>>();
      pk.pack_array(uint32_t(a.size()));
      for (const auto& s : a) {
        pk.pack_str(uint32_t(s.size()));
        pk.pack_str_body(s.data(), uint32_t(s.size()));
      }
      break;
    }
  }
}

namespace {

std::optional<double> as_double(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::POSITIVE_INTEGER: return double(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return double(o.via.i64);
    default: return std::nullopt;
  }
}

std::optional<int64_t> as_int(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return int64_t(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      double d = o.via.f64;
      if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e18) return std::nullopt;
      return int64_t(d);
    }
    default: return std::nullopt;
  }
}

std::optional<std::string> as_string(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  return std::nullopt;
}

template <class T, class F>
std::optional<std::vector<T>> as_array(const msgpack::object& o, F elem) {
  if (o.type != msgpack::type::ARRAY) return std::nullopt;
  std::vector<T> out;
  out.reserve(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    auto e = elem(o.via.array.ptr[i]);
    if (!e) return std::nullopt;
    out.push_back(*e);
  }
  return out;
}

}  // namespace

std::optional<Value> value_from_msgpack(NtType t, const msgpack::object& o) {
  switch (t) {
    case NtType::Boolean:
      if (o.type != msgpack::type::BOOLEAN) return std::nullopt;
      return Value::boolean(o.via.boolean);
    case NtType::Double:
      if (auto d = as_double(o)) return Value::float64(*d);
      return std::nullopt;
    case NtType::Float:
      if (auto d = as_double(o)) return Value::float32(float(*d));
      return std::nullopt;
    case NtType::Int:
      if (auto i = as_int(o)) return Value::integer(*i);
      return std::nullopt;
    case NtType::String:
      if (auto s = as_string(o)) return Value::string(std::move(*s));
      return std::nullopt;
    case NtType::Raw:
      if (o.type == msgpack::type::BIN) {
        const auto* p = reinterpret_cast<const uint8_t*>(o.via.bin.ptr);
        return Value::raw(Bytes(p, p + o.via.bin.size));
      }
      return std::nullopt;
    case NtType::BooleanArray: {
      auto a = as_array<bool>(o, [](const msgpack::object& e) -> std::optional<bool> {
        if (e.type != msgpack::type::BOOLEAN) return std::nullopt;
        return e.via.boolean;
      });
      if (a) return Value::boolean_array(std::move(*a));
      return std::nullopt;
    }
    case NtType::DoubleArray: {
      auto a = as_array<double>(o, as_double);
      if (a) return Value::double_array(std::move(*a));
      return std::nullopt;
    }
    case NtType::FloatArray: {
      auto a = as_array<float>(o, [](const msgpack::object& e) -> std::optional<float> {
        if (auto d = as_double(e)) return float(*d);
        return std::nullopt;
      });
      if (a) return Value::float_array(std::move(*a));
      return std::nullopt;
    }
    case NtType::IntArray: {
      auto a = as_array<int64_t>(o, as_int);
      if (a) return Value::int_array(std::move(*a));
      return std::nullopt;
    }
    case NtType::StringArray: {
      auto a = as_array<std::string>(o, as_string);
      if (a) return Value::string_array(std::move(*a));
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ base64

std::string base64_encode(const uint8_t* p, size_t n) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(n), '\0');
  out.resize(b64::encode(out.data(), p, n));
  return out;
}

std::optional<Bytes> base64_decode(std::string_view s) {
  namespace b64 = boost::beast::detail::base64;
  if (s.size() % 4 != 0) return std::nullopt;
  size_t pads = 0;
  while (pads < s.size() && pads < 3 && s[s.size() - 1 - pads] == '=') ++pads;
  if (pads > 2) return std::nullopt;
  Bytes out(b64::decoded_size(s.size()));
  auto [written, read] = b64::decode(out.data(), s.data(), s.size() - pads);
  if (read != s.size() - pads) return std::nullopt;  // a character outside the alphabet
  out.resize(written);
  return out;
}

// ------------------------------------------------------------------ JSON

namespace {

void pack_json(msgpack::packer<msgpack::sbuffer>& pk, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      pk.pack_map(uint32_t(j.size()));
      for (auto it = j.begin(); it != j.end(); ++it) {
        pk.pack(it.key());
        pack_json(pk, *it);
      }
      break;
    case Json::value_t::array:
      pk.pack_array(uint32_t(j.size()));
      for (const auto& e : j) pack_json(pk, e);
      break;
    case Json::value_t::string: pk.pack(j.get<std::string>()); break;
    case Json::value_t::boolean: pk.pack(j.get<bool>()); break;
    case Json::value_t::number_integer: pk.pack_int64(j.get<int64_t>()); break;
    case Json::value_t::number_unsigned: pk.pack_uint64(j.get<uint64_t>()); break;
    case Json::value_t::number_float: pk.pack_double(j.get<double>()); break;
    default: pk.pack_nil(); break;
  }
}

}  // namespace

Json value_to_json(const Value& v) {
  switch (v.type()) {
    case NtType::Boolean: return v.get<bool>();
    case NtType::Int: return v.get<int64_t>();
    case NtType::Float: {
      float f = v.get<float>();
      return std::isfinite(f) ? Json(double(f)) : Json(nullptr);
    }
    case NtType::Double: {
      double d = v.get<double>();
      return std::isfinite(d) ? Json(d) : Json(nullptr);
    }
    case NtType::String: return v.get<std::string>();
    case NtType::Raw: {
      const auto& b = v.get<Bytes>();
      return base64_encode(b.data(), b.size());
    }
    case NtType::BooleanArray: {
      Json a = Json::array();
      for (bool b : v.get<std::vector<bool>>()) a.push_back(b);
      return a;
    }
    case NtType::IntArray: return Json(v.get<std::vector<int64_t>>());
    case NtType::FloatArray: {
      Json a = Json::array();
      for (float f : v.get<std::vector<float>>()) a.push_back(std::isfinite(f) ? Json(double(f)) : Json(nullptr));
      return a;
    }
    case NtType::DoubleArray: {
      Json a = Json::array();
      for (double d : v.get<std::vector<double>>()) a.push_back(std::isfinite(d) ? Json(d) : Json(nullptr));
      return a;
    }
    case NtType::StringArray: return Json(v.get<std::vector<std::string>>());
  }
  return nullptr;
}

namespace {
std::optional<double> json_double(const Json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_boolean()) return j.get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}
std::optional<int64_t> json_int(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e18) return std::nullopt;
    return int64_t(std::llround(d));
  }
  if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
  return std::nullopt;
}
std::optional<bool> json_bool(const Json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number()) return j.get<double>() != 0.0;
  return std::nullopt;
}
template <class T, class F>
std::optional<std::vector<T>> json_array(const Json& j, F elem) {
  if (!j.is_array()) return std::nullopt;
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& e : j) {
    auto x = elem(e);
    if (!x) return std::nullopt;
    out.push_back(*x);
  }
  return out;
}
}  // namespace

std::optional<Value> value_from_json(std::string_view ts, const Json& j) {
  if (ts == "json") return Value::string(j.dump());
  switch (type_of(ts)) {
    case NtType::Boolean:
      if (auto b = json_bool(j)) return Value::boolean(*b);
      return std::nullopt;
    case NtType::Double:
      if (auto d = json_double(j)) return Value::float64(*d);
      return std::nullopt;
    case NtType::Float:
      if (auto d = json_double(j)) return Value::float32(float(*d));
      return std::nullopt;
    case NtType::Int:
      if (auto i = json_int(j)) return Value::integer(*i);
      return std::nullopt;
    case NtType::String:
      if (j.is_string()) return Value::string(j.get<std::string>());
      return Value::string(j.dump());
    case NtType::Raw:
      if (j.is_string()) {
        if (auto b = base64_decode(j.get<std::string>())) return Value::raw(std::move(*b));
      }
      return std::nullopt;
    case NtType::BooleanArray:
      if (auto a = json_array<bool>(j, json_bool)) return Value::boolean_array(std::move(*a));
      return std::nullopt;
    case NtType::DoubleArray:
      if (auto a = json_array<double>(j, json_double)) return Value::double_array(std::move(*a));
      return std::nullopt;
    case NtType::FloatArray:
      if (auto a = json_array<float>(j, [](const Json& e) -> std::optional<float> {
            if (auto d = json_double(e)) return float(*d);
            return std::nullopt;
          }))
        return Value::float_array(std::move(*a));
      return std::nullopt;
    case NtType::IntArray:
      if (auto a = json_array<int64_t>(j, json_int)) return Value::int_array(std::move(*a));
      return std::nullopt;
    case NtType::StringArray:
      if (auto a = json_array<std::string>(j, [](const Json& e) -> std::optional<std::string> {
            if (e.is_string()) return e.get<std::string>();
            return std::nullopt;
          }))
        return Value::string_array(std::move(*a));
      return std::nullopt;
  }
  return std::nullopt;
}

Bytes json_to_msgpack(const Json& j) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pack_json(pk, j);
  const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
  return Bytes(p, p + buf.size());
}

std::string describe(const Value& v) {
  switch (v.type()) {
    case NtType::Boolean: return v.get<bool>() ? "boolean true" : "boolean false";
    case NtType::Int: return fmt::format("int {}", v.get<int64_t>());
    case NtType::Float: return fmt::format("float {}", v.get<float>());
    case NtType::Double: return fmt::format("double {}", v.get<double>());
    case NtType::String: return fmt::format("string ({} bytes)", v.get<std::string>().size());
    case NtType::Raw: return fmt::format("raw ({} bytes)", v.get<Bytes>().size());
    case NtType::BooleanArray: return fmt::format("boolean[] ({})", v.get<std::vector<bool>>().size());
    case NtType::IntArray: return fmt::format("int[] ({})", v.get<std::vector<int64_t>>().size());
    case NtType::FloatArray: return fmt::format("float[] ({})", v.get<std::vector<float>>().size());
    case NtType::DoubleArray: return fmt::format("double[] ({})", v.get<std::vector<double>>().size());
    case NtType::StringArray: return fmt::format("string[] ({})", v.get<std::vector<std::string>>().size());
  }
  return "?";
}

}  // namespace rvkit::nt
