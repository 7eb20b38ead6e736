#include "rvkit/records/detections.hpp"

#include <cmath>

#include "rvkit/records/fields.hpp"

namespace rvkit::records {

using geometry::round_to;
namespace f = fields;

namespace {

constexpr double kMaxPixel = 1e6;  // coordinates beyond this are nonsense (and would overflow drawing)
constexpr int64_t kMaxSide = 65535;  // a frame's w and h, as in frame headers
constexpr int64_t kMaxId = 2147483647;

// ---------------------------------------------------------------- writing (rounding as documented)

Json point_json(const Point& p) { return Json::array({round_to(p.x, 3), round_to(p.y, 3)}); }

Json quad_json(const Quad& q) {
  Json a = Json::array();
  for (const Point& p : q) a.push_back(point_json(p));
  return a;
}

// ---------------------------------------------------------------- reading

bool point_from(const Json& j, Point& p) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number() || !j[1].is_number()) return false;
  double x = j[0].get<double>(), y = j[1].get<double>();
  if (!std::isfinite(x) || !std::isfinite(y) || std::fabs(x) > kMaxPixel || std::fabs(y) > kMaxPixel) return false;
  p = {x, y};
  return true;
}

std::optional<Point> optional_point(const Json& obj, const char* key, const std::string& where) {
  const Json* v = f::member(obj, key);
  if (!v) return std::nullopt;
  Point p;
  if (!point_from(*v, p)) f::fail(f::join(where, key), "expected [x, y] pixel coordinates");
  return p;
}

std::optional<Quad> optional_quad(const Json& obj, const char* key, const std::string& where) {
  const Json* v = f::member(obj, key);
  if (!v) return std::nullopt;
  Quad q;
  bool ok = v->is_array() && v->size() == 4;
  for (size_t i = 0; ok && i < 4; ++i) ok = point_from((*v)[i], q[i]);
  if (!ok) f::fail(f::join(where, key), "expected 4 [x, y] pairs of pixel coordinates");
  return q;
}

// A pose in WPILib's JSON form; with alternative spellings also [x, y, z, W, X, Y, Z].
geometry::Pose3 pose_from(const Json& j, const std::string& where, const ReadOptions& o) {
  if (o.alternative_spellings && j.is_array() && j.size() == 7) {
    double v[7];
    for (size_t i = 0; i < 7; ++i) v[i] = f::as_number(j[i], f::at(where, i));
    geometry::Quaternion q{v[3], v[4], v[5], v[6]};
    if (!(std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z) > 1e-6))
      f::fail(where, "the quaternion has zero length");
    return geometry::Pose3::from_quaternion({v[0], v[1], v[2]}, q);
  }
  try {
    return geometry::pose_from_json(j, where);
  } catch (const RecordError&) {
    throw;
  } catch (const Error& e) {  // geometry's own messages already name the field
    throw RecordError(e.what());
  }
}

// The first of `keys` that `obj` has (the documented name first, then alternatives), with its name.
const Json* member_spelled(const Json& obj, std::initializer_list<const char*> keys, const ReadOptions& o,
                           const char** found) {
  bool first = true;
  for (const char* k : keys) {
    if (!first && !o.alternative_spellings) break;
    first = false;
    if (const Json* v = f::member(obj, k)) {
      *found = k;
      return v;
    }
  }
  return nullptr;
}

std::optional<geometry::Pose3> optional_pose(const Json& obj, std::initializer_list<const char*> keys,
                                             const std::string& where, const ReadOptions& o) {
  const char* key = nullptr;
  const Json* v = member_spelled(obj, keys, o, &key);
  if (!v) return std::nullopt;
  return pose_from(*v, f::join(where, key), o);
}

TagPose tag_pose_from(const Json& j, const std::string& where, const ReadOptions& o) {
  if (o.alternative_spellings && (j.is_array() || (j.is_object() && !j.contains("camera_to_tag"))))
    return TagPose{pose_from(j, where, o), std::nullopt};  // a bare pose
  f::object(j, where);
  const Json* p = f::member(j, "camera_to_tag");
  if (!p) f::fail(f::join(where, "camera_to_tag"), "missing");
  return TagPose{pose_from(*p, f::join(where, "camera_to_tag"), o), f::optional_number(j, "error", where)};
}

