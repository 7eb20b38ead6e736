// rvkit records: the `detections` record (docs/records.md), written by detect, read by ntpub and overlay.
//
// One C++ type per part of the record, one writer (to_json) and one reader (read_detections /
// from_json). Members are std::optional exactly where the record may lack the field: either detect
// writes it only with some options (tx/ty need --calib or --fov, poses need --calib, ...) or readers
// take records without it (hand-written records, tests). to_json writes the fields in the documented
// order, present ones only, rounded as documented; what from_json reads, to_json writes back unchanged.
//
// Required by every reader: the record's `type` and `t_capture`, a tag's `id`, a colour target's
// `color`, a tag pose's `camera_to_tag`, and `camera` or `robot` in a field pose. A field that is present
// must have its documented type and range.
//
// Readers choose what is fatal (ReadOptions): by default any problem throws RecordError naming the
// field ("detections: tags[2].corners: expected 4 [x, y] pairs of pixel coordinates"). With `skipped`,
// a malformed element (a tag, a colour target, a tag's poses, the field pose) is left out and described
// there, and the rest of the record kept: overlay draws what it can, ntpub publishes what it can.
// Poses are geometry::Pose3 (WPILib conventions). No OpenCV here: the NetworkTables tools use it.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/geometry/pose.hpp"
#include "rvkit/records/error.hpp"

namespace rvkit::records {

// Pixel coordinates: the centre of the top-left pixel is (0, 0), x right, y down. Within ±1e6.
struct Point {
  double x = 0, y = 0;
};
using Quad = std::array<Point, 4>;

// One IPPE-square solution for a tag.
struct TagPose {
  geometry::Pose3 camera_to_tag;  // the tag's pose in the camera frame (WPILib axes), m
  std::optional<double> error;    // RMS reprojection error of the 4 corners, px
};

struct Tag {
  int id = 0;
  std::optional<int> hamming;          // bit errors corrected
  std::optional<double> margin;        // libapriltag's decision margin
  std::optional<Quad> corners;         // libapriltag's order: bottom-left, bottom-right, top-right, top-left
  std::optional<Point> center;
  std::optional<double> tx, ty;        // degrees from the principal point, right and up positive
  std::optional<double> area;          // % of the image
  std::optional<double> distance;      // m, camera to the tag's centre
  std::optional<double> ambiguity;     // 0..1
  std::vector<TagPose> poses;          // best first; empty: the record has no "poses"
};

enum class PoseMethod { single_tag, multi_tag, heading_constrained };  // "single-tag", "multi-tag", "heading-constrained"

// A tag of the layout in view that the field pose left out (its reprojection error far above the rest).
struct RejectedTag {
  int id = 0;
  double error = 0;  // RMS reprojection error of its corners under the pose, px
};

struct FieldPose {
  std::optional<PoseMethod> method;
  std::vector<int> tags;                        // ids of the tags used; empty: no "tags"
  std::optional<geometry::Pose3> camera;        // the camera's pose on the field (WPILib field coordinates)
  std::optional<geometry::Pose3> robot;         // the robot's (with --robot-to-camera)
  std::optional<double> error;                  // px
  std::optional<double> ambiguity;              // 0..1
  std::optional<double> distance;               // m
  std::optional<std::array<double, 3>> std_devs;  // σx m, σy m, σθ rad (for addVisionMeasurement)
  std::vector<double> tag_errors;               // parallel to tags: each tag's RMS error, px; empty: none
  std::vector<RejectedTag> rejected;            // outlier tags left out; empty: no "rejected"
  std::optional<double> heading;                // heading-constrained: the robot yaw used, degrees
};

// An axis-aligned box in whole pixels.
struct Box {
  int x = 0, y = 0, w = 0, h = 0;
};

struct ColorTarget {
  int color = 0;                      // index of the --color range that found it
  std::optional<Point> center;
  std::optional<double> tx, ty;       // degrees, as for tags
  std::optional<double> area;         // % of the image
  std::optional<Box> bbox;
  std::optional<double> angle;        // degrees, (-45, 45]
  std::optional<double> width, height;  // px, sides of the rotated rectangle
  std::optional<double> aspect;       // width / height
  std::optional<double> fullness;     // %
  std::optional<Quad> corners;        // the rotated rectangle's
};

struct Detections {
  static constexpr const char* kType = "detections";
  std::string cam;                    // "" when the record has none
  std::optional<int64_t> seq;
  int64_t t_capture = 0;              // µs since the Unix epoch
  std::optional<int> w, h;            // the frame's size, px
  std::optional<std::vector<Tag>> tags;  // absent with detect --no-tags
  // Robot code's priorityid (detect --robot-in): the one tag id that may be the primary target (tx/ty/
  // tid); when it is not in view there is no primary target. Localization (the field poses) ignores it.
  std::optional<int> priority_id;
  // With --field: the camera's (and robot's) pose on the field, or null (field_pose empty) when no tag
  // of the layout is in view. Without --field the record has no "field_pose": with_field is false.
  bool with_field = false;
  std::optional<FieldPose> field_pose;
  // With --robot-in: the heading-constrained pose (method heading-constrained), or null with the reason
  // in constrained_reason. Without, neither is written: with_constrained is false.
  bool with_constrained = false;
  std::optional<FieldPose> field_pose_constrained;
  std::optional<std::string> constrained_reason;
  std::optional<std::vector<ColorTarget>> targets;  // with --color
  // µs since the Unix epoch: when detect began work on the frame (t_start - t_capture: the frame's way
  // to detect, waiting included; t_done - t_start: detect's own work), and when the record was done.
  std::optional<int64_t> t_start;
  std::optional<int64_t> t_done;  // written last
};

struct ReadOptions {
  // Non-null: a malformed tag, colour target, tag's "poses" or field pose is left out and described
  // here ("tags[2].corners: expected 4 [x, y] pairs of pixel coordinates"); the rest is kept.
  // Null: it is an error.
  std::vector<std::string>* skipped = nullptr;
  // Also read the older spellings ntpub has always accepted (docs/records.md, "Alternative spellings").
  bool alternative_spellings = false;
};

// The whole record. Throws RecordError("detections: FIELD: PROBLEM"); with options.skipped only for
// what is not an element: the type, cam, seq, times, w, h, and "tags" or "targets" that are not arrays.
Detections read_detections(const Json& record, const ReadOptions& options = {});
// Only the parts of a detections record (w, h, tags, field_pose, targets) from any record, for readers
// that draw whatever a record carries (overlay): type, cam, seq, t_capture and t_done are not read.
// Errors name the field without a type ("tags: expected an array"); with options.skipped every
// malformed part is left out and described, and nothing is thrown but for a record that is no object.
Detections read_parts(const Json& record, const ReadOptions& options = {});

void to_json(Json& j, const Detections& d);
void from_json(const Json& j, Detections& d);  // read_detections with the default options
void to_json(Json& j, const Tag& t);
void to_json(Json& j, const TagPose& p);
void to_json(Json& j, const FieldPose& f);
void to_json(Json& j, const ColorTarget& t);

}  // namespace rvkit::records
