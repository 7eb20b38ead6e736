#include "rvkit/overlay/records.hpp"

#include <fmt/format.h>

#include "rvkit/records/detections.hpp"
#include "rvkit/records/nt.hpp"

namespace rvkit::overlay {

namespace {

constexpr size_t kMaxProblems = 3;
constexpr size_t kMaxFieldPoseTags = 64;

cv::Point2d cv_point(const records::Point& p) { return {p.x, p.y}; }

std::array<cv::Point2d, 4> cv_quad(const records::Quad& q) {
  return {cv_point(q[0]), cv_point(q[1]), cv_point(q[2]), cv_point(q[3])};
}

}  // namespace

FrameDetections frame_detections(const Json& record) {
  FrameDetections out;
  std::vector<std::string> problems;
  records::Detections d;
  try {
    d = records::read_parts(record, records::ReadOptions{&problems});
  } catch (const records::RecordError& e) {  // not even an object
    problems.push_back(e.what());
  }
  if (d.w && d.h) {
    out.w = *d.w;
    out.h = *d.h;
  }
  static const std::vector<records::Tag> no_tags;
  static const std::vector<records::ColorTarget> no_targets;
  for (const records::Tag& t : d.tags ? *d.tags : no_tags) {
    if (!t.corners) {
      problems.push_back(fmt::format("tag {}: no corners to draw", t.id));
      continue;
    }
    TagDraw draw;
    draw.id = t.id;
    draw.corners = cv_quad(*t.corners);
    draw.center = t.center ? cv_point(*t.center)
                           : (draw.corners[0] + draw.corners[1] + draw.corners[2] + draw.corners[3]) * 0.25;
    if (!t.poses.empty()) draw.camera_to_tag = t.poses.front().camera_to_tag;
    out.tags.push_back(std::move(draw));
  }
  for (const records::ColorTarget& t : d.targets ? *d.targets : no_targets) {
    TargetDraw draw;
    draw.color = t.color;
    if (t.corners) draw.corners = cv_quad(*t.corners);
    if (t.bbox) draw.bbox = cv::Rect2d(t.bbox->x, t.bbox->y, t.bbox->w, t.bbox->h);
    if (t.center) {
      draw.center = cv_point(*t.center);
    } else if (draw.corners) {
      const auto& q = *draw.corners;
      draw.center = (q[0] + q[1] + q[2] + q[3]) * 0.25;
    } else if (draw.bbox) {
      draw.center = {draw.bbox->x + draw.bbox->width / 2, draw.bbox->y + draw.bbox->height / 2};
    } else {
      problems.push_back(fmt::format("a colour target of range {}: no center, corners or bbox to draw", t.color));
      continue;
    }
    out.targets.push_back(draw);
  }
  if (d.field_pose) {
    FieldPoseDraw draw;
    draw.is_robot = d.field_pose->robot.has_value();
    draw.pose = draw.is_robot ? *d.field_pose->robot : *d.field_pose->camera;
    for (int id : d.field_pose->tags)
      if (draw.tags.size() < kMaxFieldPoseTags) draw.tags.push_back(id);
    out.field_pose = draw;
  }
  if (problems.size() > kMaxProblems) problems.resize(kMaxProblems);
  out.problems = std::move(problems);
  return out;
}

RecordPtr make_record(Json header) {
  auto r = std::make_shared<Record>();
  r->json = std::move(header);
  const Json& j = r->json;
  if (auto it = j.find("type"); it != j.end() && it->is_string()) r->type = it->get<std::string>();
  if (auto it = j.find("cam"); it != j.end() && it->is_string()) r->cam = it->get<std::string>();
  if (!r->cam.empty())
    if (auto it = j.find("seq"); it != j.end() && it->is_number_integer()) r->seq = it->get<int64_t>();
  if (auto it = j.find("t_capture"); it != j.end() && it->is_number_integer()) r->t_capture = it->get<int64_t>();
  if (j.contains("tags") || j.contains("targets") || j.contains("field_pose"))
    r->detections = std::make_shared<FrameDetections>(frame_detections(j));
  return r;
}

void RecordStore::add(const RecordPtr& r) {
  // A malformed nt record brings no value (as a topic nobody asked for brings none).
  try {
    if (r->type == records::Nt::kType && !topics_.empty()) {
      auto n = r->json.get<records::Nt>();
      if (topics_.count(n.topic)) nt_[n.topic] = std::move(n.value);
    } else if (r->type == records::NtSnapshot::kType && !topics_.empty()) {
      auto s = r->json.get<records::NtSnapshot>();
      for (const auto& t : topics_)
        if (auto v = s.values.find(t); v != s.values.end()) nt_[t] = std::move(v->second);
    }
  } catch (const records::RecordError&) {
  }
  if (!types_.count(r->type)) return;
  Latest& l = latest_[r->type];
  if (r->cam.empty())
    l.no_cam = r;
  else if (l.by_cam.size() < kMaxCamsPerType || l.by_cam.count(r->cam))
    l.by_cam[r->cam] = r;
}

const Json* RecordStore::nt_value(const std::string& topic) const {
  auto it = nt_.find(topic);
  return it == nt_.end() ? nullptr : &it->second;
}

const Record* RecordStore::latest(const std::string& type, const std::string& cam) const {
  auto it = latest_.find(type);
  if (it == latest_.end()) return nullptr;
  if (auto c = it->second.by_cam.find(cam); c != it->second.by_cam.end()) return c->second.get();
  return it->second.no_cam.get();
}

}  // namespace rvkit::overlay
