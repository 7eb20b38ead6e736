#include "rvkit/vision/detect_pipeline.hpp"

#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/cli/option_error.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/image/frame.hpp"

namespace rvkit::vision {

using geometry::pose_to_json;
using geometry::round_to;

namespace {

Json point_json(cv::Point2d p) { return Json::array({round_to(p.x, 3), round_to(p.y, 3)}); }

double polygon_area(const std::array<cv::Point2d, 4>& p) {
  double a = 0;
  for (size_t i = 0; i < 4; ++i) {
    const cv::Point2d& u = p[i];
    const cv::Point2d& v = p[(i + 1) % 4];
    a += u.x * v.y - v.x * u.y;
  }
  return std::abs(a) / 2;
}

}  // namespace

DetectPipeline::DetectPipeline(DetectOptions opt) : opt_(std::move(opt)) {
  if (opt_.tags) detector_ = std::make_unique<AprilTagDetector>(opt_.apriltag);
  if (!opt_.color.ranges.empty()) colors_ = std::make_unique<ColorTargetFinder>(opt_.color);
  if (!(opt_.tag_size >= geometry::kMinTagSize && opt_.tag_size <= geometry::kMaxTagSize))
    throw OptionError(fmt::format("--tag-size must be from {} to {} metres, got {}", geometry::kMinTagSize,
                                  geometry::kMaxTagSize, opt_.tag_size));
  if (!(opt_.fov_deg >= 0 && opt_.fov_deg < 180)) throw OptionError(fmt::format("--fov must be 0 < degrees < 180, got {}", opt_.fov_deg));
  if (opt_.field && !opt_.calib) throw OptionError("--field needs --calib (a field pose needs the camera's intrinsics)");
  if (opt_.field && !opt_.tags) throw OptionError("--field needs AprilTags (drop --no-tags)");
  if (opt_.robot_to_camera && !opt_.field) throw OptionError("--robot-to-camera needs --field");
}

const CameraCalibration* DetectPipeline::calibration_for(int w, int h) {
  auto key = std::make_pair(w, h);
  auto it = scaled_.find(key);
  if (it != scaled_.end()) return &it->second;
  if (scaled_.size() >= 16) scaled_.clear();  // a stream that keeps changing size must not grow this
  if (opt_.calib) return &scaled_.emplace(key, opt_.calib->for_resolution(w, h)).first->second;
  if (opt_.fov_deg > 0) {
    CameraCalibration c;
    double f = (w / 2.0) / std::tan(opt_.fov_deg * M_PI / 360.0);
    c.K = cv::Matx33d(f, 0, (w - 1) / 2.0, 0, f, (h - 1) / 2.0, 0, 0, 1);
    c.width = w;
    c.height = h;
    c.source = fmt::format("--fov {}", opt_.fov_deg);
    return &scaled_.emplace(key, c).first->second;
  }
  return nullptr;
}

Json DetectPipeline::process(const Message& frame) {
  FrameInfo f = frame_info(frame.header);
  Json rec;
  rec["type"] = "detections";
  rec["cam"] = f.cam;
  rec["seq"] = f.seq;
  rec["t_capture"] = f.t_capture;
  rec["w"] = f.w;
  rec["h"] = f.h;

  cv::Mat gray, bgr;
  try {
  if (colors_) {
    bgr = frame_to_mat(frame, PixelFormat::Bgr8);
    if (detector_) {
      if (f.fmt == PixelFormat::Gray8) gray = frame_to_mat(frame, PixelFormat::Gray8);
      else cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    }
  } else if (detector_) {
    gray = frame_to_mat(frame, PixelFormat::Gray8);
  }
  } catch (const BadFrameError&) {
    throw;
  } catch (const Error& e) {
    throw BadFrameError(e.what());
  }
  const cv::Mat& any = gray.empty() ? bgr : gray;
  if (!any.empty() && (any.cols != f.w || any.rows != f.h))
    throw BadFrameError(fmt::format("frame {} of '{}': the JPEG is {}x{} but the header says {}x{}", f.seq, f.cam, any.cols,
                            any.rows, f.w, f.h));
  const CameraCalibration* cal = calibration_for(f.w, f.h);
  const bool with_pose = opt_.calib.has_value();
  const double image_area = double(f.w) * f.h;

  if (detector_) {
    std::vector<TagDetection> dets = detector_->detect(gray);
    std::vector<TagPose> poses(dets.size());
    Json tags = Json::array();
    for (size_t i = 0; i < dets.size(); ++i) {
      const TagDetection& d = dets[i];
      Json t;
      t["id"] = d.id;
      t["hamming"] = d.hamming;
      t["margin"] = round_to(d.margin, 2);
      Json corners = Json::array();
      for (const auto& c : d.corners) corners.push_back(point_json(c));
      t["corners"] = std::move(corners);
      t["center"] = point_json(d.center);
      if (cal) {
        cv::Point2d a = angles_deg(*cal, d.center);
        t["tx"] = round_to(a.x, 4);
        t["ty"] = round_to(a.y, 4);
      }
      t["area"] = round_to(100.0 * polygon_area(d.corners) / image_area, 5);
      if (with_pose) {
        poses[i] = solve_tag_pose(d, *cal, opt_.tag_size);
        const TagPose& p = poses[i];
        if (!p.solutions.empty()) {
          t["distance"] = round_to(p.distance, 5);
          t["ambiguity"] = round_to(p.ambiguity, 5);
          Json sols = Json::array();
          for (const auto& s : p.solutions)
            sols.push_back({{"camera_to_tag", pose_to_json(s.camera_to_tag)}, {"error", round_to(s.error, 4)}});
          t["poses"] = std::move(sols);
        }
      }
      tags.push_back(std::move(t));
    }
    rec["tags"] = std::move(tags);
    if (opt_.field) {
      auto fp = solve_field_pose(dets, poses, *opt_.field, *cal, opt_.tag_size, opt_.robot_to_camera);
      if (fp) {
        Json j;
        j["method"] = fp->multi_tag ? "multi-tag" : "single-tag";
        j["tags"] = fp->tag_ids;
        j["camera"] = pose_to_json(fp->camera);
        if (fp->robot) j["robot"] = pose_to_json(*fp->robot);
        j["error"] = round_to(fp->error, 4);
        j["ambiguity"] = round_to(fp->ambiguity, 5);
        j["distance"] = round_to(fp->distance, 5);
        j["std_devs"] = {round_to(fp->std_devs[0], 5), round_to(fp->std_devs[1], 5), round_to(fp->std_devs[2], 5)};
        rec["field_pose"] = std::move(j);
      } else {
        rec["field_pose"] = nullptr;
      }
    }
  }

  if (colors_) {
    Json targets = Json::array();
    for (const ColorTarget& c : colors_->find(bgr)) {
      Json t;
      t["color"] = c.range;
      t["center"] = point_json(c.center);
      if (cal) {
        cv::Point2d a = angles_deg(*cal, c.center);
        t["tx"] = round_to(a.x, 4);
        t["ty"] = round_to(a.y, 4);
      }
      t["area"] = round_to(c.area, 5);
      t["bbox"] = {c.bbox.x, c.bbox.y, c.bbox.width, c.bbox.height};
      t["angle"] = round_to(c.angle, 3);
      t["width"] = round_to(c.width, 3);
      t["height"] = round_to(c.height, 3);
      t["aspect"] = round_to(c.aspect, 4);
      t["fullness"] = round_to(c.fullness, 3);
      Json corners = Json::array();
      for (const auto& p : c.corners) corners.push_back(point_json(p));
      t["corners"] = std::move(corners);
      targets.push_back(std::move(t));
    }
    rec["targets"] = std::move(targets);
  }
  return rec;
}

}  // namespace rvkit::vision
