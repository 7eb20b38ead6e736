#include "rvkit/vision/detect_pipeline.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/geometry/tag_size.hpp"
#include "rvkit/image/frame.hpp"

namespace rvkit::vision {

using geometry::round_to;

namespace {

records::Point point(cv::Point2d p) { return {p.x, p.y}; }

records::Quad quad(const std::array<cv::Point2d, 4>& q) { return {point(q[0]), point(q[1]), point(q[2]), point(q[3])}; }

double polygon_area(const std::array<cv::Point2d, 4>& p) {
  double a = 0;
  for (size_t i = 0; i < 4; ++i) {
    const cv::Point2d& u = p[i];
    const cv::Point2d& v = p[(i + 1) % 4];
    a += u.x * v.y - v.x * u.y;
  }
  return std::abs(a) / 2;
}

records::FieldPose field_pose_record(const FieldPose& fp, records::PoseMethod method) {
  records::FieldPose j;
  j.method = method;
  j.tags = fp.tag_ids;
  j.camera = fp.camera;
  if (fp.robot) j.robot = *fp.robot;
  j.error = fp.error;
  j.ambiguity = fp.ambiguity;
  j.distance = fp.distance;
  j.std_devs = fp.std_devs;
  j.tag_errors = fp.tag_errors;
  for (const TagResidual& r : fp.rejected) j.rejected.push_back({r.id, r.error});
  return j;
}

}  // namespace

DetectPipeline::DetectPipeline(DetectOptions opt) : opt_(std::move(opt)) {
  if (opt_.tags) detector_ = std::make_unique<AprilTagDetector>(opt_.apriltag);
  if (opt_.track) {
    if (!opt_.tags) throw OptionError("--track needs AprilTags (drop --no-tags)");
    TagTracker check(*detector_, *opt_.track);  // validates the options now
  }
  if (!opt_.color.ranges.empty()) colors_ = std::make_unique<ColorTargetFinder>(opt_.color);
  if (!(opt_.tag_size >= geometry::kMinTagSize && opt_.tag_size <= geometry::kMaxTagSize))
    throw OptionError(fmt::format("--tag-size must be from {} to {} metres, got {}", geometry::kMinTagSize,
                                  geometry::kMaxTagSize, opt_.tag_size));
  sizes_ = geometry::TagSizes(opt_.tag_size);
  for (const auto& [id, size] : opt_.tag_size_by_id) {
    if (!(size >= geometry::kMinTagSize && size <= geometry::kMaxTagSize))
      throw OptionError(fmt::format("--tag-size {}:{}: the size must be from {} to {} metres", id, size,
                                    geometry::kMinTagSize, geometry::kMaxTagSize));
    sizes_.by_id[id] = size;
  }
  if (!(opt_.fov_deg >= 0 && opt_.fov_deg < 180)) throw OptionError(fmt::format("--fov must be 0 < degrees < 180, got {}", opt_.fov_deg));
  if (opt_.field && !opt_.calib) throw OptionError("--field needs --calib (a field pose needs the camera's intrinsics)");
  if (opt_.field && !opt_.tags) throw OptionError("--field needs AprilTags (drop --no-tags)");
  if (opt_.robot_to_camera && !opt_.field) throw OptionError("--robot-to-camera needs --field");
  if (opt_.headings && !opt_.field) throw OptionError("--robot-in needs --field (the constrained pose is a field pose)");
  if (!(opt_.heading_sigma_deg >= 0 && opt_.heading_sigma_deg <= 180))
    throw OptionError(fmt::format("--heading-std must be 0..180 degrees, got {}", opt_.heading_sigma_deg));
}

void DetectPipeline::drop_filtered(std::vector<TagDetection>& dets) const {
  const bool nt_filter = id_filter_ && !id_filter_->empty();
  if (opt_.ignore_ids.empty() && !nt_filter) return;
  dets.erase(std::remove_if(dets.begin(), dets.end(),
                            [&](const TagDetection& d) {
                              return opt_.ignore_ids.count(d.id) > 0 || (nt_filter && !id_filter_->count(d.id));
                            }),
             dets.end());
}

TrackCounts DetectPipeline::track_counts() const {
  TrackCounts sum;
  for (const auto& [cam, t] : trackers_) sum += t->counts();
  return sum;
}

AprilTagDetector::FinePassCounts DetectPipeline::fine_pass_counts() const {
  return detector_ ? detector_->fine_pass_counts() : AprilTagDetector::FinePassCounts{};
}

void DetectPipeline::set_robot_to_camera(const geometry::Pose3& robot_to_camera) {
  if (!opt_.field) throw OptionError("a robot-to-camera transform needs --field");
  opt_.robot_to_camera = robot_to_camera;
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

records::Detections DetectPipeline::process(const Message& frame) {
  FrameInfo f = frame_info(frame.header);
  records::Detections rec;
  rec.t_start = now_us();
  rec.cam = f.cam;
  rec.seq = f.seq;
  rec.t_capture = f.t_capture;
  rec.w = f.w;
  rec.h = f.h;

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
    std::vector<TagDetection> dets;
    TagTracker* tracker = nullptr;
    if (opt_.track) {
      auto it = trackers_.find(f.cam);
      if (it == trackers_.end()) {
        if (trackers_.size() >= 64) trackers_.clear();  // a stream that keeps inventing cameras
        it = trackers_.emplace(f.cam, std::make_unique<TagTracker>(*detector_, *opt_.track)).first;
      }
      tracker = it->second.get();
      dets = tracker->detect(gray);
    } else {
      dets = detector_->detect(gray);
    }
    drop_filtered(dets);
    std::vector<TagPose> poses(dets.size());
    rec.tags.emplace();
    rec.priority_id = priority_id_;
    for (size_t i = 0; i < dets.size(); ++i) {
      const TagDetection& d = dets[i];
      records::Tag t;
      t.id = d.id;
      t.hamming = d.hamming;
      t.margin = d.margin;
      t.corners = quad(d.corners);
      t.center = point(d.center);
      if (cal) {
        cv::Point2d a = angles_deg(*cal, d.center);
        t.tx = a.x;
        t.ty = a.y;
      }
      t.area = 100.0 * polygon_area(d.corners) / image_area;
      if (with_pose) {
        poses[i] = solve_tag_pose(d, *cal, sizes_.of(d.id));
        const TagPose& p = poses[i];
        if (!p.solutions.empty()) {
          t.distance = p.distance;
          t.ambiguity = p.ambiguity;
          for (const auto& s : p.solutions) t.poses.push_back({s.camera_to_tag, s.error});
        }
      }
      rec.tags->push_back(std::move(t));
    }
    if (opt_.field) {
      rec.with_field = true;
      auto fp = solve_field_pose(dets, poses, *opt_.field, *cal, sizes_, opt_.robot_to_camera, opt_.pose);
      if (fp)
        rec.field_pose =
            field_pose_record(*fp, fp->multi_tag ? records::PoseMethod::multi_tag : records::PoseMethod::single_tag);
      // --track: where the layout's other tags should be in the next frame.
      if (tracker && fp) {
        std::vector<TagDetection> hints = project_layout(*opt_.field, fp->camera, *cal, sizes_);
        drop_filtered(hints);
        tracker->hint(std::move(hints));
      }
    }
    if (opt_.field && opt_.headings) {
      rec.with_constrained = true;
      HeadingAt h = opt_.headings->at(f.t_capture);
      if (!opt_.robot_to_camera) {
        rec.constrained_reason = "no robot-to-camera transform (--robot-to-camera, or camerapose_robotspace_set from robot code)";
      } else if (!h.yaw_deg) {
        rec.constrained_reason = h.reason;
      } else {
        HeadingConstraint hc{*h.yaw_deg * M_PI / 180, opt_.heading_sigma_deg * M_PI / 180};
        std::string why;
        auto cp = solve_constrained_pose(dets, *opt_.field, *cal, sizes_, *opt_.robot_to_camera, hc, opt_.pose, &why);
        if (cp) {
          rec.field_pose_constrained = field_pose_record(*cp, records::PoseMethod::heading_constrained);
          rec.field_pose_constrained->ambiguity.reset();  // no ambiguity: the heading decides
          rec.field_pose_constrained->heading = *h.yaw_deg;
        } else {
          rec.constrained_reason = why;
        }
      }
    }
  }

  if (colors_) {
    rec.targets.emplace();
    for (const ColorTarget& c : colors_->find(bgr)) {
      records::ColorTarget t;
      t.color = c.range;
      t.center = point(c.center);
      if (cal) {
        cv::Point2d a = angles_deg(*cal, c.center);
        t.tx = a.x;
        t.ty = a.y;
      }
      t.area = c.area;
      t.bbox = records::Box{c.bbox.x, c.bbox.y, c.bbox.width, c.bbox.height};
      t.angle = c.angle;
      t.width = c.width;
      t.height = c.height;
      t.aspect = c.aspect;
      t.fullness = c.fullness;
      t.corners = quad(c.corners);
      rec.targets->push_back(t);
    }
  }
  return rec;
}

}  // namespace rvkit::vision
