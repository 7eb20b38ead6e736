#include "rvkit/records/detections_diff.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

namespace rvkit::records {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The middle value (the mean of the two middle ones for an even count); 0 for none.
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string ids_text(const std::vector<int>& ids) {
  return ids.empty() ? "none" : fmt::format("{}", fmt::join(ids, " "));
}

std::string frames_text(size_t n) { return fmt::format("{} frame{}", n, n == 1 ? "" : "s"); }

std::string id_counts_text(const std::map<int, size_t>& m) {
  if (m.empty()) return "none";
  std::string s;
  for (auto& [id, n] : m) s += fmt::format("{}{} ({})", s.empty() ? "" : ", ", id, frames_text(n));
  return s;
}

std::string frame_name(const FrameDiff& f) {
  return f.seq ? fmt::format("{} seq {}", f.cam.empty() ? "-" : f.cam, *f.seq)
               : fmt::format("{} t_capture {}", f.cam.empty() ? "-" : f.cam, f.t_capture);
}

Json id_counts_json(const std::map<int, size_t>& m) {
  Json j = Json::object();
  for (auto& [id, n] : m) j[std::to_string(id)] = n;
  return j;
}

}  // namespace

bool DetectionsDiff::Key::operator<(const Key& o) const {
  return std::tie(cam, by_seq, value, occurrence) < std::tie(o.cam, o.by_seq, o.value, o.occurrence);
}

std::optional<geometry::Pose3> compared_pose(const Detections& d) {
  if (!d.field_pose) return std::nullopt;
  if (d.field_pose->robot) return d.field_pose->robot;
  return d.field_pose->camera;
}

double translation_distance(const geometry::Pose3& a, const geometry::Pose3& b) { return (a.t - b.t).norm(); }

double rotation_angle_deg(const geometry::Pose3& a, const geometry::Pose3& b) {
  const geometry::Mat3 r = a.R.transposed() * b.R;
  const double c = std::clamp((r(0, 0) + r(1, 1) + r(2, 2) - 1) / 2, -1.0, 1.0);
  return std::acos(c) * 180 / kPi;
}

void DetectionsDiff::add(int side, const Detections& d, bool recorded) {
  Run& run = runs_[side ? 1 : 0][recorded ? 1 : 0];
  Frame f;
  f.cam = d.cam;
  f.seq = d.seq;
  f.t_capture = d.t_capture;
  if (d.tags)
    for (const Tag& t : *d.tags) f.ids.push_back(t.id);
  std::sort(f.ids.begin(), f.ids.end());
  f.pose = compared_pose(d);
  const bool by_seq = d.seq.has_value();
  const int64_t value = by_seq ? *d.seq : d.t_capture;
  size_t occurrence = run.seen[{d.cam, by_seq, value}]++;
  run.index[Key{d.cam, by_seq, value, occurrence}] = run.frames.size();
  run.frames.push_back(std::move(f));
}

const DetectionsDiff::Run& DetectionsDiff::chosen(int side) const {
  const Run& fresh = runs_[side][0];
  return fresh.frames.empty() ? runs_[side][1] : fresh;
}

DiffReport DetectionsDiff::report() const {
  const Run& a = chosen(0);
  const Run& b = chosen(1);
  DiffReport r;
  std::vector<double> dm, ddeg;
  std::vector<FrameDiff> only;
  auto describe = [](const Frame& f, FrameDiff& fd, bool side_b) {
    if (fd.cam.empty() && !fd.in_a && !fd.in_b) {
      fd.cam = f.cam;
      fd.seq = f.seq;
      fd.t_capture = f.t_capture;
    }
    (side_b ? fd.ids_b : fd.ids_a) = f.ids;
    (side_b ? fd.pose_b : fd.pose_a) = f.pose.has_value();
    (side_b ? fd.in_b : fd.in_a) = true;
  };
  for (const auto& [key, ia] : a.index) {
    const Frame& fa = a.frames[ia];
    auto it = b.index.find(key);
    if (it == b.index.end()) {
      ++r.frames_only_a;
      if (o_.keep_frames) describe(fa, only.emplace_back(), false);
      continue;
    }
    const Frame& fb = b.frames[it->second];
    ++r.frames_both;
    r.tags_a += fa.ids.size();
    r.tags_b += fb.ids.size();
    bool differs = false;
    if (fa.ids != fb.ids) {
      ++r.frames_ids_differ;
      differs = true;
      // Ids as multisets: a tag seen twice in A and once in B counts once for A.
      std::vector<int> just_a, just_b;
      std::set_difference(fa.ids.begin(), fa.ids.end(), fb.ids.begin(), fb.ids.end(), std::back_inserter(just_a));
      std::set_difference(fb.ids.begin(), fb.ids.end(), fa.ids.begin(), fa.ids.end(), std::back_inserter(just_b));
      just_a.erase(std::unique(just_a.begin(), just_a.end()), just_a.end());
      just_b.erase(std::unique(just_b.begin(), just_b.end()), just_b.end());
      for (int id : just_a) ++r.ids_only_a[id];
      for (int id : just_b) ++r.ids_only_b[id];
    }
    std::optional<double> m, deg;
    if (fa.pose && fb.pose) {
      ++r.pose.both;
      m = translation_distance(*fa.pose, *fb.pose);
      deg = rotation_angle_deg(*fa.pose, *fb.pose);
      dm.push_back(*m);
      ddeg.push_back(*deg);
      if (*m > o_.tolerance_m || *deg > o_.tolerance_deg) differs = true;
    } else if (fa.pose || fb.pose) {
      ++(fa.pose ? r.pose.only_a : r.pose.only_b);
      differs = true;
    }
    if (!differs) continue;
    ++r.frames_differ;
    if (!o_.keep_frames) continue;
    FrameDiff& fd = r.frames.emplace_back();
    describe(fa, fd, false);
    describe(fb, fd, true);
    fd.pose_m = m;
    fd.pose_deg = deg;
  }
  for (const auto& [key, ib] : b.index) {
    if (a.index.count(key)) continue;
    ++r.frames_only_b;
    if (o_.keep_frames) describe(b.frames[ib], only.emplace_back(), true);
  }
  r.pose.median_m = median(dm);
  r.pose.median_deg = median(ddeg);
  r.pose.max_m = dm.empty() ? 0 : *std::max_element(dm.begin(), dm.end());
  r.pose.max_deg = ddeg.empty() ? 0 : *std::max_element(ddeg.begin(), ddeg.end());
  for (auto& f : only) r.frames.push_back(std::move(f));
  return r;
}

