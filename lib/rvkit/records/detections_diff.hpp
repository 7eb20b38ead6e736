// rvkit records: two runs' detections side by side (`probe --diff A B`, docs/rec.md "Recipe: detect
// again, with other settings").
//
// Each side is a sequence of `detections` records (read_detections). Frames are matched by camera
// and `seq` (`t_capture` for a record without seq), and by occurrence: the n-th record of front seq
// 12 in A meets the n-th of front seq 12 in B, so a camera that restarted (its seq counting from 0
// again) or a --loop replay still pairs frame with frame, and a `cap --file --now` replay (new
// t_capture in each run) does too.
//
// A recording replayed through detect holds both runs: detect passes the recorded detections (which
// have `t_rec`, the recorder's arrival time) through beside its own (which have not). So a side with
// both kinds is taken to be its new run (the records without t_rec); a side with recorded ones only
// (the recording itself) is the recorded run.
//
// For the frames in both: the tags found per frame in each (means, totals), the frames whose tag ids
// differ and which ids only one side found (in how many frames), and the field pose difference (the
// robot's pose, else the camera's, when both sides have one): translation distance in m and the
// angle of the relative rotation in degrees, median and max. A frame "differs" when its tag ids
// differ, only one side has a field pose, or the poses are further apart than the tolerances.
// No OpenCV, no I/O: probe feeds it the records. Threading: one thread.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/records/detections.hpp"

namespace rvkit::records {

struct DiffOptions {
  double tolerance_m = 0.01;   // poses closer than this (and tolerance_deg) do not make a frame differ
  double tolerance_deg = 0.5;
  bool keep_frames = false;    // keep every differing frame for DiffReport::frames (--per-frame)
};

// One frame that differs, or that only one side has.
struct FrameDiff {
  std::string cam;
  std::optional<int64_t> seq;
  int64_t t_capture = 0;          // A's (B's for a frame only in B)
  bool in_a = false, in_b = false;
  std::vector<int> ids_a, ids_b;  // sorted tag ids (repeats kept)
  bool pose_a = false, pose_b = false;
  std::optional<double> pose_m, pose_deg;  // with a pose on both sides
};

struct PoseDiffStats {
  size_t both = 0, only_a = 0, only_b = 0;  // frames (of those in both) with a field pose
  double median_m = 0, max_m = 0, median_deg = 0, max_deg = 0;  // over `both`
};

struct DiffReport {
  size_t frames_both = 0, frames_only_a = 0, frames_only_b = 0;
  size_t tags_a = 0, tags_b = 0;     // tags found, over the frames in both
  size_t frames_ids_differ = 0;
  size_t frames_differ = 0;          // ids, pose presence or pose beyond the tolerances
  std::map<int, size_t> ids_only_a;  // id -> frames in which A found it and B did not
  std::map<int, size_t> ids_only_b;
  PoseDiffStats pose;
  std::vector<FrameDiff> frames;     // with keep_frames: differing frames, then those in one side only
  double tags_per_frame_a() const { return frames_both ? double(tags_a) / double(frames_both) : 0.0; }
  double tags_per_frame_b() const { return frames_both ? double(tags_b) / double(frames_both) : 0.0; }
};

class DetectionsDiff {
 public:
  explicit DetectionsDiff(DiffOptions o = {}) : o_(o) {}
  // One record of side 0 (A) or 1 (B); `recorded`: it has t_rec (see above).
  void add(int side, const Detections& d, bool recorded);
  DiffReport report() const;

 private:
  struct Frame {
    std::string cam;
    std::optional<int64_t> seq;
    int64_t t_capture = 0;
    std::vector<int> ids;
    std::optional<geometry::Pose3> pose;
  };
  struct Key {
    std::string cam;
    bool by_seq;
    int64_t value;
    size_t occurrence;
    bool operator<(const Key& o) const;
  };
  struct Run {
    std::vector<Frame> frames;  // in arrival order
    std::map<std::tuple<std::string, bool, int64_t>, size_t> seen;
    std::map<Key, size_t> index;  // -> frames
  };
  const Run& chosen(int side) const;
  DiffOptions o_;
  Run runs_[2][2];  // [side][recorded]
};

// The pose a frame is compared by: the robot's on the field, else the camera's, else none.
std::optional<geometry::Pose3> compared_pose(const Detections& d);
// The translation distance (m) and the relative rotation's angle (degrees) of two poses.
double translation_distance(const geometry::Pose3& a, const geometry::Pose3& b);
double rotation_angle_deg(const geometry::Pose3& a, const geometry::Pose3& b);

// The summary for a person: a few lines, each ending in '\n'; with `per_frame`, a line per frame of
// report.frames after them.
std::string format_diff(const DiffReport& r, const std::string& name_a, const std::string& name_b, bool per_frame);
// The same as one JSON object ("frames" only with per_frame).
Json diff_to_json(const DiffReport& r, const std::string& name_a, const std::string& name_b, bool per_frame);

}  // namespace rvkit::records
