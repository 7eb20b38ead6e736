// detect --robot-in: the `nt` records ntsub writes, read beside the frames. The heading topic's
// samples go into a HeadingHistory (for the heading-constrained pose); the Limelight settings robot
// code writes beside it (fiducial_id_filters_set, priorityid, camerapose_robotspace_set:
// rvkit/vision/robot_settings.hpp) go to `on_setting`: the pipeline, or with --workers the pool,
// which hands them to each worker's pipeline. An InputSet's own thread reads the input (a FIFO's open
// may block); the main loop calls drain() before each frame, so settings apply between frames, on the
// main loop's thread.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rvkit/core/log.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/vision/detect_pipeline.hpp"
#include "rvkit/vision/heading_history.hpp"
#include "rvkit/vision/robot_settings.hpp"

namespace detect_tool {

class RobotInput {
 public:
  // heading_topic's table (up to its last '/') is where the settings are read.
  RobotInput(const std::string& spec, rvkit::InputOptions io, std::string heading_topic,
             rvkit::vision::CameraPoseAxes axes, std::shared_ptr<rvkit::vision::HeadingHistory> headings,
             std::function<void(const rvkit::vision::RobotSetting&)> on_setting, bool verbose);
  // Takes what has arrived; with wait_ms, waits up to that long for a heading at or after t.
  void drain(int64_t t, int wait_ms);
  uint64_t samples() const { return samples_; }

 private:
  void handle(rvkit::InputEvent& ev);

  rvkit::InputSet set_;
  std::string topic_;
  rvkit::vision::RobotSettingsReader settings_;
  std::shared_ptr<rvkit::vision::HeadingHistory> headings_;
  std::function<void(const rvkit::vision::RobotSetting&)> on_setting_;
  rvkit::ThrottledLog warnings_;
  bool verbose_ = false;
  bool ended_ = false;
  uint64_t samples_ = 0;
};

}  // namespace detect_tool
