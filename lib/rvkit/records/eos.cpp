#include "rvkit/records/eos.hpp"

#include "rvkit/records/fields.hpp"

namespace rvkit::records {

void to_json(Json& j, const Eos&) { j = Json{{"type", Eos::kType}}; }

void from_json(const Json& j, Eos&) {
  try {
    fields::object(j, "");
    fields::expect_type(j, Eos::kType);
  } catch (const RecordError& e) {
    throw RecordError(std::string(Eos::kType) + ": " + e.what());
  }
}

}  // namespace rvkit::records
