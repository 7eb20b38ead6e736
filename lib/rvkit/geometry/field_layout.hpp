// rvkit geometry: WPILib AprilTagFieldLayout files, and the one way every tool finds one by name.
//
//   {"tags":[{"ID":1,"pose":{"translation":{"x":..,"y":..,"z":..},
//                            "rotation":{"quaternion":{"W":..,"X":..,"Y":..,"Z":..}}}}, ...],
//    "field":{"length":16.541,"width":8.211}}
// Metres; each tag's pose is its centre in field coordinates, its X axis out of the tag's face.
// A zero field length/width (found in some copies) is valid here; ntpub, which needs the size,
// refuses such a layout itself.
//
// `--field NAME|FILE` of detect, ntpub and overlay all go through load_field_layout(), so a name
// means the same file to every tool:
//   1. An explicit path always wins: an existing file, or anything with a '/' or ending in ".json",
//      is read as that file and never looked up (a missing file is an error, not a search).
//   2. A name is looked up as NAME.json in field_layout_dirs(), first match wins:
//        a. BINDIR/../share/rvkit/fields, BINDIR being the folder of the running executable:
//           the layouts installed with this very tool (make install, a package, or an install
//           tree copied onto the robot, wherever its prefix is);
//        b. the source tree's data/fields (RVKIT_SOURCE_DATA_DIR, compiled in): a tool run from
//           the build tree has no (a) and reads the layouts of the source it was built from;
//        c. the configured install prefix's share/rvkit/fields (RVKIT_DATA_DIR), for layouts added
//           to an installed rvkit that a build-tree tool should also see.
//      So an installed tool reads the layouts installed with it even while the source tree it was
//      built from is still on disk and has changed since, and a build-tree tool reads its source
//      tree's even when an older rvkit is installed.
//   3. An unknown name is an error that lists the known names and the folders searched.
// Thread-safe (no state).
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

  // "FILE (N tags, field L x W m)": what the tools print with -v.
  std::string describe() const;

  const Pose3* find(int id) const {
    auto it = tags.find(id);
    return it == tags.end() ? nullptr : &it->second;
  }
};

// Loads a layout from a file path, or by name (e.g. "2026-rebuilt-welded") as described above.
// Throws rvkit::Error with a one-line reason naming the file or the name.
FieldLayout load_field_layout(const std::string& file_or_name);
FieldLayout parse_field_layout(const std::string& json_text, const std::string& name);

// The folders a name is looked up in, in order (2a, 2b, 2c above; duplicates dropped). Folders
// that do not exist are listed too: they are where the tool looked.
std::vector<std::string> field_layout_dirs();
// Names of the layouts found there (file names without ".json"), sorted.
std::vector<std::string> field_layout_names();

}  // namespace rvkit::geometry
