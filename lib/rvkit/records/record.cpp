#include "rvkit/records/record.hpp"

namespace rvkit::records {

namespace {

template <size_t I = 0>
void collect_types(std::vector<std::string>& out) {
  if constexpr (I < std::variant_size_v<Record>) {
    out.emplace_back(std::variant_alternative_t<I, Record>::kType);
    collect_types<I + 1>(out);
  }
}

// Reads `j` into `out` as the alternative whose kType is `type`; false when none is.
template <size_t I = 0>
bool read_as(const std::string& type, const Json& j, Record& out) {
  if constexpr (I < std::variant_size_v<Record>) {
    using T = std::variant_alternative_t<I, Record>;
    if (type != T::kType) return read_as<I + 1>(type, j, out);
    from_json(j, out.emplace<I>());
    return true;
  } else {
    return false;
  }
}

}  // namespace

std::vector<std::string> record_types() {
  std::vector<std::string> types;
  collect_types(types);
  return types;
}

std::optional<Record> read_record(const Json& j) {
  if (!j.is_object()) throw RecordError("a record must be a JSON object");
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) throw RecordError("type: missing or not a string");
  Record r;
  if (!read_as(t->get<std::string>(), j, r)) return std::nullopt;
  return r;
}

void to_json(Json& j, const Record& r) {
  std::visit([&](const auto& v) { to_json(j, v); }, r);
}

}  // namespace rvkit::records
