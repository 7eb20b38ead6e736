// rvkit: the JSON type used for headers and records.
#pragma once
#include <nlohmann/json.hpp>

namespace rvkit {
// Insertion-ordered, so headers print with "type" first, as a person would write them.
using Json = nlohmann::ordered_json;
}  // namespace rvkit
