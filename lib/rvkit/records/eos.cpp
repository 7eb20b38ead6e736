#include "rvkit/records/eos.hpp"

#include "rvkit/records/fields.hpp"

namespace rvkit::records {

namespace f = fields;

void to_json(Json& j, const Eos& e) {
  j = Json{{"type", Eos::kType}};
  if (e.cam) j["cam"] = *e.cam;
  if (e.error) j["error"] = *e.error;
}

void from_json(const Json& j, Eos& e) {
  try {
    f::object(j, "");
    f::expect_type(j, Eos::kType);
    e = Eos{};
    e.cam = f::optional_string(j, "cam", "");
    if (e.cam && e.cam->empty()) f::fail("cam", "empty (a camera name, or no field)");
    e.error = f::optional_string(j, "error", "");
  } catch (const RecordError& err) {
    throw RecordError(std::string(Eos::kType) + ": " + err.what());
  }
}

}  // namespace rvkit::records