std::vector<TagPose> tag_poses_from(const Json& t, const std::string& where, const ReadOptions& o) {
  std::vector<TagPose> poses;
  const Json* v = f::member(t, "poses");
  if (!v && o.alternative_spellings)
    if (const Json* single = f::member(t, "pose")) {
      poses.push_back(TagPose{pose_from(*single, f::join(where, "pose"), o), std::nullopt});
      return poses;
    }
  if (!v) return poses;
  std::string w = f::join(where, "poses");
  if (!v->is_array() || v->empty()) f::fail(w, "expected an array of {camera_to_tag, error}");
  for (size_t i = 0; i < v->size(); ++i) poses.push_back(tag_pose_from((*v)[i], f::at(w, i), o));
  return poses;
}

Tag tag_from(const Json& j, const std::string& where, const ReadOptions& o) {
  if (!j.is_object()) f::fail(where, "not an object");
  Tag t;
  t.id = int(f::integer(j, "id", where, -kMaxId - 1, kMaxId));
  if (auto v = f::optional_integer(j, "hamming", where, 0, kMaxId)) t.hamming = int(*v);
  t.margin = f::optional_number(j, "margin", where);
  t.corners = optional_quad(j, "corners", where);
  t.center = optional_point(j, "center", where);
  t.tx = f::optional_number(j, "tx", where);
  t.ty = f::optional_number(j, "ty", where);
  t.area = f::optional_number(j, "area", where);
  t.distance = f::optional_number(j, "distance", where);
  t.ambiguity = f::optional_number(j, "ambiguity", where);
  try {
    t.poses = tag_poses_from(j, where, o);
  } catch (const RecordError& e) {
    if (!o.skipped) throw;
    o.skipped->push_back(e.what());  // the tag without its poses is still a tag
  }
  return t;
}

std::optional<Box> optional_box(const Json& obj, const char* key, const std::string& where) {
  const Json* v = f::member(obj, key);
  if (!v) return std::nullopt;
  int b[4] = {0, 0, 0, 0};
  bool ok = v->is_array() && v->size() == 4;
  for (size_t k = 0; ok && k < 4; ++k) {
    const Json& e = (*v)[k];
    double d = e.is_number() ? e.get<double>() : NAN;
    // Whole pixels; written as integers, read also as 12.0.
    ok = std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kMaxPixel && (k < 2 || d >= 0);
    if (ok) b[k] = int(d);
  }
  if (!ok) f::fail(f::join(where, key), "expected [x, y, w, h] in whole pixels");
  return Box{b[0], b[1], b[2], b[3]};
}

ColorTarget target_from(const Json& j, const std::string& where) {
  if (!j.is_object()) f::fail(where, "not an object");
  ColorTarget t;
  t.color = int(f::integer(j, "color", where, 0, kMaxId));
  t.center = optional_point(j, "center", where);
  t.tx = f::optional_number(j, "tx", where);
  t.ty = f::optional_number(j, "ty", where);
  t.area = f::optional_number(j, "area", where);
  t.bbox = optional_box(j, "bbox", where);
  t.angle = f::optional_number(j, "angle", where);
  t.width = f::optional_number(j, "width", where);
  t.height = f::optional_number(j, "height", where);
  t.aspect = f::optional_number(j, "aspect", where);
  t.fullness = f::optional_number(j, "fullness", where);
  t.corners = optional_quad(j, "corners", where);
  return t;
}

std::vector<int> id_list(const Json& v, const std::string& where) {
  if (!v.is_array()) f::fail(where, "expected an array of tag ids");
  std::vector<int> ids;
  for (size_t i = 0; i < v.size(); ++i) ids.push_back(int(f::as_integer(v[i], f::at(where, i), -kMaxId - 1, kMaxId)));
  return ids;
}

