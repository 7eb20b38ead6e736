// rvkit: NetworkTables 4 data types and values (docs/nt.md; the NT4 spec, "Supported Data Types").
//
// A topic has a type string ("double", "int[]", "struct:Pose3d", ...). Each type string maps to
// one of the spec's binary data types; any string not in the spec's table is carried as raw bytes
// (type 5), which is how structs, schemas and protobufs travel.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <msgpack.hpp>

#include "rvkit/core/json.hpp"

namespace rvkit::nt {

// The binary data type ids of the NT4 spec.
enum class NtType : uint8_t {
  Boolean = 0,
  Double = 1,
  Int = 2,
  Float = 3,
  String = 4,  // also "json"
  Raw = 5,     // also "raw", "rpc", "msgpack", "protobuf", "struct:...", "structschema", any other
  BooleanArray = 16,
  DoubleArray = 17,
  IntArray = 18,
  FloatArray = 19,
  StringArray = 20,
};

// The binary type of a type string (unknown strings are raw, as the spec requires).
NtType type_of(std::string_view type_string);
// The canonical type string of a binary type ("boolean", "double", ..., "raw").
const char* type_string(NtType t);
// True for the numeric ids the spec defines.
bool is_known_type_id(int64_t id);

using Bytes = std::vector<uint8_t>;

// One value. The variant index follows the kind of data; type() tells the NT type.
class Value {
 public:
  using Storage = std::variant<bool, int64_t, float, double, std::string, Bytes, std::vector<bool>,
                               std::vector<int64_t>, std::vector<float>, std::vector<double>,
                               std::vector<std::string>>;
  Value() : type_(NtType::Boolean), v_(false) {}
  static Value boolean(bool b) { return Value(NtType::Boolean, b); }
  static Value integer(int64_t i) { return Value(NtType::Int, i); }
  static Value float32(float f) { return Value(NtType::Float, f); }
  static Value float64(double d) { return Value(NtType::Double, d); }
  static Value string(std::string s) { return Value(NtType::String, std::move(s)); }
  static Value raw(Bytes b) { return Value(NtType::Raw, std::move(b)); }
  static Value boolean_array(std::vector<bool> v) { return Value(NtType::BooleanArray, std::move(v)); }
  static Value int_array(std::vector<int64_t> v) { return Value(NtType::IntArray, std::move(v)); }
  static Value float_array(std::vector<float> v) { return Value(NtType::FloatArray, std::move(v)); }
  static Value double_array(std::vector<double> v) { return Value(NtType::DoubleArray, std::move(v)); }
  static Value string_array(std::vector<std::string> v) { return Value(NtType::StringArray, std::move(v)); }

  NtType type() const { return type_; }
  template <class T>
  const T& get() const { return std::get<T>(v_); }
  const Storage& storage() const { return v_; }
  bool operator==(const Value& o) const { return type_ == o.type_ && v_ == o.v_; }
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  template <class T>
  Value(NtType t, T&& v) : type_(t), v_(std::forward<T>(v)) {}
  NtType type_;
  Storage v_;
};

// MessagePack: writes the value's data (the 4th element of a value message).
void pack_value(msgpack::packer<msgpack::sbuffer>& pk, const Value& v);
// Reads a value of binary type `t` from a MessagePack object. Integers are accepted for
// double/float and whole doubles for int (peers differ); anything else gives nullopt.
std::optional<Value> value_from_msgpack(NtType t, const msgpack::object& o);

// JSON: the value as it appears in records (raw bytes as base64 text).
Json value_to_json(const Value& v);
// Converts a JSON value to the NT type of `type_string`. Numbers convert between int and
// double; json topics take any JSON (serialized); raw takes base64 text. nullopt if impossible.
std::optional<Value> value_from_json(std::string_view type_string, const Json& j);
// The MessagePack form of a JSON document (the payload of "msgpack" topics such as the server's
// meta topics). Numbers keep their JSON kind: doubles stay float64, where Json::to_msgpack would
// shorten some to float32.
Bytes json_to_msgpack(const Json& j);

std::string base64_encode(const uint8_t* p, size_t n);
std::optional<Bytes> base64_decode(std::string_view s);

// A short human description for logs: "double 1.5", "int[] (3)".
std::string describe(const Value& v);

}  // namespace rvkit::nt
