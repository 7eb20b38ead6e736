// rvkit geometry: WPILib AprilTagFieldLayout files.
//
//   {"tags":[{"ID":1,"pose":{"translation":{"x":..,"y":..,"z":..},
//                            "rotation":{"quaternion":{"W":..,"X":..,"Y":..,"Z":..}}}}, ...],
//    "field":{"length":16.541,"width":8.211}}
// Metres; each tag's pose is its centre in field coordinates, its X axis out of the tag's face.
// A zero field length/width (found in some copies) is valid.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "rvkit/geometry/pose.hpp"

namespace rvkit::geometry {

struct FieldLayout {
  std::map<int, Pose3> tags;  // id -> pose of the tag in the field
  double length = 0, width = 0;
  std::string source;         // file it came from

  const Pose3* find(int id) const {
    auto it = tags.find(id);
    return it == tags.end() ? nullptr : &it->second;
  }
};

// Loads a layout from a file path, or by name (e.g. "2026-rebuilt-welded") from the data
// directories (see field_layout_dirs()). Throws rvkit::Error with a one-line reason.
FieldLayout load_field_layout(const std::string& file_or_name);
FieldLayout parse_field_layout(const std::string& json_text, const std::string& name);

// Where named layouts are looked up, in order: the source tree's data/fields
// (RVKIT_SOURCE_DATA_DIR), then the installed share/rvkit/fields (RVKIT_DATA_DIR).
std::vector<std::string> field_layout_dirs();
// Names of the layouts found there (file names without ".json"), sorted.
std::vector<std::string> field_layout_names();

}  // namespace rvkit::geometry
