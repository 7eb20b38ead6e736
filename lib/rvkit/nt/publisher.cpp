#include "rvkit/nt/publisher.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rvkit/cli/option_error.hpp"
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

// ====================================================================== Limelight arrays

namespace {
std::vector<double> arr6(const Pose3& p) {
  auto a = to_xyz_rpy_deg(p);
  return std::vector<double>(a.begin(), a.end());
}
}  // namespace

LimelightArrays limelight_arrays(const VisionResult& r, double latency_ms, double tl_ms, double cl_ms,
                                 std::optional<double> field_length, std::optional<double> field_width) {
  LimelightArrays out;
  // The tags the field pose used (all tags with a pose when the record does not say).
  std::vector<const TagObservation*> used;
  if (r.field && !r.field->tag_ids.empty()) {
    for (const auto& t : r.tags)
      if (std::find(r.field->tag_ids.begin(), r.field->tag_ids.end(), t.id) != r.field->tag_ids.end()) used.push_back(&t);
  } else if (r.field) {
    for (const auto& t : r.tags) used.push_back(&t);
  }
  double span = 0, avg_dist = 0, avg_area = 0;
  for (size_t i = 0; i < used.size(); ++i) {
    avg_dist += used[i]->distance.value_or(0);
    avg_area += used[i]->area;
    for (size_t j = i + 1; j < used.size(); ++j)
      if (used[i]->pose && used[j]->pose) {
        span = std::max(span, (used[i]->pose->t - used[j]->pose->t).norm());
      }
  }
  if (!used.empty()) {
    avg_dist /= double(used.size());
    avg_area /= double(used.size());
  }
  // Robot pose: the robot's, or the camera's when no robot-to-camera transform was given.
  std::optional<Pose3> robot;
  if (r.field) robot = r.field->robot ? r.field->robot : r.field->camera;
  std::optional<Pose3> robot_to_camera;
  if (r.field && r.field->robot && r.field->camera) robot_to_camera = r.field->robot->inverse() * *r.field->camera;

  // Per tag: id, txnc, tync, ta, distToCamera, distToRobot, ambiguity.
  std::vector<double> raw;
  for (const auto& t : r.tags) {
    double dc = t.distance.value_or(0);
    double dr = dc;
    if (robot_to_camera && t.pose) dr = robot_to_camera->apply(t.pose->t).norm();
    for (double v : {double(t.id), t.tx, t.ty, t.area, dc, dr, t.ambiguity.value_or(0)}) raw.push_back(v);
  }
  out.rawfiducials = raw;
  std::vector<double> used_raw;
  for (const auto* t : used) {
    size_t i = size_t(t - r.tags.data());
    used_raw.insert(used_raw.end(), raw.begin() + long(7 * i), raw.begin() + long(7 * i + 7));
  }
  auto extended = [&](const std::optional<Pose3>& p) {
    std::vector<double> a = p ? arr6(*p) : std::vector<double>(6, 0.0);
    double count = p ? double(used.size()) : 0.0;
    for (double v : {latency_ms, count, p ? span : 0.0, p ? avg_dist : 0.0, p ? avg_area : 0.0}) a.push_back(v);
    if (p) a.insert(a.end(), used_raw.begin(), used_raw.end());
    return a;
  };
  out.botpose_wpiblue = extended(robot);
  if (field_length && field_width) {
    std::optional<Pose3> center, red;
    if (robot) {
      center = *robot;
      center->t.x -= *field_length / 2;
      center->t.y -= *field_width / 2;
      // Red alliance origin: the field turned half a turn about its centre.
      red = Pose3::from_xyz_rpy(*field_length, *field_width, 0, 0, 0, M_PI) * *robot;
    }
    out.botpose = extended(center);
    out.botpose_wpired = extended(red);
  }
  // The primary tag in Limelight's camera and target axes.
  out.targetpose_cameraspace.assign(6, 0.0);
  out.camerapose_targetspace.assign(6, 0.0);
  if (r.primary >= 0 && r.tags[size_t(r.primary)].pose) {
    Pose3 tc = wpilib_camera_to_limelight(*r.tags[size_t(r.primary)].pose);
    out.targetpose_cameraspace = arr6(tc);
    out.camerapose_targetspace = arr6(tc.inverse());
  }

  // Limelight's JSON results (the fields LimelightHelpers.getLatestResults reads).
  Json j = Json::object();
  j["pID"] = 0;
  j["tl"] = tl_ms;
  j["cl"] = cl_ms;
  j["ts"] = double(r.t_capture) / 1000.0;
  j["v"] = r.tags.empty() ? 0 : 1;
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
  for (const auto& t : r.tags) {
    Json f = Json::object();
    f["fID"] = t.id;
    f["fam"] = r.family.empty() ? "36h11" : r.family;
    f["tx"] = t.tx;
    f["ty"] = t.ty;
    f["tx_nocross"] = t.tx;
    f["ty_nocross"] = t.ty;
    f["ta"] = t.area;
    f["txp"] = t.center_x.value_or(0);
    f["typ"] = t.center_y.value_or(0);
    f["ts"] = 0;
    if (t.pose) {
      Pose3 tc = wpilib_camera_to_limelight(*t.pose);
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
  if (type == "detections" && opts_.schema != "none") {
    std::string why;
    auto r = parse_detections(rec, &why);
    if (!r) {
      warn_once("bad detections", fmt::format("skipping detections records that ntpub cannot read: {}", why));
    } else if (opts_.schema == "limelight") {
      detections_limelight(rec, *r, now);
    } else {
      detections_rvkit(rec, *r, now);
    }
  } else if (type == "camera") {
    camera(rec, now);
  }
  if (!opts_.maps.empty()) maps(rec, now);
  return n_;
}

size_t RecordPublisher::detections_rvkit(const Json& rec, const VisionResult& r, int64_t now) {
  const std::string T = table_for(r.cam) + "/";
  const int64_t t = r.t_capture;  // every value is stamped with the capture time
  const TagObservation* p = r.primary >= 0 ? &r.tags[size_t(r.primary)] : nullptr;
  set(T + "hasTarget", "boolean", Value::boolean(p != nullptr), t);
  set(T + "tx", "double", Value::float64(p ? p->tx : 0.0), t);
  set(T + "ty", "double", Value::float64(p ? p->ty : 0.0), t);
  set(T + "ta", "double", Value::float64(p ? p->area : 0.0), t);
  set(T + "tid", "int", Value::integer(p ? p->id : -1), t);
  std::vector<int64_t> ids;
  for (const auto& tag : r.tags) ids.push_back(tag.id);
  set(T + "tagIds", "int[]", Value::int_array(ids), t);
  set(T + "seq", "int", Value::integer(r.seq), t);
  set(T + "latencyMs", "double", Value::float64(double(now - r.t_capture) / 1000.0), t);
  set(T + "heartbeat", "int", Value::integer(++heartbeat_[T]), t);
  bool has_pose = r.field && (r.field->robot || r.field->camera);
  set(T + "hasPose", "boolean", Value::boolean(has_pose), t);
  if (has_pose) {
    ensure_pose3d_schemas();
    for (auto [name, pose] : {std::make_pair("robotPose", r.field->robot), std::make_pair("cameraPose", r.field->camera)}) {
      if (!pose) continue;
      set(T + name, "struct:Pose3d", Value::raw(pack_pose3d(*pose)), t);
      auto a = to_xyz_rpy_deg(*pose);
      set(T + name + "Array", "double[]", Value::double_array(std::vector<double>(a.begin(), a.end())), t);
    }
    if (!r.field->tag_ids.empty()) set(T + "poseTagIds", "int[]", Value::int_array(r.field->tag_ids), t);
    if (r.field->std_devs.size() >= 3) set(T + "robotPoseStdDevs", "double[]", Value::double_array(r.field->std_devs), t);
  }
  set(T + "json", "json", Value::string(rec.dump()), t);
  return n_;
}

size_t RecordPublisher::detections_limelight(const Json&, const VisionResult& r, int64_t now) {
  const std::string T = table_for(r.cam) + "/";
  // Like a Limelight, values are stamped when published and carry their latency: robot code
  // (LimelightHelpers) takes timestamp - latency as the capture time.
  const int64_t t = now;
  double total_ms = double(now - r.t_capture) / 1000.0;
  double tl = r.t_done > 0 ? double(r.t_done - r.t_capture) / 1000.0 : total_ms;
  // A record finished "after now" (hand-written input, or clocks of two machines) must not
  // give a total latency below the pipeline's own share, nor a negative capture latency.
  total_ms = std::max(total_ms, tl);
  double cl = total_ms - tl;
  const TagObservation* p = r.primary >= 0 ? &r.tags[size_t(r.primary)] : nullptr;
  set(T + "tv", "double", Value::float64(p ? 1.0 : 0.0), t);
  set(T + "tx", "double", Value::float64(p ? p->tx : 0.0), t);
  set(T + "ty", "double", Value::float64(p ? p->ty : 0.0), t);
  set(T + "ta", "double", Value::float64(p ? p->area : 0.0), t);
  set(T + "tid", "double", Value::float64(p ? double(p->id) : -1.0), t);
  set(T + "tl", "double", Value::float64(tl), t);
  set(T + "cl", "double", Value::float64(cl), t);
  set(T + "hb", "double", Value::float64(double(++heartbeat_[T])), t);
  set(T + "getpipe", "double", Value::float64(0.0), t);
  auto a = limelight_arrays(r, total_ms, tl, cl, opts_.field_length, opts_.field_width);
  set(T + "botpose_wpiblue", "double[]", Value::double_array(a.botpose_wpiblue), t);
  if (!a.botpose.empty()) {
    set(T + "botpose", "double[]", Value::double_array(a.botpose), t);
    set(T + "botpose_wpired", "double[]", Value::double_array(a.botpose_wpired), t);
  } else if (r.field) {
    warn_once("field size", "botpose and botpose_wpired need the field size: give --field NAME|FILE or --field-size L,W");
  }
  set(T + "targetpose_cameraspace", "double[]", Value::double_array(a.targetpose_cameraspace), t);
  set(T + "camerapose_targetspace", "double[]", Value::double_array(a.camerapose_targetspace), t);
  set(T + "rawfiducials", "double[]", Value::double_array(a.rawfiducials), t);
  set(T + "json", "string", Value::string(a.json.dump()), t);
  return n_;
}

size_t RecordPublisher::camera(const Json& rec, int64_t now) {
  std::string cam = rec.value("cam", "");
  if (cam.empty()) {
    warn_once("camera cam", "skipping camera records without \"cam\"");
    return 0;
  }
  const std::string T = "/CameraPublisher/" + cam + "/";
  std::vector<std::string> streams;
  if (auto it = rec.find("urls"); it != rec.end() && it->is_array())
    for (const auto& u : *it)
      if (u.is_string()) {
        std::string s = u.get<std::string>();
        streams.push_back(s.compare(0, 5, "mjpg:") == 0 ? s : "mjpg:" + s);
      }
  set(T + "streams", "string[]", Value::string_array(streams), now);
  std::string source = rec.contains("source") && rec["source"].is_string() ? rec["source"].get<std::string>()
                                                                            : "rvkit:" + cam;
  set(T + "source", "string", Value::string(source), now);
  set(T + "description", "string",
      Value::string(rec.contains("description") && rec["description"].is_string() ? rec["description"].get<std::string>()
                                                                                  : cam),
      now);
  bool connected = !(rec.contains("connected") && rec["connected"].is_boolean() && !rec["connected"].get<bool>());
  set(T + "connected", "boolean", Value::boolean(connected), now);
  std::string mode;
  if (rec.contains("mode") && rec["mode"].is_string()) {
    mode = rec["mode"].get<std::string>();
  } else {
    int64_t w = record_int(rec, "w", 0), h = record_int(rec, "h", 0);
    double fps = rec.contains("fps") && rec["fps"].is_number() ? rec["fps"].get<double>() : 0.0;
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
