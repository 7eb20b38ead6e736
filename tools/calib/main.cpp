// calib: camera calibration in a pipeline, guided, with its uncertainty.
//
//   cap --cam 0 --size 1280x720 | calib --board charuco:11x8:0.030:0.022:DICT_5X5_1000 --out cam0.yaml | stream
//   cap --file 'calib/*.png' | calib --board chessboard:11x11:0.0254 --all-views --out cam0.yaml
//   calib --print-board charuco:11x8:0.030:0.022:DICT_5X5_1000 --dpi 300 board.png
//   calib --print-board charuco:11x8:0.030:0.022:DICT_5X5_1000 board.svg
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/calibration/board.hpp"
#include "rvkit/calibration/session.hpp"
#include "rvkit/calibration/solver.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;
using namespace rvkit::calibration;

namespace {

void report(const Solution& s, const Session& session, bool verbose) {
  const auto& c = s.calib;
  log_line(fmt::format("{} views used of {} kept ({} frames, {} with the board); model {}; RMS {:.3f} px over {} corners "
                       "({} left out as outliers)",
                       s.views_used(), session.views(), session.frames(), session.frames_with_board(), model_name(s.model),
                       s.rms_px, s.corners, s.corners_rejected));
  std::string sd;
  if (s.std_intrinsics.size() >= 4)
    sd = fmt::format(" (1-sigma {:.2f} {:.2f} {:.2f} {:.2f})", s.std_intrinsics[0], s.std_intrinsics[1], s.std_intrinsics[2],
                     s.std_intrinsics[3]);
  log_line(fmt::format("fx {:.2f} fy {:.2f} cx {:.2f} cy {:.2f}{}", c.fx(), c.fy(), c.cx(), c.cy(), sd));
  log_line(fmt::format("distortion [{:.5g}]", fmt::join(c.dist, " ")));
  auto u = projection_uncertainty(s);
  if (u.rms_px > 0)
    log_line(fmt::format("projection uncertainty from the calibration alone: RMS {:.3f} px, worst {:.3f} px "
                         "(a point at {:.0f} m: RMS {:.1f} mm, worst {:.1f} mm)",
                         u.rms_px, u.max_px, u.distance_m, u.rms_m * 1000, u.max_m * 1000));
  std::string per_view;
  for (auto& v : s.views)
    if (v.rms_px > 0 || !v.used) per_view += fmt::format(" {}:{:.3f}{}", v.index, v.rms_px, v.used ? "" : "(rejected)");
  if (verbose || s.views_used() < session.views()) log_line("per-view RMS px:" + per_view);
}

}  // namespace