std::string format_diff(const DiffReport& r, const std::string& name_a, const std::string& name_b, bool per_frame) {
  std::string s;
  s += fmt::format("A: {}\nB: {}\n", name_a, name_b);
  s += fmt::format("frames: {} in both, {} only in A, {} only in B\n", r.frames_both, r.frames_only_a, r.frames_only_b);
  s += fmt::format("tags per frame: A {:.2f}, B {:.2f} ({} and {} tags); tag ids differ in {}\n",
                   r.tags_per_frame_a(), r.tags_per_frame_b(), r.tags_a, r.tags_b, frames_text(r.frames_ids_differ));
  s += fmt::format("ids only in A: {}\n", id_counts_text(r.ids_only_a));
  s += fmt::format("ids only in B: {}\n", id_counts_text(r.ids_only_b));
  const PoseDiffStats& p = r.pose;
  s += fmt::format("field pose: {} in both, {} only in A, {} only in B", frames_text(p.both), p.only_a, p.only_b);
  if (p.both)
    s += fmt::format("; difference median {:.3f} m {:.2f} deg, max {:.3f} m {:.2f} deg", p.median_m, p.median_deg,
                     p.max_m, p.max_deg);
  s += fmt::format("\nframes that differ: {}\n", r.frames_differ);
  if (!per_frame) return s;
  for (const FrameDiff& f : r.frames) {
    s += frame_name(f) + ": ";
    if (!f.in_b) {
      s += fmt::format("only in A: tags {}{}\n", ids_text(f.ids_a), f.pose_a ? ", a field pose" : "");
      continue;
    }
    if (!f.in_a) {
      s += fmt::format("only in B: tags {}{}\n", ids_text(f.ids_b), f.pose_b ? ", a field pose" : "");
      continue;
    }
    s += fmt::format("tags A {} B {}", ids_text(f.ids_a), ids_text(f.ids_b));
    if (f.pose_m)
      s += fmt::format("; pose {:.3f} m {:.2f} deg", *f.pose_m, *f.pose_deg);
    else if (f.pose_a != f.pose_b)
      s += fmt::format("; field pose only in {}", f.pose_a ? "A" : "B");
    s += "\n";
  }
  return s;
}

Json diff_to_json(const DiffReport& r, const std::string& name_a, const std::string& name_b, bool per_frame) {
  auto rounded = [](double v, int d) { return geometry::round_to(v, d); };
  Json j{{"type", "diff"},
         {"a", name_a},
         {"b", name_b},
         {"frames_both", r.frames_both},
         {"frames_only_a", r.frames_only_a},
         {"frames_only_b", r.frames_only_b},
         {"tags_a", r.tags_a},
         {"tags_b", r.tags_b},
         {"tags_per_frame_a", rounded(r.tags_per_frame_a(), 4)},
         {"tags_per_frame_b", rounded(r.tags_per_frame_b(), 4)},
         {"frames_ids_differ", r.frames_ids_differ},
         {"ids_only_a", id_counts_json(r.ids_only_a)},
         {"ids_only_b", id_counts_json(r.ids_only_b)},
         {"pose",
          {{"both", r.pose.both},
           {"only_a", r.pose.only_a},
           {"only_b", r.pose.only_b},
           {"median_m", rounded(r.pose.median_m, 6)},
           {"max_m", rounded(r.pose.max_m, 6)},
           {"median_deg", rounded(r.pose.median_deg, 4)},
           {"max_deg", rounded(r.pose.max_deg, 4)}}},
         {"frames_differ", r.frames_differ}};
  if (!per_frame) return j;
  Json frames = Json::array();
  for (const FrameDiff& f : r.frames) {
    Json x{{"cam", f.cam}, {"t_capture", f.t_capture}, {"in_a", f.in_a}, {"in_b", f.in_b}};
    if (f.seq) x["seq"] = *f.seq;
    if (f.in_a) x["ids_a"] = f.ids_a, x["pose_a"] = f.pose_a;
    if (f.in_b) x["ids_b"] = f.ids_b, x["pose_b"] = f.pose_b;
    if (f.pose_m) x["pose_m"] = rounded(*f.pose_m, 6), x["pose_deg"] = rounded(*f.pose_deg, 4);
    frames.push_back(std::move(x));
  }
  j["frames"] = std::move(frames);
  return j;
}

}  // namespace rvkit::records
