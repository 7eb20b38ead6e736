#include "rvkit/records/fields.hpp"

#include <cmath>

#include <fmt/format.h>

namespace rvkit::records::fields {

std::string join(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

std::string at(const std::string& where, size_t index) { return fmt::format("{}[{}]", where, index); }

void fail(const std::string& where, std::string_view problem) {
  throw RecordError(where.empty() ? std::string(problem) : fmt::format("{}: {}", where, problem));
}

const Json& object(const Json& j, const std::string& where) {
  if (!j.is_object()) fail(where, "expected an object");
  return j;
}

const Json* member(const Json& obj, std::string_view key) {
  auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

void expect_type(const Json& record, std::string_view type) {
  const Json* t = member(record, "type");
  if (!t || !t->is_string() || t->get<std::string>() != type)
    fail("type", fmt::format("expected \"{}\", got {}", type, t ? t->dump() : "none"));
}

namespace {

// The integer in `v`, nullopt when it is not an integer; throws when it is one out of [lo, hi].
std::optional<int64_t> integer_in(const Json& v, const std::string& where, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(kMaxInt))
    fail(where, fmt::format("{} is out of range {}..{}", v.dump(), lo, hi));
  int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) fail(where, fmt::format("{} is out of range {}..{}", i, lo, hi));
  return i;
}

std::optional<double> number_in(const Json& v, const std::string& where) {
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d)) fail(where, "not a finite number");
  return d;
}

}  // namespace

int64_t as_integer(const Json& v, const std::string& where, int64_t lo, int64_t hi) {
  auto i = integer_in(v, where, lo, hi);
  if (!i) fail(where, "not an integer");
  return *i;
}

double as_number(const Json& v, const std::string& where) {
  auto d = number_in(v, where);
  if (!d) fail(where, "not a number");
  return *d;
}

int64_t integer(const Json& obj, std::string_view key, const std::string& where, int64_t lo, int64_t hi) {
  const Json* v = member(obj, key);
  std::optional<int64_t> i = v ? integer_in(*v, join(where, key), lo, hi) : std::nullopt;
  if (!i) fail(join(where, key), "missing or not an integer");
  return *i;
}

std::optional<int64_t> optional_integer(const Json& obj, std::string_view key, const std::string& where, int64_t lo,
                                        int64_t hi) {
  const Json* v = member(obj, key);
  if (!v) return std::nullopt;
  return as_integer(*v, join(where, key), lo, hi);
}

double number(const Json& obj, std::string_view key, const std::string& where) {
  const Json* v = member(obj, key);
  std::optional<double> d = v ? number_in(*v, join(where, key)) : std::nullopt;
  if (!d) fail(join(where, key), "missing or not a number");
  return *d;
}

std::optional<double> optional_number(const Json& obj, std::string_view key, const std::string& where) {
  const Json* v = member(obj, key);
  if (!v) return std::nullopt;
  return as_number(*v, join(where, key));
}

std::string string(const Json& obj, std::string_view key, const std::string& where) {
  const Json* v = member(obj, key);
  if (!v || !v->is_string()) fail(join(where, key), "missing or not a string");
  return v->get<std::string>();
}

std::optional<std::string> optional_string(const Json& obj, std::string_view key, const std::string& where) {
  const Json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(join(where, key), "not a string");
  return v->get<std::string>();
}

std::optional<bool> optional_boolean(const Json& obj, std::string_view key, const std::string& where) {
  const Json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(join(where, key), "not true or false");
  return v->get<bool>();
}

}  // namespace rvkit::records::fields