FieldPose field_pose_from(const Json& j, const std::string& where, const ReadOptions& o) {
  if (!j.is_object()) f::fail(where, "expected an object or null");
  FieldPose fp;
  if (auto m = f::optional_string(j, "method", where)) {
    if (*m == "multi-tag") fp.method = PoseMethod::multi_tag;
    else if (*m == "single-tag") fp.method = PoseMethod::single_tag;
    else if (*m == "heading-constrained") fp.method = PoseMethod::heading_constrained;
    else f::fail(f::join(where, "method"), "expected \"multi-tag\", \"single-tag\" or \"heading-constrained\"");
  }
  const char* key = nullptr;
  if (const Json* ids = member_spelled(j, {"tags", "tag_ids"}, o, &key)) fp.tags = id_list(*ids, f::join(where, key));
  fp.camera = optional_pose(j, {"camera", "camera_pose"}, where, o);
  fp.robot = optional_pose(j, {"robot", "robot_pose"}, where, o);
  if (!fp.camera && !fp.robot) f::fail(where, "no \"robot\" or \"camera\" pose");
  fp.error = f::optional_number(j, "error", where);
  fp.ambiguity = f::optional_number(j, "ambiguity", where);
  fp.distance = f::optional_number(j, "distance", where);
  if (const Json* s = f::member(j, "std_devs")) {
    std::string w = f::join(where, "std_devs");
    if (!s->is_array() || s->size() != 3) f::fail(w, "expected [σx, σy, σθ]");
    fp.std_devs = {f::as_number((*s)[0], f::at(w, 0)), f::as_number((*s)[1], f::at(w, 1)),
                   f::as_number((*s)[2], f::at(w, 2))};
  }
  if (const Json* e = f::member(j, "tag_errors")) {
    std::string w = f::join(where, "tag_errors");
    if (!e->is_array() || e->size() != fp.tags.size()) f::fail(w, "expected one error per tag of \"tags\"");
    for (size_t i = 0; i < e->size(); ++i) fp.tag_errors.push_back(f::as_number((*e)[i], f::at(w, i)));
  }
  if (const Json* r = f::member(j, "rejected")) {
    std::string w = f::join(where, "rejected");
    if (!r->is_array()) f::fail(w, "expected an array of {id, error}");
    for (size_t i = 0; i < r->size(); ++i) {
      std::string wi = f::at(w, i);
      f::object((*r)[i], wi);
      RejectedTag t;
      t.id = int(f::integer((*r)[i], "id", wi, -kMaxId - 1, kMaxId));
      t.error = f::optional_number((*r)[i], "error", wi).value_or(0);
      fp.rejected.push_back(t);
    }
  }
  fp.heading = f::optional_number(j, "heading", where);
  return fp;
}

// Reads the elements of an array; with `skipped`, a malformed one is left out and described.
template <class T, class Read>
std::vector<T> elements(const Json& array, const std::string& where, const ReadOptions& o, Read read) {
  if (!array.is_array()) f::fail(where, "expected an array");
  std::vector<T> out;
  for (size_t i = 0; i < array.size(); ++i) {
    try {
      out.push_back(read(array[i], f::at(where, i)));
    } catch (const RecordError& e) {
      if (!o.skipped) throw;
      o.skipped->push_back(e.what());
    }
  }
  return out;
}

std::optional<FieldPose> field_pose_or_skip(const Json& j, const std::string& where, const ReadOptions& o) {
  if (j.is_null()) return std::nullopt;
  try {
    return field_pose_from(j, where, o);
  } catch (const RecordError& e) {
    if (!o.skipped) throw;
    o.skipped->push_back(e.what());
    return std::nullopt;
  }
}

std::vector<Tag> tags_from(const Json& tags, const ReadOptions& o) {
  return elements<Tag>(tags, "tags", o, [&](const Json& j, const std::string& w) { return tag_from(j, w, o); });
}

std::vector<ColorTarget> targets_from(const Json& targets, const ReadOptions& o) {
  return elements<ColorTarget>(targets, "targets", o, [](const Json& j, const std::string& w) { return target_from(j, w); });
}

