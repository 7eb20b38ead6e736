// rvkit overlay: everything overlay draws on a frame, stage by stage (docs/overlay.md).
//
// Per camera (on the frame, or on its cell of a tile): colour targets, tag outlines and ids (3-D axes
// with a calibration), crosshairs, and the status box (camera, fps, latency). Once per output image:
// the --text lines and the field map. Time (now) is passed in, so a render can be repeated exactly.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/message.hpp"
#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/overlay/canvas.hpp"
#include "rvkit/overlay/crosshair.hpp"
#include "rvkit/overlay/field_map.hpp"
#include "rvkit/overlay/hud.hpp"
#include "rvkit/overlay/records.hpp"
#include "rvkit/overlay/tags.hpp"
#include "rvkit/overlay/targets.hpp"
#include "rvkit/vision/calibration.hpp"

namespace rvkit::overlay {

struct CameraCalibrationFor {
  std::string cam;  // "" for every camera without its own
  vision::CameraCalibration calib;
};

struct AnnotatorOptions {
  bool tags = true, targets = true;
  double tag_size = geometry::kDefaultTagSize;  // m; the 3-D axes are half as long
  std::vector<CameraCalibrationFor> calibs;  // for the axes
  std::vector<Crosshair> crosshairs;
  HudItems hud;
  std::vector<std::string> texts;            // --text templates
  std::optional<geometry::FieldLayout> field;  // the field map
  std::string pose_topic;                    // NT topic with the robot's pose (e.g. odometry) for the map
};

class Annotator {
 public:
  // Parses the templates; throws rvkit::OptionError for a bad one.
  explicit Annotator(AnnotatorOptions o);

  // Every record, in arrival order (NT values, latest records, poses for the map).
  void add_record(const RecordPtr& r);
  // Call once per frame of a camera, before drawing it: updates the camera's frame rate.
  void note_frame(const FrameInfo& f);

  // The per-camera elements, on a canvas showing frame f. `rec`: the frame's own record or null.
  void draw_camera(Canvas& c, const FrameInfo& f, const Record* rec, int64_t now_us);
  // The once-per-image elements (texts, field map); f/rec give the templates their context.
  void draw_global(Canvas& c, const FrameInfo& f, const Record* rec, int64_t now_us);
  // The rectangles draw_global() would draw over (to save and restore what is under them).
  std::vector<cv::Rect> global_rects(const Canvas& c, const FrameInfo& f, const Record* rec, int64_t now_us) const;

  double fps(const std::string& cam) const;
  const RecordStore& store() const { return store_; }

 private:
  struct CamState {
    int64_t last_t = 0;
    double mean_dt_us = 0;  // smoothed interval between capture times
    int64_t last_used = 0;
    std::map<std::pair<int, int>, std::optional<vision::CameraCalibration>> calib_at;  // by frame size
  };
  CamState& cam_state(const std::string& cam);
  const vision::CameraCalibration* calibration(const std::string& cam, int w, int h);
  TemplateContext context(const FrameInfo& f, const Record* rec, int64_t now_us) const;
  std::optional<geometry::Pose3> topic_pose() const;
  int texts_width(const Canvas& c) const;

  AnnotatorOptions o_;
  TagStage tags_;
  TargetStage targets_;
  CrosshairStage crosshairs_;
  HudStage hud_;
  std::optional<FieldMapStage> map_;
  RecordStore store_;
  std::map<std::string, CamState> cams_;
  int64_t uses_ = 0;
  std::optional<geometry::Pose3> last_vision_pose_;
  int64_t last_vision_t_ = 0;
};

}  // namespace rvkit::overlay
