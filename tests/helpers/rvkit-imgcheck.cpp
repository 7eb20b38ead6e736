// rvkit-imgcheck: a test helper that finds the pictures in a browser screenshot.
// Prints one JSON line per region that differs from the page's background colours and is at
// least --min-area pixels: {"x":..,"y":..,"w":..,"h":..,"mean":..,"stddev":..}. A live video
// region has a clearly non-zero stddev; a blank or broken <img> is flat (or black).
//   rvkit-imgcheck shot.png --background 15171a --background 202328
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/error.hpp"

using namespace rvkit;

int main(int argc, char** argv) {
  std::string path;
  std::vector<std::string> backgrounds;
  int min_area = 10000;
  return run_tool(
      "rvkit-imgcheck", argc, argv, "Lists the picture regions of a screenshot (a test helper).",
      [&](CLI::App& app, CommonOptions&) {
        app.add_option("image", path, "PNG or JPEG file")->required();
        app.add_option("--background", backgrounds, "RRGGBB colours that are page background (repeatable)");
        app.add_option("--min-area", min_area, "Smallest region reported, in pixels")->capture_default_str();
        return [&]() -> int {
          cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
          if (img.empty()) throw Error("cannot read an image from " + path);
          cv::Mat mask(img.rows, img.cols, CV_8UC1, cv::Scalar(255));
          for (const auto& hex : backgrounds) {
            unsigned v = 0;
            if (hex.size() != 6 || sscanf(hex.c_str(), "%x", &v) != 1) throw Error("bad colour " + hex);
            cv::Scalar bgr(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
            cv::Mat near;
            cv::inRange(img, bgr - cv::Scalar(10, 10, 10), bgr + cv::Scalar(10, 10, 10), near);
            mask.setTo(0, near);
          }
          cv::Mat labels, stats, centroids;
          int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
          for (int i = 1; i < n; ++i) {
            int area = stats.at<int>(i, cv::CC_STAT_AREA);
            if (area < min_area) continue;
            cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
            cv::Mat gray;
            cv::cvtColor(img(r), gray, cv::COLOR_BGR2GRAY);
            cv::Scalar mean, stddev;
            cv::meanStdDev(gray, mean, stddev, (labels(r) == i));
            fmt::print("{{\"x\":{},\"y\":{},\"w\":{},\"h\":{},\"area\":{},\"mean\":{:.1f},\"stddev\":{:.1f}}}\n", r.x, r.y,
                       r.width, r.height, area, mean[0], stddev[0]);
          }
          return 0;
        };
      });
}
