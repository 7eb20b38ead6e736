// rvkit-calib-render: a test helper that renders views of a calibration board through a known
// camera (tests/unit/calib_render.hpp, the renderer of the calibration unit tests) and writes them
// as DIR/frame-NNNN.png with the truth in DIR/truth.json ({"width", "height", "K": [9], "dist": [..]}).
// Not a tool: the ground truth of tests/pipeline/calib_mrcal.sh.
//
//   rvkit-calib-render --board charuco:9x7:0.04:0.03:DICT_5X5_100 --count 150 DIR
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "../unit/calib_render.hpp"
#include "rvkit/calibration/board.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/vision/calibration.hpp"

using namespace rvkit;

int main(int argc, char** argv) {
  std::string spec = "charuco:9x7:0.04:0.03:DICT_5X5_100", dir;
  int count = 150;
  unsigned seed = 7;
  return run_tool(
      "rvkit-calib-render", argc, argv,
      "Renders views of a calibration board through a known camera (640x480, fx 600, fy 605, cx 322.5, cy 236,\n"
      "k1 k2 p1 p2 k3 -0.12 0.08 0.001 -0.0005 -0.01) at random poses: DIR/frame-NNNN.png and DIR/truth.json.",
      [&](CLI::App& app, CommonOptions&) {
        app.add_option("--board", spec, "The board spec (as calib --board)")->capture_default_str();
        app.add_option("--count", count, "Frames to render")->capture_default_str()->check(CLI::Range(1, 10000));
        app.add_option("--seed", seed, "Seed of the poses and the noise")->capture_default_str();
        app.add_option("dir", dir, "Output folder (created)")->required();
        return [&]() -> int {
          calibration::Board board(calibration::parse_board_spec(spec));
          calib_render::Renderer r(board);
          std::filesystem::create_directories(dir);
          std::mt19937 rng(seed);
          for (int i = 0; i < count; ++i) {
            cv::Matx33d R;
            cv::Vec3d t;
            calib_render::random_pose(r.cam, board.spec(), rng, R, t);
            std::string path = fmt::format("{}/frame-{:04}.png", dir, i);
            if (!cv::imwrite(path, r.render(R, t, uint64_t(seed) * 100000 + i))) throw Error("cannot write " + path);
          }
          Json truth;
          truth["width"] = r.cam.size.width;
          truth["height"] = r.cam.size.height;
          truth["K"] = std::vector<double>(r.cam.K.val, r.cam.K.val + 9);
          truth["dist"] = r.cam.dist;
          truth["board"] = board.spec().to_string();
          std::ofstream(dir + "/truth.json") << truth.dump(1) << "\n";
          return 0;
        };
      });
}
