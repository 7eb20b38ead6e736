#include "rvkit/nt/publisher.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/nt/limelight_axes.hpp"
#include "rvkit/nt/pose3d_struct.hpp"

namespace rvkit::nt {

using geometry::Pose3;

// ====================================================================== --map

MapRule MapRule::parse(const std::string& spec) {
  MapRule r;
  r.spec = spec;
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw OptionError("--map", spec, "expected FIELD.PATH=/Topic:type");
  std::string path = spec.substr(0, eq), rest = spec.substr(eq + 1);
  // The type follows the first ':' after the topic's last '/' (types like struct:Pose3d have one too).
  auto slash = rest.rfind('/');
  auto colon = rest.find(':', slash == std::string::npos ? 0 : slash);
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
    throw OptionError("--map", spec, "expected FIELD.PATH=/Topic:type");
  r.topic = rest.substr(0, colon);
  r.type = rest.substr(colon + 1);
  static const std::set<std::string> known = {"boolean", "int", "double", "float", "string", "json", "raw",
                                              "boolean[]", "int[]", "double[]", "float[]", "string[]",
                                              "struct:Pose3d"};
  if (!known.count(r.type))
    throw OptionError("--map", spec,
                      fmt::format("unknown type '{}' (use boolean, int, double, float, string, json, raw, boolean[], "
                                  "int[], double[], float[], string[] or struct:Pose3d)",
                                  r.type));
  if (r.topic.empty() || r.topic[0] != '/') throw OptionError("--map", spec, "the topic must start with '/'");
  // Path: a.b.0.c or a.b[0].c
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) r.path.push_back(cur);
    cur.clear();
  };
  for (char c : path) {
    if (c == '.' || c == '[') flush();
    else if (c == ']') flush();
    else cur += c;
  }
  flush();
  if (r.path.empty()) throw OptionError("--map", spec, "empty field path");
  return r;
}

