// rvkit-calib-curve: a benchmark helper (driven by scripts/bench-calib; not a test, not a tool) for
// calib's intrinsic error against the number of views, on renders with exact ground truth
// (tests/unit/calib_render.hpp: 640x480, the calibration unit tests' camera and board).
//
// Each seed renders one stream of FRAMES consecutive frames as a user waving a board makes them: the
// board goes from one random pose to the next (poses drawn as calib_render::random_pose draws them),
// eased in and out over MOVE frames, and is held near each pose for HOLD frames with a hand's tremor
// (so most frames are near-duplicates). For each N it solves (pinhole5, calib's SolveOptions) from
//   chosen: the first N views a calib Session keeps from the stream (what `calib --max-views N` keeps),
//   first:  the first N frames with the board,
//   spread: N frames with the board evenly spaced over the whole stream,
// and prints one line per (seed, N, set): fx fy cx cy relative errors and the worst projection error
// over the image against the truth (rvkit::calibration::max_reprojection_difference_px), then the
// medians over the seeds as a Markdown table.
//
// With --diagnose it also splits the worst projection error (why it is ~1 px, not 0.2 px): the
// renderer's own ray accuracy, the error after the best-fit rotation between the two calibrations
// (a principal-point error is mostly such a rotation), the worst inside / outside the image region
// the views' corners cover, and the same views solved from exact corners (the truth's projection at
// the true poses) with and without Gaussian noise of the detector's measured RMS.
//
//   rvkit-calib-curve [--frames 600] [--seeds 5] [--n 8,12,16,20,30,50,100] [--diagnose]
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "../unit/calib_render.hpp"
#include "rvkit/calibration/board.hpp"
#include "rvkit/calibration/session.hpp"
#include "rvkit/calibration/solver.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/error.hpp"

using namespace rvkit;
using namespace rvkit::calibration;

