#include "rvkit/overlay/records.hpp"

#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::overlay {

namespace {

constexpr double kMaxPixel = 1e6;  // coordinates beyond this are nonsense (and would overflow drawing)
constexpr size_t kMaxProblems = 3;

struct Parser {
  FrameDetections& out;
  void problem(std::string p) {
    if (out.problems.size() < kMaxProblems) out.problems.push_back(std::move(p));
  }
};

bool get_point(const Json& j, cv::Point2d& p) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number() || !j[1].is_number()) return false;
  double x = j[0].get<double>(), y = j[1].get<double>();
  if (!std::isfinite(x) || !std::isfinite(y) || std::fabs(x) > kMaxPixel || std::fabs(y) > kMaxPixel) return false;
  p = {x, y};
  return true;
}

bool get_quad(const Json& j, std::array<cv::Point2d, 4>& q) {
  if (!j.is_array() || j.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i)
    if (!get_point(j[i], q[i])) return false;
  return true;
}

std::optional<int> get_int(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  int64_t v = it->get<int64_t>();
  if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
  return int(v);
}

void parse_tags(const Json& tags, Parser& p) {
  if (!tags.is_array()) return p.problem("'tags' is not an array");
  for (size_t i = 0; i < tags.size(); ++i) {
    const Json& t = tags[i];
    std::string where = fmt::format("tags[{}]", i);
    if (!t.is_object()) {
      p.problem(where + " is not an object");
      continue;
    }
    TagDraw d;
    auto id = get_int(t, "id");
    if (!id) {
      p.problem(where + ".id: missing or not an integer");
      continue;
    }
    d.id = *id;
    auto c = t.find("corners");
    if (c == t.end() || !get_quad(*c, d.corners)) {
      p.problem(where + ".corners: expected 4 [x, y] pairs of pixel coordinates");
      continue;
    }
    auto ce = t.find("center");
    if (ce == t.end() || !get_point(*ce, d.center))
      d.center = (d.corners[0] + d.corners[1] + d.corners[2] + d.corners[3]) * 0.25;
    auto poses = t.find("poses");
    if (poses != t.end()) {
      if (!poses->is_array() || poses->empty() || !(*poses)[0].is_object()) {
        p.problem(where + ".poses: expected an array of {camera_to_tag, error}");
      } else {
        try {
          d.camera_to_tag = geometry::pose_from_json(
              (*poses)[0].contains("camera_to_tag") ? (*poses)[0]["camera_to_tag"] : Json(),
              where + ".poses[0].camera_to_tag");
        } catch (const Error& e) {
          p.problem(e.what());
        }
      }
    }
    p.out.tags.push_back(std::move(d));
  }
}

void parse_targets(const Json& targets, Parser& p) {
  if (!targets.is_array()) return p.problem("'targets' is not an array");
  for (size_t i = 0; i < targets.size(); ++i) {
    const Json& t = targets[i];
    std::string where = fmt::format("targets[{}]", i);
    if (!t.is_object()) {
      p.problem(where + " is not an object");
      continue;
    }
    TargetDraw d;
    d.color = get_int(t, "color").value_or(0);
    auto c = t.find("corners");
    if (c != t.end()) {
      std::array<cv::Point2d, 4> q;
      if (get_quad(*c, q))
        d.corners = q;
      else
        p.problem(where + ".corners: expected 4 [x, y] pairs of pixel coordinates");
    }
    auto b = t.find("bbox");
    if (b != t.end()) {
      bool ok = b->is_array() && b->size() == 4;
      double v[4] = {0, 0, 0, 0};
      for (size_t k = 0; ok && k < 4; ++k) {
        ok = (*b)[k].is_number() && std::isfinite((*b)[k].get<double>()) && std::fabs((*b)[k].get<double>()) <= kMaxPixel;
        if (ok) v[k] = (*b)[k].get<double>();
      }
      if (ok && v[2] >= 0 && v[3] >= 0)
        d.bbox = cv::Rect2d(v[0], v[1], v[2], v[3]);
      else
        p.problem(where + ".bbox: expected [x, y, w, h]");
    }
    auto ce = t.find("center");
    if (ce == t.end() || !get_point(*ce, d.center)) {
      if (d.corners) {
        const auto& q = *d.corners;
        d.center = (q[0] + q[1] + q[2] + q[3]) * 0.25;
      } else if (d.bbox) {
        d.center = {d.bbox->x + d.bbox->width / 2, d.bbox->y + d.bbox->height / 2};
      } else {
        p.problem(where + ": no center, corners or bbox");
        continue;
      }
    }
    p.out.targets.push_back(d);
  }
}

void parse_field_pose(const Json& fp, Parser& p) {
  if (fp.is_null()) return;
  if (!fp.is_object()) return p.problem("'field_pose' is not an object or null");
  FieldPoseDraw d;
  try {
    if (fp.contains("robot")) {
      d.pose = geometry::pose_from_json(fp["robot"], "field_pose.robot");
      d.is_robot = true;
    } else if (fp.contains("camera")) {
      d.pose = geometry::pose_from_json(fp["camera"], "field_pose.camera");
    } else {
      return p.problem("field_pose: no 'robot' or 'camera' pose");
    }
  } catch (const Error& e) {
    return p.problem(e.what());
  }
  auto tags = fp.find("tags");
  if (tags != fp.end() && tags->is_array())
    for (const auto& t : *tags)
      if (t.is_number_integer() && d.tags.size() < 64) d.tags.push_back(int(t.get<int64_t>()));
  p.out.field_pose = d;
}

}  // namespace

FrameDetections parse_detections(const Json& record) {
  FrameDetections out;
  Parser p{out};
  if (!record.is_object()) {
    p.problem("not an object");
    return out;
  }
  auto w = get_int(record, "w"), h = get_int(record, "h");
  if (w && h && *w > 0 && *h > 0 && *w <= 65535 && *h <= 65535) {
    out.w = *w;
    out.h = *h;
  }
  if (auto it = record.find("tags"); it != record.end()) parse_tags(*it, p);
  if (auto it = record.find("targets"); it != record.end()) parse_targets(*it, p);
  if (auto it = record.find("field_pose"); it != record.end()) parse_field_pose(*it, p);
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
  if (j.contains("tags") || j.contains("targets") || j.contains("field_pose"))
    r->detections = std::make_shared<FrameDetections>(parse_detections(j));
  return r;
}

void RecordStore::add(const RecordPtr& r) {
  if (r->type == "nt") {
    auto topic = r->json.find("topic");
    auto value = r->json.find("value");
    if (topic != r->json.end() && topic->is_string() && value != r->json.end() &&
        topics_.count(topic->get<std::string>()))
      nt_[topic->get<std::string>()] = *value;
  } else if (r->type == "nt_snapshot") {
    auto values = r->json.find("values");
    if (values != r->json.end() && values->is_object())
      for (const auto& t : topics_)
        if (auto v = values->find(t); v != values->end()) nt_[t] = *v;
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
