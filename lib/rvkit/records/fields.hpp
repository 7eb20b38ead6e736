// rvkit records: reading the fields of a record, with errors that name them. Used by the record
// readers of this module (not meant for tools: they read whole records with from_json).
//
// `where` is the path of the value being read inside its record ("tags[2]", "" for the record
// itself); errors are RecordError("tags[2].corners: ..."). A required field that is absent or of the
// wrong type is "missing or not an integer" (one message for both, as overlay has always said); an
// optional field that is present must have its type ("not an integer"). `null` is a value like any
// other: only fields whose definition allows null accept it.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "rvkit/core/json.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records::fields {

// "tags[2]" and "corners" make "tags[2].corners"; "" and "cam" make "cam".
std::string join(const std::string& where, std::string_view key);
// "tags" and 2 make "tags[2]".
std::string at(const std::string& where, size_t index);
// Throws RecordError("WHERE: PROBLEM") (just PROBLEM when `where` is empty).
[[noreturn]] void fail(const std::string& where, std::string_view problem);

// `j` when it is an object, else throws "WHERE: expected an object".
const Json& object(const Json& j, const std::string& where);
// Member `key` of object `obj`, nullptr when absent.
const Json* member(const Json& obj, std::string_view key);
// The "type" of a record must be `type`.
void expect_type(const Json& record, std::string_view type);

constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

// Values: `v` is the value at `where`.
int64_t as_integer(const Json& v, const std::string& where, int64_t lo = kMinInt, int64_t hi = kMaxInt);
double as_number(const Json& v, const std::string& where);  // finite

// Members of an object.
int64_t integer(const Json& obj, std::string_view key, const std::string& where, int64_t lo = kMinInt,
                int64_t hi = kMaxInt);
std::optional<int64_t> optional_integer(const Json& obj, std::string_view key, const std::string& where,
                                        int64_t lo = kMinInt, int64_t hi = kMaxInt);
double number(const Json& obj, std::string_view key, const std::string& where);
std::optional<double> optional_number(const Json& obj, std::string_view key, const std::string& where);
std::string string(const Json& obj, std::string_view key, const std::string& where);
std::optional<std::string> optional_string(const Json& obj, std::string_view key, const std::string& where);
std::optional<bool> optional_boolean(const Json& obj, std::string_view key, const std::string& where);

}  // namespace rvkit::records::fields
