// rvkit overlay: what overlay keeps of the records it reads (docs/records.md, docs/overlay.md).
//
// The drawable parts of a record (tags, colour targets, the field pose: records::read_parts, from any
// record that has them) are read once, when the record arrives, into FrameDetections: what overlay
// draws, in OpenCV's types. Whatever is malformed is skipped and described in `problems`, never
// thrown, so one odd record costs a warning and not the stream. RecordStore keeps what --text
// templates and the field map may ask for: the latest NetworkTables values (records::Nt and
// records::NtSnapshot, from ntsub) and the latest record of each type.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/core/json.hpp"
#include "rvkit/geometry/pose.hpp"

namespace rvkit::overlay {

struct TagDraw {
  int id = 0;
  std::array<cv::Point2d, 4> corners;                 // libapriltag's order, frame pixels
  cv::Point2d center;
  std::optional<geometry::Pose3> camera_to_tag;       // best pose, WPILib camera frame
};

struct TargetDraw {
  int color = 0;                                      // index of detect's --color range
  cv::Point2d center;
  std::optional<std::array<cv::Point2d, 4>> corners;  // rotated rectangle
  std::optional<cv::Rect2d> bbox;
};

struct FieldPoseDraw {
  geometry::Pose3 pose;  // the robot's pose on the field (the camera's when the record has no robot)
  bool is_robot = false;
  std::vector<int> tags;
};

struct FrameDetections {
  int w = 0, h = 0;                       // the frame size the record was made for (0: unknown)
  std::vector<TagDraw> tags;
  std::vector<TargetDraw> targets;
  std::optional<FieldPoseDraw> field_pose;
  std::vector<std::string> problems;      // what was skipped, e.g. "tags[2].corners: expected 4 [x, y] pairs"
};

// The drawable parts of a `detections` record (or of any record with tags/targets/field_pose).
FrameDetections frame_detections(const Json& record);

// A record as overlay keeps it: shared between the frame it belongs to and the store.
struct Record {
  Json json;
  std::string type, cam;          // cam "" when the record has none
  std::optional<int64_t> seq;     // the frame it describes, when it has cam and seq
  std::optional<int64_t> t_capture;  // when the record has an integer one
  std::shared_ptr<const FrameDetections> detections;  // for records with tags/targets/field_pose
};
using RecordPtr = std::shared_ptr<const Record>;

// Builds a Record from a message header (type, cam, seq, t_capture; detections parsed when present).
RecordPtr make_record(Json header);

// The latest values records have brought: NT topics and the newest record of each type.
// Only what is wanted is kept (topics and types named by --text, --pose-topic, ...), so memory stays
// bounded whatever arrives.
class RecordStore {
 public:
  void want_topic(const std::string& topic) { topics_.insert(topic); }
  void want_type(const std::string& type) { types_.insert(type); }

  void add(const RecordPtr& r);
  // The latest value of an NT topic (from `nt` or `nt_snapshot` records), null if none yet.
  const Json* nt_value(const std::string& topic) const;
  // The newest record of `type` for camera `cam` (cam "" or no record for it: the newest of that type
  // without a cam), null if none.
  const Record* latest(const std::string& type, const std::string& cam) const;

 private:
  static constexpr size_t kMaxCamsPerType = 64;
  std::set<std::string> topics_, types_;
  std::map<std::string, Json> nt_;
  struct Latest {
    RecordPtr no_cam;
    std::map<std::string, RecordPtr> by_cam;
  };
  std::map<std::string, Latest> latest_;
};

}  // namespace rvkit::overlay
