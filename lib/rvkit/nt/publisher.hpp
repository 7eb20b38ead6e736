// rvkit: what ntpub publishes for each record (docs/nt.md lists every topic).
//
//   schema "rvkit" (default): detections -> /rvkit/<cam>/{hasTarget,tx,ty,ta,tid,tagIds,...},
//                             poses as struct:Pose3d (with their /.schema topics) and double[].
//   schema "limelight":       detections -> /limelight[-NAME]/{tv,tx,ty,ta,tid,tl,cl,hb,botpose*,...}
//                             with Limelight's types and array layouts (LimelightHelpers works).
//   schema "none":            only --map rules.
//   camera records (from `stream`) -> /CameraPublisher/<cam>/{streams,source,description,connected,mode}
//   --map 'field.path=/Topic:type' -> any field of any record.
//
// Records are read with lib/rvkit/records (docs/records.md), with the alternative spellings ntpub has
// always accepted; a malformed tag is left out (one warning), a record that cannot be read is skipped
// (one warning). The publisher talks to a TopicSink (the NT client in ntpub, a recorder in the unit tests).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/nt/value.hpp"
#include "rvkit/records/camera.hpp"
#include "rvkit/records/detections.hpp"

namespace rvkit::nt {

class TopicSink {
 public:
  virtual ~TopicSink() = default;
  virtual int publish(const std::string& name, const std::string& type, const Json& properties) = 0;
  // `wall_time_us`: the moment the value describes (our wall clock).
  virtual void set(int handle, Value v, int64_t wall_time_us) = 0;
};

// One --map rule: 'field.path=/Topic:type'. The path is dotted keys with numeric indices
// ("tags.0.id" or "tags[0].id"); "{cam}" in the topic becomes the record's cam.
struct MapRule {
  std::vector<std::string> path;
  std::string spec, topic, type;
  static MapRule parse(const std::string& spec);  // throws rvkit::OptionError (--map)
};

struct PublisherOptions {
  std::string schema = "rvkit";  // rvkit | limelight | none
  std::string table;             // "" = the schema's default; "{cam}" is replaced
  std::vector<MapRule> maps;
  std::optional<double> field_length, field_width;  // metres, for botpose / botpose_wpired
};

// The field size (length, width) a layout gives, for botpose / botpose_wpired; the layout comes from
// geometry::load_field_layout (--field), which finds it as every tool does. Throws rvkit::Error
// naming the file when the layout has no size (no "field", or a zero length or width).
std::pair<double, double> field_size(const geometry::FieldLayout& layout);

// How ntpub reads detections records: malformed tags are left out and described in `skipped`, and the
// alternative spellings of docs/records.md are accepted.
records::ReadOptions read_options(std::vector<std::string>* skipped);

// The primary target, as a Limelight picks it: the largest tag (the first of equal ones), or with the
// record's priority_id (robot code's priorityid) the largest tag of that id; an index into d.tags, -1
// without one.
int primary_tag(const records::Detections& d);
// A tag's distance from the camera: as the record gives it, else the length of its best pose's
// translation; nullopt without either.
std::optional<double> tag_distance(const records::Tag& t);

// The Limelight arrays for one detections record (exposed for the unit tests).
struct LimelightArrays {
  std::vector<double> botpose, botpose_wpiblue, botpose_wpired;  // empty when not computable
  // MegaTag2 (the record's field_pose_constrained): the same layout; zeros and tag count 0 without one.
  std::vector<double> botpose_orb, botpose_orb_wpiblue, botpose_orb_wpired;
  // [MT1 x, y, z, roll, pitch, yaw, MT2 x, y, z, roll, pitch, yaw]: metres and degrees, zeros without a pose.
  std::vector<double> stddevs;
  std::vector<double> targetpose_cameraspace, camerapose_targetspace;
  std::vector<double> rawfiducials;
  Json json;
};
LimelightArrays limelight_arrays(const records::Detections& d, double latency_ms, double tl_ms, double cl_ms,
                                 std::optional<double> field_length, std::optional<double> field_width);

class RecordPublisher {
 public:
  RecordPublisher(TopicSink& sink, PublisherOptions opts, std::function<void(const std::string&)> warn);
  // Publishes what `record` carries; `now_us` is the wall-clock time of publishing.
  // Returns the number of values set.
  size_t handle(const Json& record, int64_t now_us);
  // The table a record of camera `cam` goes to ("/rvkit/cam0", "/limelight").
  std::string table_for(const std::string& cam) const;

 private:
  void set(const std::string& topic, const std::string& type, Value v, int64_t t);
  size_t detections_rvkit(const Json& rec, const records::Detections& d, int64_t now);
  size_t detections_limelight(const records::Detections& d, int64_t now);
  size_t camera(const records::Camera& c, int64_t now);
  size_t maps(const Json& rec, int64_t now);
  void ensure_pose3d_schemas();
  void warn_once(const std::string& key, const std::string& text);

  TopicSink& sink_;
  PublisherOptions opts_;
  std::function<void(const std::string&)> warn_;
  std::map<std::string, std::pair<int, std::string>> handles_;  // topic -> (handle, type)
  std::map<std::string, int64_t> heartbeat_;
  std::set<std::string> warned_;
  bool schemas_published_ = false;
  size_t n_ = 0;
};

}  // namespace rvkit::nt
