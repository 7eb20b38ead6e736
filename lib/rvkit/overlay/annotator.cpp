#include "rvkit/overlay/annotator.hpp"

#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::overlay {

namespace {

constexpr size_t kMaxCams = 64;
constexpr int64_t kMaxFrameGapUs = 5000000;    // a longer gap restarts the frame-rate estimate
constexpr int64_t kStalePoseUs = 1000000;      // a vision pose older than this is not drawn

std::vector<TextTemplate> parse_templates(const std::vector<std::string>& texts) {
  std::vector<TextTemplate> t;
  for (const auto& s : texts) t.push_back(TextTemplate::parse(s));
  return t;
}

}  // namespace

Annotator::Annotator(AnnotatorOptions o)
    : o_(std::move(o)), tags_(o_.tag_size / 2), crosshairs_(o_.crosshairs), hud_(o_.hud, parse_templates(o_.texts)) {
  for (const auto& t : hud_.texts()) {
    for (const auto& topic : t.topics()) store_.want_topic(topic);
    for (const auto& type : t.types()) store_.want_type(type);
  }
  if (!o_.pose_topic.empty()) store_.want_topic(o_.pose_topic);
  if (o_.field) map_.emplace(*o_.field);
}

void Annotator::add_record(const RecordPtr& r) {
  store_.add(r);
  if (r->detections && r->detections->field_pose) {
    last_vision_pose_ = r->detections->field_pose->pose;
    last_vision_t_ = r->t_capture.value_or(0);
  }
}

Annotator::CamState& Annotator::cam_state(const std::string& cam) {
  auto it = cams_.find(cam);
  if (it == cams_.end()) {
    if (cams_.size() >= kMaxCams) {  // forget the camera seen least recently
      auto victim = cams_.begin();
      for (auto c = cams_.begin(); c != cams_.end(); ++c)
        if (c->second.last_used < victim->second.last_used) victim = c;
      cams_.erase(victim);
    }
    it = cams_.emplace(cam, CamState{}).first;
  }
  it->second.last_used = ++uses_;
  return it->second;
}

void Annotator::note_frame(const FrameInfo& f) {
  CamState& s = cam_state(f.cam);
  int64_t dt = f.t_capture - s.last_t;
  if (s.last_t != 0 && dt > 0 && dt < kMaxFrameGapUs)
    s.mean_dt_us = s.mean_dt_us > 0 ? s.mean_dt_us + (double(dt) - s.mean_dt_us) * 0.1 : double(dt);
  else if (s.last_t != 0)
    s.mean_dt_us = 0;
  s.last_t = f.t_capture;
}

double Annotator::fps(const std::string& cam) const {
  auto it = cams_.find(cam);
  return it == cams_.end() || it->second.mean_dt_us <= 0 ? 0 : 1e6 / it->second.mean_dt_us;
}

const vision::CameraCalibration* Annotator::calibration(const std::string& cam, int w, int h) {
  const CameraCalibrationFor* chosen = nullptr;
  for (const auto& c : o_.calibs) {
    if (c.cam == cam) chosen = &c;
    if (c.cam.empty() && !chosen) chosen = &c;
  }
  if (!chosen) return nullptr;
  auto& slot = cam_state(cam).calib_at[{w, h}];
  if (!slot) {
    try {
      slot = chosen->calib.for_resolution(w, h);
    } catch (const Error& e) {
      log_line(fmt::format("no 3-D axes for camera '{}' at {}x{}: {}", cam, w, h, e.what()));
      slot = vision::CameraCalibration{};
      slot->width = -1;  // marks "unusable", so the warning is printed once
    }
  }
  return slot->width < 0 ? nullptr : &*slot;
}

TemplateContext Annotator::context(const FrameInfo& f, const Record* rec, int64_t now_us) const {
  TemplateContext ctx;
  ctx.cam = f.cam;
  ctx.seq = f.seq;
  ctx.t_capture = f.t_capture;
  ctx.w = f.w;
  ctx.h = f.h;
  ctx.fps = fps(f.cam);
  ctx.latency_ms = double(now_us - f.t_capture) / 1000.0;
  ctx.frame_record = rec;
  ctx.store = &store_;
  return ctx;
}

void Annotator::draw_camera(Canvas& c, const FrameInfo& f, const Record* rec, int64_t now_us) {
  if (c.img.empty()) return;
  const FrameDetections* d = rec ? rec->detections.get() : nullptr;
  if (d && o_.targets) targets_.draw(c, *d);
  if (d && o_.tags) tags_.draw(c, *d, o_.calibs.empty() ? nullptr : calibration(f.cam, f.w, f.h));
  if (!crosshairs_.empty()) crosshairs_.draw(c, f.cam);
  hud_.draw_status(c, context(f, rec, now_us));
}

std::optional<geometry::Pose3> Annotator::topic_pose() const {
  if (o_.pose_topic.empty()) return std::nullopt;
  const Json* v = store_.nt_value(o_.pose_topic);
  if (!v) return std::nullopt;
  if (v->is_array() && v->size() >= 3 && (*v)[0].is_number() && (*v)[1].is_number() && (*v)[2].is_number()) {
    // Field2d's layout: x (m), y (m), heading (degrees)
    double x = (*v)[0].get<double>(), y = (*v)[1].get<double>(), deg = (*v)[2].get<double>();
    if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(deg)) return std::nullopt;
    return geometry::Pose3::from_xyz_rpy(x, y, 0, 0, 0, deg * M_PI / 180);
  }
  if (v->is_object()) {
    try {
      return geometry::pose_from_json(*v, o_.pose_topic);
    } catch (const Error&) {
    }
  }
  return std::nullopt;
}

void Annotator::draw_global(Canvas& c, const FrameInfo& f, const Record* rec, int64_t now_us) {
  if (c.img.empty()) return;
  hud_.draw_texts(c, context(f, rec, now_us), texts_width(c));
  if (!map_) return;
  std::vector<MapPose> poses;
  if (auto p = topic_pose()) poses.push_back({*p, color::cyan});
  const FrameDetections* d = rec ? rec->detections.get() : nullptr;
  if (d && d->field_pose)
    poses.push_back({d->field_pose->pose, color::yellow});
  else if (last_vision_pose_ && std::llabs(f.t_capture - last_vision_t_) < kStalePoseUs)
    poses.push_back({*last_vision_pose_, color::grey});
  map_->draw(c, poses);
}

int Annotator::texts_width(const Canvas& c) const {
  // The texts (bottom left) stop short of the map (bottom right).
  return map_ ? map_->map_rect(c.img.cols, c.img.rows, c.style).x - c.style.pad : c.img.cols;
}

std::vector<cv::Rect> Annotator::global_rects(const Canvas& c, const FrameInfo& f, const Record* rec,
                                              int64_t now_us) const {
  std::vector<cv::Rect> r;
  cv::Rect all(0, 0, c.img.cols, c.img.rows);
  cv::Rect t = hud_.texts_rect(c, context(f, rec, now_us), texts_width(c)) & all;
  if (!t.empty()) r.push_back(t);
  if (map_) {
    cv::Rect m = map_->map_rect(c.img.cols, c.img.rows, c.style) & all;  // the map draws nothing outside
    if (!m.empty()) r.push_back(m);
  }
  return r;
}

}  // namespace rvkit::overlay