namespace {

const Json* walk(const Json& j, const std::vector<std::string>& path) {
  const Json* cur = &j;
  for (const auto& k : path) {
    if (cur->is_object()) {
      auto it = cur->find(k);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos || k.size() > 9) return nullptr;
      size_t i = std::stoul(k);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string normalize_table(std::string t) {
  if (t.empty() || t[0] != '/') t = "/" + t;
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  return t;
}

int64_t record_int(const Json& rec, const char* k, int64_t dflt) {
  auto it = rec.find(k);
  if (it != rec.end() && it->is_number()) return it->get<int64_t>();
  return dflt;
}

}  // namespace

std::pair<double, double> field_size(const geometry::FieldLayout& layout) {
  if (!(layout.length > 0 && layout.width > 0))
    throw Error(fmt::format("field layout '{}': no field size (\"field\": {{\"length\", \"width\"}} missing or 0); "
                            "give --field-size LENGTH,WIDTH",
                            layout.source));
  return {layout.length, layout.width};
}

// ====================================================================== reading detections

namespace {

std::optional<Pose3> best_pose(const records::Tag& t) {
  if (t.poses.empty()) return std::nullopt;
  return t.poses.front().camera_to_tag;
}

const std::vector<records::Tag>& tags_of(const records::Detections& d) {
  static const std::vector<records::Tag> none;
  return d.tags ? *d.tags : none;
}

std::vector<double> arr6(const Pose3& p) {
  auto a = to_xyz_rpy_deg(p);
  return std::vector<double>(a.begin(), a.end());
}

}  // namespace

records::ReadOptions read_options(std::vector<std::string>* skipped) {
  records::ReadOptions o;
  o.skipped = skipped;
  o.alternative_spellings = true;
  return o;
}

int primary_tag(const records::Detections& d) {
  const auto& tags = tags_of(d);
  int primary = -1;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (d.priority_id && tags[i].id != *d.priority_id) continue;  // robot code's priorityid: that tag or none
    if (primary < 0 || tags[i].area.value_or(0) > tags[size_t(primary)].area.value_or(0)) primary = int(i);
  }
  return primary;
}

std::optional<double> tag_distance(const records::Tag& t) {
  if (t.distance) return t.distance;
  if (!t.poses.empty()) return t.poses.front().camera_to_tag.t.norm();
  return std::nullopt;
}

// ====================================================================== Limelight arrays

namespace {

// botpose-style arrays (pose 6, latency, tag count, span, average distance, average area, then 7 per
// tag used) of one field pose: blue origin, and (with the field size) field-centred and red origin.
struct PoseArrays {
  std::vector<double> blue, center, red;
  std::optional<Pose3> robot, robot_to_camera;
  std::vector<size_t> used;
  double span = 0, avg_dist = 0, avg_area = 0;
};

PoseArrays pose_arrays(const records::FieldPose* field, const std::vector<records::Tag>& tags,
                       const std::vector<std::optional<Pose3>>& poses, const std::vector<double>& raw, double latency_ms,
                       std::optional<double> field_length, std::optional<double> field_width) {
  PoseArrays out;
  // The tags the field pose used (all tags when the record does not say).
  std::vector<size_t>& used = out.used;
  for (size_t i = 0; field && i < tags.size(); ++i)
    if (field->tags.empty() || std::find(field->tags.begin(), field->tags.end(), tags[i].id) != field->tags.end())
      used.push_back(i);
  double& span = out.span;
  double& avg_dist = out.avg_dist;
  double& avg_area = out.avg_area;
  for (size_t i = 0; i < used.size(); ++i) {
    avg_dist += tag_distance(tags[used[i]]).value_or(0);
    avg_area += tags[used[i]].area.value_or(0);
    for (size_t j = i + 1; j < used.size(); ++j)
      if (poses[used[i]] && poses[used[j]]) {
        span = std::max(span, (poses[used[i]]->t - poses[used[j]]->t).norm());
      }
  }
  if (!used.empty()) {
    avg_dist /= double(used.size());
    avg_area /= double(used.size());
  }
  // Robot pose: the robot's, or the camera's when no robot-to-camera transform was given.
  std::optional<Pose3> field_robot, field_camera;
  if (field && field->robot) field_robot = *field->robot;
  if (field && field->camera) field_camera = *field->camera;
  out.robot = field_robot ? field_robot : field_camera;
  if (field_robot && field_camera) out.robot_to_camera = field_robot->inverse() * *field_camera;
  const std::optional<Pose3>& robot = out.robot;

  std::vector<double> used_raw;
  for (size_t i : used) used_raw.insert(used_raw.end(), raw.begin() + long(7 * i), raw.begin() + long(7 * i + 7));
  auto extended = [&](const std::optional<Pose3>& p) {
    std::vector<double> a = p ? arr6(*p) : std::vector<double>(6, 0.0);
    double count = p ? double(used.size()) : 0.0;
    for (double v : {latency_ms, count, p ? span : 0.0, p ? avg_dist : 0.0, p ? avg_area : 0.0}) a.push_back(v);
    if (p) a.insert(a.end(), used_raw.begin(), used_raw.end());
    return a;
  };
  out.blue = extended(robot);
  if (field_length && field_width) {
    std::optional<Pose3> center, red;
    if (robot) {
      center = *robot;
      center->t.x -= *field_length / 2;
      center->t.y -= *field_width / 2;
      // Red alliance origin: the field turned half a turn about its centre.
      red = Pose3::from_xyz_rpy(*field_length, *field_width, 0, 0, 0, M_PI) * *robot;
    }
    out.center = extended(center);
    out.red = extended(red);
  }
  return out;
}

// Limelight's 6 standard deviations of a pose (x, y, z m; roll, pitch, yaw degrees) from the record's
// [σx, σy, σθ rad]: z as σx, the angles as σθ. Zeros without a pose.
void add_stddevs(std::vector<double>& out, const records::FieldPose* f) {
  if (!f || !f->std_devs) {
    out.insert(out.end(), 6, 0.0);
    return;
  }
  const auto& s = *f->std_devs;
  double deg = s[2] * 180 / M_PI;
  for (double v : {s[0], s[1], s[0], deg, deg, deg}) out.push_back(v);
}

}  // namespace

LimelightArrays limelight_arrays(const records::Detections& d, double latency_ms, double tl_ms, double cl_ms,
                                 std::optional<double> field_length, std::optional<double> field_width) {
  LimelightArrays out;
  const auto& tags = tags_of(d);
  const records::FieldPose* field = d.field_pose ? &*d.field_pose : nullptr;
  std::vector<std::optional<Pose3>> poses;
  for (const auto& t : tags) poses.push_back(best_pose(t));
  // The robot-to-camera transform, for each tag's distance to the robot: from whichever pose has both.
  std::optional<Pose3> robot_to_camera;
  for (const records::FieldPose* f : {field, d.field_pose_constrained ? &*d.field_pose_constrained : nullptr})
    if (!robot_to_camera && f && f->robot && f->camera) robot_to_camera = f->robot->inverse() * *f->camera;

  // Per tag: id, txnc, tync, ta, distToCamera, distToRobot, ambiguity.
  std::vector<double> raw;
  for (size_t i = 0; i < tags.size(); ++i) {
    const records::Tag& t = tags[i];
    double dc = tag_distance(t).value_or(0);
    double dr = dc;
    if (robot_to_camera && poses[i]) dr = robot_to_camera->apply(poses[i]->t).norm();
    for (double v : {double(t.id), t.tx.value_or(0), t.ty.value_or(0), t.area.value_or(0), dc, dr,
                     t.ambiguity.value_or(0)})
      raw.push_back(v);
  }
  out.rawfiducials = raw;
  PoseArrays mt1 = pose_arrays(field, tags, poses, raw, latency_ms, field_length, field_width);
  out.botpose_wpiblue = mt1.blue;
  out.botpose = mt1.center;
  out.botpose_wpired = mt1.red;
  const records::FieldPose* orb = d.field_pose_constrained ? &*d.field_pose_constrained : nullptr;
  PoseArrays mt2 = pose_arrays(orb, tags, poses, raw, latency_ms, field_length, field_width);
  out.botpose_orb_wpiblue = mt2.blue;
  out.botpose_orb = mt2.center;
  out.botpose_orb_wpired = mt2.red;
  add_stddevs(out.stddevs, field);
  add_stddevs(out.stddevs, orb);
  const std::optional<Pose3>& robot = mt1.robot;
  const std::vector<size_t>& used = mt1.used;
  const double span = mt1.span, avg_dist = mt1.avg_dist, avg_area = mt1.avg_area;
  // The primary tag in Limelight's camera and target axes.
  out.targetpose_cameraspace.assign(6, 0.0);
  out.camerapose_targetspace.assign(6, 0.0);
  int primary = primary_tag(d);
  if (primary >= 0 && poses[size_t(primary)]) {
    Pose3 tc = wpilib_camera_to_limelight(*poses[size_t(primary)]);
    out.targetpose_cameraspace = arr6(tc);
    out.camerapose_targetspace = arr6(tc.inverse());
  }

  // Limelight's JSON results (the fields LimelightHelpers.getLatestResults reads).
  Json j = Json::object();
  j["pID"] = 0;
  j["tl"] = tl_ms;
  j["cl"] = cl_ms;
  j["ts"] = double(d.t_capture) / 1000.0;
  j["v"] = tags.empty() ? 0 : 1;
  auto first6 = [](const std::vector<double>& a) {
    return a.size() >= 6 ? std::vector<double>(a.begin(), a.begin() + 6) : std::vector<double>(6, 0.0);
  };
  j["botpose"] = first6(out.botpose);
  j["botpose_wpiblue"] = first6(out.botpose_wpiblue);
  j["botpose_wpired"] = first6(out.botpose_wpired);
  j["botpose_tagcount"] = robot ? used.size() : 0;
  j["botpose_span"] = robot ? span : 0.0;
  j["botpose_avgdist"] = robot ? avg_dist : 0.0;
  j["botpose_avgarea"] = robot ? avg_area : 0.0;
  if (robot_to_camera) j["t6c_rs"] = arr6(*robot_to_camera);
  Json fid = Json::array();
  for (size_t i = 0; i < tags.size(); ++i) {
    const records::Tag& t = tags[i];
    Json f = Json::object();
    f["fID"] = t.id;
    f["fam"] = "36h11";  // detect's family (records do not name it)
    f["tx"] = t.tx.value_or(0);
    f["ty"] = t.ty.value_or(0);
    f["tx_nocross"] = t.tx.value_or(0);
    f["ty_nocross"] = t.ty.value_or(0);
    f["ta"] = t.area.value_or(0);
    f["txp"] = t.center ? t.center->x : 0.0;
    f["typ"] = t.center ? t.center->y : 0.0;
    f["ts"] = 0;
    if (poses[i]) {
      Pose3 tc = wpilib_camera_to_limelight(*poses[i]);
      f["t6t_cs"] = arr6(tc);
      f["t6c_ts"] = arr6(tc.inverse());
    }
    if (robot) f["t6r_fs"] = arr6(*robot);
    fid.push_back(std::move(f));
  }
  j["Fiducial"] = fid;
  j["Retro"] = Json::array();
  j["Detector"] = Json::array();
  j["Classifier"] = Json::array();
  j["Barcode"] = Json::array();
  out.json = std::move(j);
  return out;
}

// ====================================================================== RecordPublisher

RecordPublisher::RecordPublisher(TopicSink& sink, PublisherOptions opts, std::function<void(const std::string&)> warn)
    : sink_(sink), opts_(std::move(opts)), warn_(std::move(warn)) {
  if (opts_.schema != "rvkit" && opts_.schema != "limelight" && opts_.schema != "none")
    throw OptionError("--schema", opts_.schema, "unknown schema (use rvkit, limelight or none)");
}

void RecordPublisher::warn_once(const std::string& key, const std::string& text) {
  if (warned_.insert(key).second && warn_) warn_(text);
}

std::string RecordPublisher::table_for(const std::string& cam) const {
  std::string c = cam.empty() ? "cam" : cam;
  if (!opts_.table.empty()) return normalize_table(replace_all(opts_.table, "{cam}", c));
  if (opts_.schema == "limelight") return "/limelight";
  return "/rvkit/" + c;
}

void RecordPublisher::set(const std::string& topic, const std::string& type, Value v, int64_t t) {
  auto it = handles_.find(topic);
  if (it == handles_.end()) {
    Json props = Json::object();
    if (topic.compare(0, 9, "/.schema/") == 0) props["retained"] = true;
    it = handles_.emplace(topic, std::make_pair(sink_.publish(topic, type, props), type)).first;
  } else if (it->second.second != type) {
    warn_once("type " + topic, fmt::format("{} is published as {}; not publishing it as {} too", topic,
                                           it->second.second, type));
    return;
  }
  sink_.set(it->second.first, std::move(v), t);
  ++n_;
}

void RecordPublisher::ensure_pose3d_schemas() {
  if (schemas_published_) return;
  schemas_published_ = true;
  for (const auto& [name, schema] : pose3d_schemas()) {
    std::string s(schema);
    set(std::string("/.schema/struct:") + name, "structschema", Value::raw(Bytes(s.begin(), s.end())), 0);
  }
}

size_t RecordPublisher::handle(const Json& rec, int64_t now) {
  n_ = 0;
  if (!rec.is_object()) return 0;
  std::string type = rec.value("type", "");
  if (type == records::Detections::kType && opts_.schema != "none") {
    std::vector<std::string> skipped;
    std::optional<records::Detections> d;
    try {
      d = records::read_detections(rec, read_options(&skipped));
    } catch (const records::RecordError& e) {
      warn_once("bad detections", fmt::format("skipping detections records that ntpub cannot read: {}", e.what()));
    }
    if (!skipped.empty())
      warn_once("bad detections parts",
                fmt::format("leaving out what ntpub cannot read of detections records, e.g. {}", skipped.front()));
    if (d && opts_.schema == "limelight") {
      detections_limelight(*d, now);
    } else if (d) {
      detections_rvkit(rec, *d, now);
    }
  } else if (type == records::Camera::kType) {
    std::optional<records::Camera> c;
    try {
      c = rec.get<records::Camera>();
    } catch (const records::RecordError& e) {
      warn_once("bad camera", fmt::format("skipping camera records that ntpub cannot read: {}", e.what()));
    }
    if (c) camera(*c, now);
  }
  if (!opts_.maps.empty()) maps(rec, now);
  return n_;
}

size_t RecordPublisher::detections_rvkit(const Json& rec, const records::Detections& d, int64_t now) {
  const std::string T = table_for(d.cam) + "/";
  const int64_t t = d.t_capture;  // every value is stamped with the capture time
  const auto& tags = tags_of(d);
  int primary = primary_tag(d);
  const records::Tag* p = primary >= 0 ? &tags[size_t(primary)] : nullptr;
  set(T + "hasTarget", "boolean", Value::boolean(p != nullptr), t);
  set(T + "tx", "double", Value::float64(p ? p->tx.value_or(0) : 0.0), t);
  set(T + "ty", "double", Value::float64(p ? p->ty.value_or(0) : 0.0), t);
  set(T + "ta", "double", Value::float64(p ? p->area.value_or(0) : 0.0), t);
  set(T + "tid", "int", Value::integer(p ? p->id : -1), t);
  std::vector<int64_t> ids;
  for (const auto& tag : tags) ids.push_back(tag.id);
  set(T + "tagIds", "int[]", Value::int_array(ids), t);
  set(T + "seq", "int", Value::integer(d.seq.value_or(0)), t);
  set(T + "latencyMs", "double", Value::float64(double(now - d.t_capture) / 1000.0), t);
  set(T + "heartbeat", "int", Value::integer(++heartbeat_[T]), t);
  const records::FieldPose* field = d.field_pose ? &*d.field_pose : nullptr;  // it has a camera or a robot pose
  set(T + "hasPose", "boolean", Value::boolean(field != nullptr), t);
  if (field) {
    ensure_pose3d_schemas();
    for (auto [name, pose] : {std::make_pair("robotPose", field->robot), std::make_pair("cameraPose", field->camera)}) {
      if (!pose) continue;
      Pose3 np = *pose;
      set(T + name, "struct:Pose3d", Value::raw(pack_pose3d(np)), t);
      auto a = to_xyz_rpy_deg(np);
      set(T + name + "Array", "double[]", Value::double_array(std::vector<double>(a.begin(), a.end())), t);
    }
    if (!field->tags.empty())
      set(T + "poseTagIds", "int[]", Value::int_array(std::vector<int64_t>(field->tags.begin(), field->tags.end())), t);
    if (field->std_devs)
      set(T + "robotPoseStdDevs", "double[]",
          Value::double_array(std::vector<double>(field->std_devs->begin(), field->std_devs->end())), t);
  }
  if (d.with_constrained || d.field_pose_constrained) {
    // detect --robot-in: the heading-constrained (MegaTag2) robot pose beside the unconstrained one.
    const records::FieldPose* c = d.field_pose_constrained ? &*d.field_pose_constrained : nullptr;
    set(T + "hasConstrainedPose", "boolean", Value::boolean(c && c->robot), t);
    if (c && c->robot) {
      ensure_pose3d_schemas();
      set(T + "robotPoseConstrained", "struct:Pose3d", Value::raw(pack_pose3d(*c->robot)), t);
      auto a = to_xyz_rpy_deg(*c->robot);
      set(T + "robotPoseConstrainedArray", "double[]", Value::double_array(std::vector<double>(a.begin(), a.end())), t);
      if (c->std_devs)
        set(T + "robotPoseConstrainedStdDevs", "double[]",
            Value::double_array(std::vector<double>(c->std_devs->begin(), c->std_devs->end())), t);
    }
  }
  set(T + "json", "json", Value::string(rec.dump()), t);
  return n_;
}

size_t RecordPublisher::detections_limelight(const records::Detections& d, int64_t now) {
  const std::string T = table_for(d.cam) + "/";
  // Like a Limelight, values are stamped when published and carry their latency: robot code
  // (LimelightHelpers) takes timestamp - latency as the capture time.
  const int64_t t = now;
  double total_ms = double(now - d.t_capture) / 1000.0;
  // tl: the pipeline's own work, cl: everything else from capture to now (a Limelight's capture
  // latency, from exposure to the start of its pipeline). Robot code uses their sum. Without t_start
  // (an older or hand-written record) tl is all up to t_done.
  int64_t t_done = d.t_done.value_or(0);
  const int64_t t_start = d.t_start && t_done > 0 ? std::max(d.t_capture, std::min(*d.t_start, t_done)) : d.t_capture;
  double tl = t_done > 0 ? double(t_done - t_start) / 1000.0 : total_ms;
  // A record finished "after now" (hand-written input, or clocks of two machines) must not
  // give a total latency below the pipeline's own share, nor a negative capture latency.
  total_ms = std::max(total_ms, tl);
  double cl = total_ms - tl;
  int primary = primary_tag(d);
  const records::Tag* p = primary >= 0 ? &tags_of(d)[size_t(primary)] : nullptr;
  set(T + "tv", "double", Value::float64(p ? 1.0 : 0.0), t);
  set(T + "tx", "double", Value::float64(p ? p->tx.value_or(0) : 0.0), t);
  set(T + "ty", "double", Value::float64(p ? p->ty.value_or(0) : 0.0), t);
  set(T + "ta", "double", Value::float64(p ? p->area.value_or(0) : 0.0), t);
  set(T + "tid", "double", Value::float64(p ? double(p->id) : -1.0), t);
  set(T + "tl", "double", Value::float64(tl), t);
  set(T + "cl", "double", Value::float64(cl), t);
  set(T + "hb", "double", Value::float64(double(++heartbeat_[T])), t);
  set(T + "getpipe", "double", Value::float64(0.0), t);
  auto a = limelight_arrays(d, total_ms, tl, cl, opts_.field_length, opts_.field_width);
  set(T + "botpose_wpiblue", "double[]", Value::double_array(a.botpose_wpiblue), t);
  if (!a.botpose.empty()) {
    set(T + "botpose", "double[]", Value::double_array(a.botpose), t);
    set(T + "botpose_wpired", "double[]", Value::double_array(a.botpose_wpired), t);
  } else if (d.field_pose) {
    warn_once("field size", "botpose and botpose_wpired need the field size: give --field NAME|FILE or --field-size L,W");
  }
  // MegaTag2: the heading-constrained pose (zeros, tag count 0, without one), as a Limelight always sends it.
  set(T + "botpose_orb_wpiblue", "double[]", Value::double_array(a.botpose_orb_wpiblue), t);
  if (!a.botpose_orb.empty()) {
    set(T + "botpose_orb", "double[]", Value::double_array(a.botpose_orb), t);
    set(T + "botpose_orb_wpired", "double[]", Value::double_array(a.botpose_orb_wpired), t);
  }
  set(T + "stddevs", "double[]", Value::double_array(a.stddevs), t);
  set(T + "targetpose_cameraspace", "double[]", Value::double_array(a.targetpose_cameraspace), t);
  set(T + "camerapose_targetspace", "double[]", Value::double_array(a.camerapose_targetspace), t);
  set(T + "rawfiducials", "double[]", Value::double_array(a.rawfiducials), t);
  set(T + "json", "string", Value::string(a.json.dump()), t);
  return n_;
}

size_t RecordPublisher::camera(const records::Camera& c, int64_t now) {
  const std::string T = "/CameraPublisher/" + c.cam + "/";
  std::vector<std::string> streams;
  for (const auto& u : c.urls) streams.push_back(u.compare(0, 5, "mjpg:") == 0 ? u : "mjpg:" + u);
  set(T + "streams", "string[]", Value::string_array(streams), now);
  set(T + "source", "string", Value::string(c.source.value_or("rvkit:" + c.cam)), now);
  set(T + "description", "string", Value::string(c.description.value_or(c.cam)), now);
  set(T + "connected", "boolean", Value::boolean(c.connected.value_or(true)), now);
  std::string mode;
  if (c.mode) {
    mode = *c.mode;
  } else {
    int w = c.w.value_or(0), h = c.h.value_or(0);
    double fps = c.fps.value_or(0);
    // cscore's VideoMode text: "640x480 MJPEG 30 fps" (a fraction only when there is one)
    std::string f = fmt::format("{:g}", fps);
    if (w > 0 && h > 0) mode = fps > 0 ? fmt::format("{}x{} MJPEG {} fps", w, h, f) : fmt::format("{}x{} MJPEG", w, h);
  }
  set(T + "mode", "string", Value::string(mode), now);
  return n_;
}

size_t RecordPublisher::maps(const Json& rec, int64_t now) {
  int64_t t = record_int(rec, "t_capture", now);
  std::string cam = rec.value("cam", "");
  for (const auto& m : opts_.maps) {
    const Json* v = walk(rec, m.path);
    if (!v) continue;
    std::string topic = replace_all(m.topic, "{cam}", cam.empty() ? "cam" : cam);
    if (m.type == "struct:Pose3d") {
      Pose3 pose;
      try {
        pose = geometry::pose_from_json(*v, m.spec.substr(0, m.spec.find('=')));
      } catch (const Error& e) {
        warn_once("map " + m.spec, fmt::format("--map '{}': the field is not a pose ({}); skipped", m.spec, e.what()));
        continue;
      }
      ensure_pose3d_schemas();
      set(topic, m.type, Value::raw(pack_pose3d(pose)), t);
      continue;
    }
    auto val = value_from_json(m.type, *v);
    if (!val) {
      warn_once("map " + m.spec, fmt::format("--map '{}': cannot make a {} of {}; skipped", m.spec, m.type,
                                             v->dump().substr(0, 60)));
      continue;
    }
    set(topic, m.type, std::move(*val), t);
  }
  return n_;
}

}  // namespace rvkit::nt
