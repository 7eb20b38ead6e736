#include "rvkit/nt/vision.hpp"

#include "rvkit/core/error.hpp"

namespace rvkit::nt {
namespace {

const Json* find_any(const Json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return nullptr;
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::optional<double> number(const Json& j, std::initializer_list<const char*> keys) {
  const Json* v = find_any(j, keys);
  if (v && v->is_number()) return v->get<double>();
  return std::nullopt;
}

std::optional<int64_t> integer(const Json& j, std::initializer_list<const char*> keys) {
  const Json* v = find_any(j, keys);
  if (v && v->is_number_integer()) return v->get<int64_t>();
  if (v && v->is_number_float()) return int64_t(v->get<double>());
  return std::nullopt;
}

using geometry::Pose3;

// A pose in WPILib's JSON form (geometry::pose_from_json), or nullopt.
std::optional<Pose3> pose_or_none(const Json& j) {
  if (!j.is_object()) return std::nullopt;  // e.g. a list of poses: no exception in the common case
  try {
    return geometry::pose_from_json(j, "pose");
  } catch (const Error&) {
    return std::nullopt;
  }
}

// A pose, or the first of a list of poses (best first), or {"best": pose}.
std::optional<Pose3> pose_at(const Json& j, std::initializer_list<const char*> keys) {
  const Json* v = find_any(j, keys);
  if (!v) return std::nullopt;
  if (auto p = pose_or_none(*v)) return p;
  if (v->is_array() && !v->empty()) {
    if (auto p = pose_or_none((*v)[0])) return p;
    if ((*v)[0].is_object())
      if (const Json* inner = find_any((*v)[0], {"pose", "camera_to_tag"})) return pose_or_none(*inner);
  }
  if (v->is_object())
    if (const Json* best = find_any(*v, {"best", "pose"})) return pose_or_none(*best);
  return std::nullopt;
}

std::vector<int64_t> int_list(const Json& j, std::initializer_list<const char*> keys) {
  std::vector<int64_t> out;
  const Json* v = find_any(j, keys);
  if (v && v->is_array())
    for (const auto& e : *v)
      if (e.is_number()) out.push_back(e.get<int64_t>());
  return out;
}

std::vector<double> double_list(const Json& j, std::initializer_list<const char*> keys) {
  std::vector<double> out;
  const Json* v = find_any(j, keys);
  if (v && v->is_array())
    for (const auto& e : *v)
      if (e.is_number()) out.push_back(e.get<double>());
  if (v && v->is_object())  // {"x":..,"y":..,"theta":..}
    for (const char* k : {"x", "y", "theta"})
      if (auto d = number(*v, {k})) out.push_back(*d);
  return out;
}

}  // namespace

std::optional<VisionResult> parse_detections(const Json& rec, std::string* problem) {
  auto fail = [&](const char* why) -> std::optional<VisionResult> {
    if (problem) *problem = why;
    return std::nullopt;
  };
  if (!rec.is_object()) return fail("not a JSON object");
  VisionResult r;
  if (const Json* c = find_any(rec, {"cam"}); c && c->is_string()) r.cam = c->get<std::string>();
  auto tc = integer(rec, {"t_capture"});
  if (!tc) return fail("no integer t_capture");
  r.t_capture = *tc;
  r.seq = integer(rec, {"seq"}).value_or(0);
  r.t_done = integer(rec, {"t_done"}).value_or(0);
  r.width = int(integer(rec, {"w", "width"}).value_or(0));
  r.height = int(integer(rec, {"h", "height"}).value_or(0));
  if (const Json* f = find_any(rec, {"family"}); f && f->is_string()) r.family = f->get<std::string>();

  const Json* tags = find_any(rec, {"tags", "fiducials"});
  if (tags && !tags->is_array()) return fail("\"tags\" is not an array");
  if (tags) {
    for (const auto& t : *tags) {
      if (!t.is_object()) continue;
      TagObservation o;
      auto id = integer(t, {"id"});
      if (!id) continue;
      o.id = *id;
      o.tx = number(t, {"tx"}).value_or(0);
      o.ty = number(t, {"ty"}).value_or(0);
      o.area = number(t, {"area", "ta"}).value_or(0);
      if (const Json* c = find_any(t, {"center"})) {
        if (c->is_array() && c->size() == 2 && (*c)[0].is_number() && (*c)[1].is_number()) {
          o.center_x = (*c)[0].get<double>();
          o.center_y = (*c)[1].get<double>();
        } else if (c->is_object()) {
          o.center_x = number(*c, {"x"});
          o.center_y = number(*c, {"y"});
        }
      }
      o.pose = pose_at(t, {"pose", "poses", "camera_to_tag"});
      o.ambiguity = number(t, {"ambiguity"});
      o.distance = number(t, {"distance"});
      if (!o.distance && o.pose) o.distance = o.pose->t.norm();
      if (r.family.empty())
        if (const Json* f = find_any(t, {"family"}); f && f->is_string()) r.family = f->get<std::string>();
      r.tags.push_back(std::move(o));
    }
  }
  for (size_t i = 0; i < r.tags.size(); ++i)
    if (r.primary < 0 || r.tags[i].area > r.tags[size_t(r.primary)].area) r.primary = int(i);

  // The pose on the field: a "field" object, or the same keys at the top level.
  const Json* fo = find_any(rec, {"field", "field_pose", "pose"});
  const Json& src = (fo && fo->is_object()) ? *fo : rec;
  FieldPose fp;
  fp.camera = pose_at(src, {"camera_pose", "cameraPose", "camera"});
  fp.robot = pose_at(src, {"robot_pose", "robotPose", "robot"});
  if (fp.camera || fp.robot) {
    fp.tag_ids = int_list(src, {"tag_ids", "tags", "ids"});
    fp.ambiguity = number(src, {"ambiguity"});
    fp.error = number(src, {"error", "reprojection_error", "reproj_error"});
    fp.std_devs = double_list(src, {"std_devs", "stddevs", "std_dev"});
    r.field = std::move(fp);
  }
  return r;
}

}  // namespace rvkit::nt