// Runs `read`; with `parts` and `skipped`, a problem is described there instead of thrown.
template <class Read>
void part(bool parts, const ReadOptions& o, Read read) {
  try {
    read();
  } catch (const RecordError& e) {
    if (!parts || !o.skipped) throw;
    o.skipped->push_back(e.what());
  }
}

// `parts`: only what read_parts reads, every malformed part skippable.
Detections detections_from(const Json& j, const ReadOptions& o, bool parts) {
  f::object(j, "");
  Detections d;
  if (!parts) {
    f::expect_type(j, Detections::kType);
    d.cam = f::optional_string(j, "cam", "").value_or("");
    d.seq = f::optional_integer(j, "seq", "", 0);
    d.t_capture = f::integer(j, "t_capture", "");
  }
  part(parts, o, [&] {
    if (auto w = f::optional_integer(j, "w", "", 1, kMaxSide)) d.w = int(*w);
  });
  part(parts, o, [&] {
    if (auto h = f::optional_integer(j, "h", "", 1, kMaxSide)) d.h = int(*h);
  });
  if (const Json* t = f::member(j, "tags")) part(parts, o, [&] { d.tags = tags_from(*t, o); });
  part(parts, o, [&] {
    if (auto p = f::optional_integer(j, "priority_id", "", 0, kMaxId)) d.priority_id = int(*p);
  });
  if (const Json* fp = f::member(j, "field_pose")) {
    d.with_field = true;
    part(parts, o, [&] { d.field_pose = field_pose_or_skip(*fp, "field_pose", o); });
  }
  if (const Json* fc = f::member(j, "field_pose_constrained")) {
    d.with_constrained = true;
    part(parts, o, [&] { d.field_pose_constrained = field_pose_or_skip(*fc, "field_pose_constrained", o); });
  }
  part(parts, o, [&] { d.constrained_reason = f::optional_string(j, "constrained_reason", ""); });
  if (o.alternative_spellings && !d.field_pose) {
    // An older record: its field pose in "field", or camera_pose/robot_pose at the top level.
    if (const Json* fp = f::member(j, "field"); fp && !fp->is_null()) {
      d.with_field = true;
      d.field_pose = field_pose_or_skip(*fp, "field", o);
    } else if (f::member(j, "camera_pose") || f::member(j, "robot_pose")) {
      Json top = Json::object();
      for (const char* k : {"camera_pose", "robot_pose", "tag_ids"})
        if (const Json* v = f::member(j, k)) top[k] = *v;
      d.with_field = true;
      d.field_pose = field_pose_or_skip(top, "", o);
    }
  }
  if (const Json* t = f::member(j, "targets")) part(parts, o, [&] { d.targets = targets_from(*t, o); });
  if (!parts) {
    d.t_start = f::optional_integer(j, "t_start", "");
    d.t_done = f::optional_integer(j, "t_done", "");
  }
  return d;
}

const char* method_name(PoseMethod m) {
  switch (m) {
    case PoseMethod::multi_tag: return "multi-tag";
    case PoseMethod::heading_constrained: return "heading-constrained";
    case PoseMethod::single_tag: break;
  }
  return "single-tag";
}

}  // namespace

Detections read_parts(const Json& record, const ReadOptions& o) { return detections_from(record, o, true); }

Detections read_detections(const Json& record, const ReadOptions& o) {
  try {
    return detections_from(record, o, false);
  } catch (const RecordError& e) {
    throw RecordError(std::string(Detections::kType) + ": " + e.what());
  }
}

void from_json(const Json& j, Detections& d) { d = read_detections(j); }

void to_json(Json& j, const TagPose& p) {
  j = Json::object();
  j["camera_to_tag"] = geometry::pose_to_json(p.camera_to_tag);
  if (p.error) j["error"] = round_to(*p.error, 4);
}