namespace {

struct PoseParams {
  double u, v, d, rx, ry, rz;  // the board centre's pixel, its distance (m), Rodrigues vector (rad)
};

PoseParams random_params(const calib_render::Camera& cam, std::mt19937& rng) {
  std::uniform_real_distribution<double> U(0, 1);
  const double deg = M_PI / 180;
  PoseParams p;
  p.u = cam.size.width * (0.1 + 0.8 * U(rng));
  p.v = cam.size.height * (0.1 + 0.8 * U(rng));
  p.d = 0.45 + 0.85 * U(rng);
  p.rx = (U(rng) * 100 - 50) * deg;
  p.ry = (U(rng) * 100 - 50) * deg;
  p.rz = (U(rng) * 40 - 20) * deg;
  return p;
}

// As calib_render::random_pose builds the pose from its draws.
void pose_of(const calib_render::Camera& cam, const BoardSpec& s, const PoseParams& p, cv::Matx33d& R, cv::Vec3d& t) {
  cv::Vec3d ray((p.u - cam.K(0, 2)) / cam.K(0, 0), (p.v - cam.K(1, 2)) / cam.K(1, 1), 1);
  cv::Vec3d centre = ray * (p.d / cv::norm(ray));
  cv::Mat Rm;
  cv::Rodrigues(cv::Vec3d(p.rx, p.ry, p.rz), Rm);
  R = cv::Matx33d(Rm);
  t = centre - R * cv::Vec3d(s.cols * s.square_m / 2, s.rows * s.square_m / 2, 0);
}

struct Frame {
  cv::Matx33d R;
  cv::Vec3d t;
  BoardView view;  // empty: no board found
};

struct Errors {
  double fx = 0, fy = 0, cx = 0, cy = 0, worst = 0;
  int views = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<cv::Point2d> grid(cv::Size s, int step = 8) {
  std::vector<cv::Point2d> g;
  for (int y = 0;; y += step) {
    int yy = std::min(y, s.height - 1);
    for (int x = 0;; x += step) {
      g.emplace_back(std::min(x, s.width - 1), yy);
      if (x >= s.width - 1) break;
    }
    if (yy >= s.height - 1) break;
  }
  return g;
}

std::vector<cv::Point3d> rays_of(const std::vector<cv::Point2d>& px, const vision::CameraCalibration& c) {
  std::vector<cv::Point2d> n;
  cv::undistortPoints(px, n, cv::Mat(c.K), cv::Mat(c.dist), cv::noArray(), cv::noArray(),
                      cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 50, 1e-12));
  std::vector<cv::Point3d> r;
  for (auto& p : n) r.emplace_back(p.x, p.y, 1.0);
  return r;
}

std::vector<cv::Point2d> project(const std::vector<cv::Point3d>& rays, const vision::CameraCalibration& c,
                                 const cv::Matx33d& R = cv::Matx33d::eye()) {
  std::vector<cv::Point2d> out;
  cv::Mat rv;
  cv::Rodrigues(cv::Mat(R), rv);
  cv::projectPoints(rays, rv, cv::Vec3d(0, 0, 0), cv::Mat(c.K), cv::Mat(c.dist), out);
  return out;
}

// The projection error split: worst over the image as max_reprojection_difference_px computes it on
// a denser grid reaching the very edge, the worst after the best-fit rotation (Kabsch on the two
// calibrations' rays of the same pixels), and the worst inside and outside `covered`.
struct Split {
  double worst = 0, worst_rotated = 0, worst_in = 0, worst_out = 0, share_out = 0;
  double distortion = 0;  // worst of the distortion's own effect: the truth's ray distorted by each, x the true f
};

Split split(const vision::CameraCalibration& truth, const vision::CameraCalibration& est,
            const std::vector<cv::Point2f>& covered_hull) {
  cv::Size s(truth.width, truth.height);
  auto px = grid(s);
  auto a = rays_of(px, truth), b = rays_of(px, est);
  cv::Matx33d M = cv::Matx33d::zeros();
  for (size_t i = 0; i < a.size(); ++i) {
    cv::Vec3d ai = cv::Vec3d(a[i]) / cv::norm(a[i]), bi = cv::Vec3d(b[i]) / cv::norm(b[i]);
    M += bi * ai.t();
  }
  cv::Mat w, U, Vt;
  cv::SVD::compute(cv::Mat(M), w, U, Vt);
  cv::Mat D = cv::Mat::eye(3, 3, CV_64F);
  D.at<double>(2, 2) = cv::determinant(U * Vt) < 0 ? -1 : 1;
  cv::Matx33d R(cv::Mat(U * D * Vt));  // R a ~ b
  auto plain = project(a, est), rotated = project(a, est, R);
  Split r;
  {
    vision::CameraCalibration ed = truth;
    ed.dist = est.dist;
    auto dt = project(a, truth), de = project(a, ed);
    for (size_t i = 0; i < a.size(); ++i) r.distortion = std::max(r.distortion, cv::norm(dt[i] - de[i]));
  }
  int out = 0;
  for (size_t i = 0; i < px.size(); ++i) {
    double e = cv::norm(plain[i] - px[i]);
    r.worst = std::max(r.worst, e);
    r.worst_rotated = std::max(r.worst_rotated, cv::norm(rotated[i] - px[i]));
    bool inside = !covered_hull.empty() &&
                  cv::pointPolygonTest(covered_hull, cv::Point2f(float(px[i].x), float(px[i].y)), false) >= 0;
    if (inside) r.worst_in = std::max(r.worst_in, e);
    else {
      r.worst_out = std::max(r.worst_out, e);
      ++out;
    }
  }
  r.share_out = double(out) / double(px.size());
  return r;
}

Errors errors_of(const Solution& s, const vision::CameraCalibration& truth) {
  Errors e;
  e.fx = (s.calib.fx() - truth.fx()) / truth.fx();
  e.fy = (s.calib.fy() - truth.fy()) / truth.fy();
  e.cx = (s.calib.cx() - truth.cx()) / truth.cx();
  e.cy = (s.calib.cy() - truth.cy()) / truth.cy();
  e.worst = max_reprojection_difference_px(truth, s.calib);
  e.views = s.views_used();
  return e;
}

std::vector<cv::Point2f> hull_of(const std::vector<BoardView>& views) {
  std::vector<cv::Point2f> all, h;
  for (auto& v : views) all.insert(all.end(), v.image_points.begin(), v.image_points.end());
  if (all.size() >= 3) cv::convexHull(all, h);
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec = "charuco:9x7:0.04:0.03:DICT_5X5_100";
  int frames = 600, seeds = 5, first_seed = 1, hold = 5, move = 10;
  std::vector<int> ns{8, 12, 16, 20, 30, 50, 100};
  bool diagnose = false, independent = false;
  return run_tool(
      "rvkit-calib-curve", argc, argv,
      "calib's intrinsic error against the number of views on renders of a waved board (scripts/bench-calib).",
      [&](CLI::App& app, CommonOptions&) {
        app.add_option("--board", spec, "The board spec (as calib --board)")->capture_default_str();
        app.add_option("--frames", frames, "Frames per stream")->capture_default_str()->check(CLI::Range(20, 100000));
        app.add_option("--seeds", seeds, "Streams (seeds FIRST_SEED.. FIRST_SEED + SEEDS - 1)")->capture_default_str()->check(CLI::Range(1, 1000));
        app.add_option("--first-seed", first_seed, "The first stream's seed")->capture_default_str();
        app.add_option("--hold", hold, "Frames held near each pose")->capture_default_str()->check(CLI::Range(1, 1000));
        app.add_option("--move", move, "Frames moving between poses")->capture_default_str()->check(CLI::Range(1, 1000));
        app.add_option("--n", ns, "View counts")->delimiter(',')->capture_default_str();
        app.add_flag("--independent", independent,
                     "Every frame an independent random pose, as the unit test renders them (poses from seed 7 "
                     "for seed 1, noise seeds 100 + frame)");
        app.add_flag("--diagnose", diagnose, "Also split the worst projection error (see the source's header)");
        return [&]() -> int {
          Board board(parse_board_spec(spec));
          calib_render::Renderer r(board);
          const auto truth = r.cam.calibration();
          {  // the renderer's rays against the truth's projection
            auto px = grid(r.cam.size, 4);
            auto back = project(rays_of(px, truth), truth);
            double worst = 0;
            for (size_t i = 0; i < px.size(); ++i) worst = std::max(worst, cv::norm(back[i] - px[i]));
            fmt::print("# ray round trip (undistortPoints then projectPoints, truth): worst {:.2e} px\n", worst);
          }
          const char* sets[3] = {"chosen", "first", "spread"};
          std::map<std::pair<int, int>, std::vector<Errors>> all;  // (set, N) -> per seed
          fmt::print("seed\tset\tN\tviews_used\tfx%\tfy%\tcx%\tcy%\tworst_px\n");
          for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
            std::mt19937 rng(static_cast<unsigned>(seed));
            std::mt19937 irng(static_cast<unsigned>(seed + 6));  // --independent: seed 1 is the unit test's 7
            std::normal_distribution<double> tremor(0, 1);
            std::vector<Frame> stream;
            // calib's defaults, but no intermediate solves (they cost a calibrateCamera per kept view and do
            // not change which views are kept); no max_views: its first N are what --max-views N keeps.
            SessionOptions so;
            so.solve.min_views = 1 << 20;
            Session session(board, so);
            const SolveOptions solve_opt;  // calib's final solve
            std::vector<int> kept;  // frame index of each kept view
            PoseParams from = random_params(r.cam, rng), to = random_params(r.cam, rng);
            int phase = 0;
            for (int i = 0; i < frames; ++i, ++phase) {
              if (phase == hold + move) {
                phase = 0;
                from = to;
                to = random_params(r.cam, rng);
              }
              PoseParams p = from;
              if (phase >= hold) {
                double s = 0.5 - 0.5 * std::cos(M_PI * (phase - hold + 1) / move);
                p.u += s * (to.u - from.u);
                p.v += s * (to.v - from.v);
                p.d += s * (to.d - from.d);
                p.rx += s * (to.rx - from.rx);
                p.ry += s * (to.ry - from.ry);
                p.rz += s * (to.rz - from.rz);
              } else {  // a hand's tremor: ~0.3 px and ~0.05 deg
                const double deg = M_PI / 180;
                p.u += 0.3 * tremor(rng);
                p.v += 0.3 * tremor(rng);
                p.rx += 0.05 * deg * tremor(rng);
                p.ry += 0.05 * deg * tremor(rng);
                p.rz += 0.05 * deg * tremor(rng);
              }
              Frame f;
              cv::Mat img;
              if (independent) {
                calib_render::random_pose(r.cam, board.spec(), irng, f.R, f.t);
                img = r.render(f.R, f.t, uint64_t(seed - 1) * 1000003 + 100 + uint64_t(i));
              } else {
                pose_of(r.cam, board.spec(), p, f.R, f.t);
                img = r.render(f.R, f.t, uint64_t(seed) * 1000003 + uint64_t(i));
              }
              auto st = session.add(img);
              if (st.board) f.view = st.kept ? session.kept_views().back() : board.find(img);
              if (st.kept) kept.push_back(i);
              stream.push_back(std::move(f));
            }
            std::vector<int> with_board;
            for (int i = 0; i < frames; ++i)
              if (!stream[size_t(i)].view.empty()) with_board.push_back(i);
            fmt::print("# seed {}: {} frames, {} with the board, {} kept by calib's session\n", seed, frames,
                       with_board.size(), kept.size());
            for (int n : ns) {
              for (int k = 0; k < 3; ++k) {
                std::vector<int> idx;
                if (k == 0) idx.assign(kept.begin(), kept.begin() + std::min<size_t>(kept.size(), size_t(n)));
                else if (k == 1) idx.assign(with_board.begin(), with_board.begin() + std::min<size_t>(with_board.size(), size_t(n)));
                else
                  for (int j = 0; j < std::min<int>(n, int(with_board.size())); ++j)
                    idx.push_back(with_board[size_t(double(j) * double(with_board.size()) / n)]);
                if (int(idx.size()) < n) {
                  fmt::print("{}\t{}\t{}\tonly {} views\n", seed, sets[k], n, idx.size());
                  continue;
                }
                std::vector<BoardView> views;
                for (int i : idx) views.push_back(stream[size_t(i)].view);
                Solution s;
                try {
                  s = solve(views, r.cam.size, solve_opt);
                } catch (const Error& e) {
                  fmt::print("{}\t{}\t{}\tsolve failed: {}\n", seed, sets[k], n, e.what());
                  continue;
                }
                Errors e = errors_of(s, truth);
                all[{k, n}].push_back(e);
                fmt::print("{}\t{}\t{}\t{}\t{:+.3f}\t{:+.3f}\t{:+.3f}\t{:+.3f}\t{:.3f}\n", seed, sets[k], n, e.views,
                           100 * e.fx, 100 * e.fy, 100 * e.cx, 100 * e.cy, e.worst);
                std::fflush(stdout);
                if (diagnose && (n == 30 || n == 100)) {
                  Split sp = split(truth, s.calib, hull_of(views));
                  fmt::print("#   split: worst {:.3f} px (edge-reaching grid), after best-fit rotation {:.3f} px; inside "
                             "the views' corners' hull {:.3f} px, outside it ({:.0f}% of the image) {:.3f} px; the "
                             "distortion's own effect (true K) {:.3f} px\n",
                             sp.worst, sp.worst_rotated, sp.worst_in, 100 * sp.share_out, sp.worst_out, sp.distortion);
                  // The same views from exact corners: the truth's projection at the true poses.
                  double rms = s.rms_px;
                  for (double sigma : {0.0, rms}) {
                    std::mt19937 nr(99);
                    std::normal_distribution<double> g(0, sigma / std::sqrt(2.0));
                    std::vector<BoardView> exact = views;
                    for (size_t vi = 0; vi < exact.size(); ++vi) {
                      const Frame& f = stream[size_t(idx[vi])];
                      cv::Mat rv;
                      cv::Rodrigues(cv::Mat(f.R), rv);
                      std::vector<cv::Point2f> p;
                      cv::projectPoints(exact[vi].object_points, rv, cv::Mat(f.t), cv::Mat(truth.K), cv::Mat(truth.dist), p);
                      for (auto& q : p) q += cv::Point2f(float(g(nr)), float(g(nr)));
                      exact[vi].image_points = p;
                    }
                    SolveOptions eo = solve_opt;
                    eo.corner_outlier_sigma = 0;
                    Solution x = solve(exact, r.cam.size, eo);
                    Errors xe = errors_of(x, truth);
                    Split xs = split(truth, x.calib, hull_of(exact));
                    fmt::print("#   exact corners{}: fx {:+.3f}% fy {:+.3f}% cx {:+.3f}% cy {:+.3f}%, worst {:.3f} px, "
                               "after rotation {:.3f} px, inside {:.3f} / outside {:.3f} px, distortion's effect {:.3f} px\n",
                               sigma > 0 ? fmt::format(" + noise {:.3f} px RMS", sigma) : std::string(), 100 * xe.fx,
                               100 * xe.fy, 100 * xe.cx, 100 * xe.cy, xe.worst, xs.worst_rotated, xs.worst_in,
                               xs.worst_out, xs.distortion);
                  }
                  // The detector's error on these views: found corners against the truth's projection.
                  double sum = 0, mean_x = 0, mean_y = 0;
                  long cnt = 0;
                  for (size_t vi = 0; vi < views.size(); ++vi) {
                    const Frame& f = stream[size_t(idx[vi])];
                    cv::Mat rv;
                    cv::Rodrigues(cv::Mat(f.R), rv);
                    std::vector<cv::Point2f> p;
                    cv::projectPoints(views[vi].object_points, rv, cv::Mat(f.t), cv::Mat(truth.K), cv::Mat(truth.dist), p);
                    for (size_t j = 0; j < p.size(); ++j) {
                      cv::Point2f d = views[vi].image_points[j] - p[j];
                      sum += d.dot(d);
                      mean_x += d.x;
                      mean_y += d.y;
                      ++cnt;
                    }
                  }
                  fmt::print("#   detected corners against the truth: RMS {:.3f} px, mean ({:+.3f}, {:+.3f}) px over {} "
                             "corners; solve RMS {:.3f} px\n",
                             std::sqrt(sum / double(cnt)), mean_x / double(cnt), mean_y / double(cnt), cnt, rms);
                }
              }
            }
            std::fflush(stdout);
          }
          fmt::print("\n| N | set | seeds | fx | fy | cx | cy | worst projection error |\n|---|---|---|---|---|---|---|---|\n");
          for (int n : ns)
            for (int k = 0; k < 3; ++k) {
              auto it = all.find({k, n});
              if (it == all.end()) continue;
              std::vector<double> fx, fy, cx, cy, w;
              for (auto& e : it->second) {
                fx.push_back(std::abs(e.fx));
                fy.push_back(std::abs(e.fy));
                cx.push_back(std::abs(e.cx));
                cy.push_back(std::abs(e.cy));
                w.push_back(e.worst);
              }
              fmt::print("| {} | {} | {} | {:.3f}% | {:.3f}% | {:.3f}% | {:.3f}% | {:.2f} px |\n", n, sets[k],
                         it->second.size(), 100 * median(fx), 100 * median(fy), 100 * median(cx), 100 * median(cy),
                         median(w));
            }
          return 0;
        };
      });
}