int main(int argc, char** argv) {
  std::string board_spec, out_path, photon_path, model = "pinhole5", frames_out = "-", print_spec, print_file;
  std::string corners_path, views_dir;
  SessionOptions opt;
  double dpi = 300;
  int max_views = 0;
  bool all_views = false;
  return run_tool(
      "calib",
      argc, argv,
      "Calibrate a camera from frames of a ChArUco board or a chessboard: keeps the views that add information,\n"
      "shows on the frames it writes what it still needs, then solves (OpenCV) and writes the calibration.\n"
      "Examples:\n"
      "  cap --cam 0 --size 1280x720 | calib --board charuco:11x8:0.030:0.022:DICT_5X5_1000 --out cam0.yaml | stream\n"
      "  cap --file 'calib/*.png' | calib --board chessboard:11x11:0.0254 --all-views --out cam0.yaml --photonvision cam0.json\n"
      "  calib --print-board charuco:11x8:0.030:0.022:DICT_5X5_1000 --dpi 300 board.png   (or board.svg, board.pdf)\n"
      "Boards count squares: charuco:COLSxROWS:SQUARE_M:MARKER_M:DICTIONARY, chessboard:COLSxROWS:SQUARE_M. See calib(1).",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        app.add_option("--board", board_spec, "The board: charuco:COLSxROWS:SQUARE_M:MARKER_M:DICTIONARY or chessboard:COLSxROWS:SQUARE_M (squares)");
        app.add_option("--out", out_path, "Write the calibration here (OpenCV FileStorage YAML, what detect --calib reads)");
        app.add_option("--photonvision", photon_path, "Also write PhotonVision's calibration JSON here");
        app.add_option("--model", model, "Distortion model: pinhole5 (k1 k2 p1 p2 k3), rational8 or fisheye4")->capture_default_str();
        app.add_option("--frames-out", frames_out, "Annotated frames to: '-' (stdout, unless a terminal), a file, tcp://..., hub, or none")
            ->capture_default_str();
        app.add_option("--corners-out", corners_path,
                       "Write the used views' corners here as mrcal's corners file (mrcal-calibrate-cameras --corners-cache)");
        app.add_option("--views-out", views_dir, "Write each kept view here as view-NNNNN.png (NNNNN: its frame number)");
        auto* g = "Views";
        app.add_flag("--all-views", all_views, "Keep every frame with the board (a folder of chosen photos): no selection")->group(g);
        app.add_option("--min-views", opt.min_views, "Stop once this many views are kept (and --target-error is met)")
            ->check(CLI::Range(0, 10000))->group(g);
        app.add_option("--target-error", opt.target_error_px,
                       "Stop once the calibration's projection uncertainty (RMS px over the image) is below this")
            ->check(CLI::Range(0.0, 100.0))->group(g);
        app.add_option("--max-views", max_views, "Keep at most this many views (0: no limit)")->check(CLI::Range(0, 10000))->group(g);
        app.add_option("--corner-outliers", opt.solve.corner_outlier_sigma,
                       "Leave out corners off by more than this many standard deviations of the residuals "
                       "(0: keep all; default 3 for a ChArUco board, 0 for a chessboard)")
            ->check(CLI::Range(0.0, 100.0))->group(g);
        app.add_option("--max-motion", opt.max_motion_px, "Reject a view whose corners moved more than this since the last frame (px)")
            ->capture_default_str()->check(CLI::Range(0.0, 1000.0))->group(g);
        app.add_option("--min-sharpness", opt.min_sharpness, "Reject a view whose board's variance of the Laplacian is below this")
            ->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(g);
        g = "Printing a board";
        app.add_option("--print-board", print_spec, "Draw this board spec into the FILE given after it, and exit")->group(g);
        app.add_option("file", print_file, "The page --print-board writes: FILE.svg or FILE.pdf (vectors), else an image "
                       "(PNG, or any format OpenCV writes) at --dpi")->group(g);
        app.add_option("--dpi", dpi, "--print-board: printer resolution")->capture_default_str()->group(g);

        return [&]() -> int {
          if (!print_spec.empty()) {
            if (print_file.empty()) throw OptionError("--print-board needs a FILE to write (calib --print-board SPEC board.png)");
            Board b(parse_board_spec(print_spec, "--print-board"));
            const auto& s = b.spec();
            if (is_vector_board_path(print_file)) {
              write_vector_board(b, print_file);
              log_line(fmt::format("{}: vector page, board {:.1f} x {:.1f} mm at true size", print_file,
                                   s.cols * s.square_m * 1000, s.rows * s.square_m * 1000));
              return 0;
            }
            cv::Mat page = printable_board(b, dpi);
            bool ok = false;
            try {
              ok = cv::imwrite(print_file, page, {cv::IMWRITE_PNG_COMPRESSION, 9});
            } catch (const cv::Exception& e) {
              throw Error(fmt::format("cannot write '{}': {}", print_file, e.err));
            }
            if (!ok) throw Error(fmt::format("cannot write '{}' (is the extension one OpenCV writes, .png?)", print_file));
            log_line(fmt::format("{}: {}x{} px, board {:.1f} x {:.1f} mm at {} dpi", print_file, page.cols, page.rows,
                                 s.cols * s.square_m * 1000, s.rows * s.square_m * 1000, dpi));
            return 0;
          }
          if (!print_file.empty()) throw OptionError(fmt::format("unexpected argument '{}' (a FILE goes with --print-board)", print_file));
          if (board_spec.empty()) throw OptionError("--board is required (or --print-board)");
          opt.solve.model = parse_model(model);
          opt.keep_all = all_views;
          opt.max_views = max_views;
          Board board(parse_board_spec(board_spec));
          if (!photon_path.empty() && opt.solve.model == Model::fisheye4)
            throw OptionError("--photonvision needs --model pinhole5 or rational8 (PhotonVision's OpenCV model)");
          Session session(board, opt);

          auto in = open_input(common.in, common.input_options());
          std::unique_ptr<Output> frames;
          if (frames_out == "-" && isatty(STDOUT_FILENO)) frames_out = "none";
          if (frames_out != "none") frames = open_output(frames_out, OutputOptions{});
          std::vector<std::string> view_names;  // per kept view: its file name (view-NNNNN.png)
          if (!views_dir.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(views_dir, ec);
            if (ec) throw Error(fmt::format("--views-out '{}': {}", views_dir, ec.message()));
          }
          Stats stats("", common.verbose > 0);
          Message m, annotated;
          std::string last_reason;
          while (!stop_requested() && in->read(m)) {
            if (!m.is_frame()) continue;  // records are not calib's
            FrameInfo info = frame_info(m.header);
            cv::Mat img;
            try {
              img = frame_to_mat(m, info.fmt == PixelFormat::Gray8 ? PixelFormat::Gray8 : PixelFormat::Bgr8);
            } catch (const Error& e) {
              log_line(fmt::format("skipping frame {}: {}", info.seq, e.what()));
              continue;
            }
            FrameStatus st = session.add(img);
            if (st.kept) {
              view_names.push_back(fmt::format("view-{:05}.png", session.frames() - 1));
              if (!views_dir.empty()) {
                std::string path = (std::filesystem::path(views_dir) / view_names.back()).string();
                if (!cv::imwrite(path, img)) throw Error(fmt::format("--views-out: cannot write '{}'", path));
              }
            }
            if (common.verbose > 1 || (common.verbose && st.reason != last_reason))
              log_line(fmt::format("frame {}: {} corners, {}; {}", info.seq, st.corners, st.reason, st.advice));
            last_reason = st.reason;
            if (frames) {
              mat_to_frame(session.annotate(img, st), PixelFormat::Jpeg, info, annotated, 80);
              if (!frames->write(annotated)) frames.reset();
            }
            stats.add(m.payload.size());
            if (common.verbose)
              stats.report(fmt::format("{} views kept, {} frames with the board", session.views(), session.frames_with_board()));
            if (session.done()) {
              log_line(fmt::format("targets met after {} frames: solving", session.frames()));
              break;
            }
          }
          if (session.frames() == 0) throw Error("no frames in the input: nothing to calibrate");
          Solution s = session.solve();
          report(s, session, common.verbose > 0);
          if (!out_path.empty()) {
            write_opencv_yaml(out_path, s, board.spec());
            log_line(fmt::format("wrote {}", out_path));
          }
          if (!photon_path.empty()) {
            write_photonvision_json(photon_path, s, board.spec());
            log_line(fmt::format("wrote {}", photon_path));
          }
          if (!corners_path.empty()) {
            // The names as seen from the corners file's folder, where mrcal looks for them.
            std::vector<std::string> names = view_names;
            if (!views_dir.empty()) {
              auto base = std::filesystem::absolute(std::filesystem::path(corners_path)).parent_path();
              for (auto& n : names)
                n = std::filesystem::absolute(std::filesystem::path(views_dir) / n).lexically_relative(base).string();
            }
            write_mrcal_corners(corners_path, session.kept_views(), names, s, board);
            // mrcal's model with the same coefficients (its 2.2 has none for OpenCV's fisheye model).
            std::string lens = s.model == Model::pinhole5    ? " --lensmodel LENSMODEL_OPENCV5"
                               : s.model == Model::rational8 ? " --lensmodel LENSMODEL_OPENCV8"
                                                             : "";
            log_line(fmt::format("wrote {} ({} views; mrcal-calibrate-cameras --corners-cache {}{} --focal {:.0f} "
                                 "--object-spacing {} --object-width-n {} --object-height-n {})",
                                 corners_path, s.views_used(), corners_path, lens, 0.5 * (s.calib.fx() + s.calib.fy()),
                                 board.spec().square_m, board.spec().inner_cols(), board.spec().inner_rows()));
          }
          if (out_path.empty() && photon_path.empty() && corners_path.empty()) log_line("no --out or --photonvision given: the result is not saved");
          return 0;
        };
      });
}