void to_json(Json& j, const Tag& t) {
  j = Json::object();
  j["id"] = t.id;
  if (t.hamming) j["hamming"] = *t.hamming;
  if (t.margin) j["margin"] = round_to(*t.margin, 2);
  if (t.corners) j["corners"] = quad_json(*t.corners);
  if (t.center) j["center"] = point_json(*t.center);
  if (t.tx) j["tx"] = round_to(*t.tx, 4);
  if (t.ty) j["ty"] = round_to(*t.ty, 4);
  if (t.area) j["area"] = round_to(*t.area, 5);
  if (t.distance) j["distance"] = round_to(*t.distance, 5);
  if (t.ambiguity) j["ambiguity"] = round_to(*t.ambiguity, 5);
  if (!t.poses.empty()) j["poses"] = t.poses;
}

void to_json(Json& j, const FieldPose& fp) {
  j = Json::object();
  if (fp.method) j["method"] = method_name(*fp.method);
  if (!fp.tags.empty()) j["tags"] = fp.tags;
  if (fp.camera) j["camera"] = geometry::pose_to_json(*fp.camera);
  if (fp.robot) j["robot"] = geometry::pose_to_json(*fp.robot);
  if (fp.error) j["error"] = round_to(*fp.error, 4);
  if (fp.ambiguity) j["ambiguity"] = round_to(*fp.ambiguity, 5);
  if (fp.distance) j["distance"] = round_to(*fp.distance, 5);
  if (fp.std_devs) {
    const auto& s = *fp.std_devs;
    j["std_devs"] = {round_to(s[0], 5), round_to(s[1], 5), round_to(s[2], 5)};
  }
  if (!fp.tag_errors.empty()) {
    Json e = Json::array();
    for (double v : fp.tag_errors) e.push_back(round_to(v, 4));
    j["tag_errors"] = e;
  }
  if (!fp.rejected.empty()) {
    Json r = Json::array();
    for (const RejectedTag& t : fp.rejected) r.push_back({{"id", t.id}, {"error", round_to(t.error, 4)}});
    j["rejected"] = r;
  }
  if (fp.heading) j["heading"] = round_to(*fp.heading, 4);
}

void to_json(Json& j, const ColorTarget& t) {
  j = Json::object();
  j["color"] = t.color;
  if (t.center) j["center"] = point_json(*t.center);
  if (t.tx) j["tx"] = round_to(*t.tx, 4);
  if (t.ty) j["ty"] = round_to(*t.ty, 4);
  if (t.area) j["area"] = round_to(*t.area, 5);
  if (t.bbox) j["bbox"] = {t.bbox->x, t.bbox->y, t.bbox->w, t.bbox->h};
  if (t.angle) j["angle"] = round_to(*t.angle, 3);
  if (t.width) j["width"] = round_to(*t.width, 3);
  if (t.height) j["height"] = round_to(*t.height, 3);
  if (t.aspect) j["aspect"] = round_to(*t.aspect, 4);
  if (t.fullness) j["fullness"] = round_to(*t.fullness, 3);
  if (t.corners) j["corners"] = quad_json(*t.corners);
}

void to_json(Json& j, const Detections& d) {
  j = Json::object();
  j["type"] = Detections::kType;
  if (!d.cam.empty()) j["cam"] = d.cam;
  if (d.seq) j["seq"] = *d.seq;
  j["t_capture"] = d.t_capture;
  if (d.w) j["w"] = *d.w;
  if (d.h) j["h"] = *d.h;
  if (d.tags) j["tags"] = *d.tags;
  if (d.priority_id) j["priority_id"] = *d.priority_id;
  if (d.with_field || d.field_pose) j["field_pose"] = d.field_pose ? Json(*d.field_pose) : Json(nullptr);
  if (d.with_constrained || d.field_pose_constrained)
    j["field_pose_constrained"] = d.field_pose_constrained ? Json(*d.field_pose_constrained) : Json(nullptr);
  if (d.constrained_reason) j["constrained_reason"] = *d.constrained_reason;
  if (d.targets) j["targets"] = *d.targets;
  if (d.t_start) j["t_start"] = *d.t_start;
  if (d.t_done) j["t_done"] = *d.t_done;
}

}  // namespace rvkit::records
