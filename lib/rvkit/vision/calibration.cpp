#include "rvkit/vision/calibration.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <opencv2/calib3d.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/core/json_error.hpp"
#include "rvkit/core/json.hpp"

namespace rvkit::vision {

namespace {

constexpr size_t kMaxCalibrationBytes = 4 << 20;

// Turns a FileStorage node tree into JSON, so both file families share one reader.
Json node_to_json(const cv::FileNode& n, int depth = 0) {
  if (depth > 32) throw Error("nested too deeply");
  if (n.isMap()) {
    Json j = Json::object();
    for (auto it = n.begin(); it != n.end(); ++it) {
      cv::FileNode c = *it;
      j[c.name()] = node_to_json(c, depth + 1);
    }
    return j;
  }
  if (n.isSeq()) {
    Json j = Json::array();
    for (auto it = n.begin(); it != n.end(); ++it) j.push_back(node_to_json(*it, depth + 1));
    return j;
  }
  if (n.isInt()) return Json(int(n));
  if (n.isReal()) return Json(double(n));
  if (n.isString()) return Json(std::string(n));
  return Json();
}

const Json* find_key(const Json& root, std::initializer_list<const char*> keys, std::string* found = nullptr) {
  for (const char* k : keys) {
    auto it = root.find(k);
    if (it != root.end()) {
      if (found) *found = k;
      return &*it;
    }
  }
  return nullptr;
}

// A matrix: {"rows","cols","data":[...]} (OpenCV or PhotonVision) or a plain (nested) array.
std::vector<double> matrix_values(const Json& j, const std::string& name, const std::string& key, int* rows, int* cols) {
  auto fail = [&](const std::string& why) { return Error(fmt::format("calibration '{}': \"{}\" {}", name, key, why)); };
  const Json* data = &j;
  *rows = *cols = -1;
  if (j.is_object()) {
    auto d = j.find("data");
    if (d == j.end()) throw fail("has no \"data\"");
    data = &*d;
    auto r = j.find("rows"), c = j.find("cols");
    if (r != j.end() && c != j.end()) {
      if (!r->is_number_integer() || !c->is_number_integer()) throw fail("has non-integer rows/cols");
      *rows = r->get<int>();
      *cols = c->get<int>();
    }
  }
  if (!data->is_array()) throw fail(data->is_string() ? "is stored in a form this reader does not support (base64?)"
                                                      : "must be a matrix or an array of numbers");
  std::vector<double> v;
  for (const Json& e : *data) {
    if (e.is_array()) {
      for (const Json& x : e) {
        if (!x.is_number()) throw fail("contains a non-number");
        v.push_back(x.get<double>());
      }
    } else if (e.is_number()) {
      v.push_back(e.get<double>());
    } else {
      throw fail("contains a non-number");
    }
    if (v.size() > 64) throw fail("is too large");
  }
  for (double x : v)
    if (!std::isfinite(x)) throw fail("contains a value that is not finite");
  if (*rows >= 0 && size_t(*rows) * size_t(*cols) != v.size())
    throw fail(fmt::format("says {}x{} but holds {} values", *rows, *cols, v.size()));
  return v;
}

int dimension(const Json& j, const std::string& name, const std::string& key) {
  if (!j.is_number()) throw Error(fmt::format("calibration '{}': \"{}\" must be a number, got {}", name, key, j.dump()));
  double v = j.get<double>();
  if (!(v >= 1 && v <= 100000) || v != std::floor(v))
    throw Error(fmt::format("calibration '{}': \"{}\" must be a positive whole number of pixels, got {}", name, key, j.dump()));
  return int(v);
}

CameraCalibration from_json(const Json& root, const std::string& name) {
  if (!root.is_object()) throw Error(fmt::format("calibration '{}': expected a JSON object / map at the top", name));
  CameraCalibration c;
  c.source = name;
  bool photon = root.contains("cameraIntrinsics");
  std::string kkey, dkey;
  const Json* k = find_key(root, {"camera_matrix", "cameraMatrix", "cameraIntrinsics"}, &kkey);
  if (!k)
    throw Error(fmt::format("calibration '{}': no camera matrix (expected \"camera_matrix\", \"cameraMatrix\" or "
                            "PhotonVision's \"cameraIntrinsics\")", name));
  const Json* d = find_key(root, {"distortion_coefficients", "distCoeffs", "cameraExtrinsics"}, &dkey);
  if (dkey == "cameraExtrinsics" && !photon) d = nullptr;
  // Poses are solved with OpenCV's pinhole model: fisheye coefficients read as pinhole ones would
  // give wrong poses without a word, so such a file is refused.
  if (const Json* m = find_key(root, {"distortion_model"}); m && m->is_string()) {
    const std::string model = m->get<std::string>();
    if (model == "fisheye" || model == "equidistant")
      throw Error(fmt::format("calibration '{}': \"distortion_model\": \"{}\" is not supported (poses use the "
                              "pinhole model): calibrate with calib --model pinhole5 or rational8",
                              name, model));
  }

  // resolution
  if (photon || root.contains("resolution")) {
    auto r = root.find("resolution");
    if (r == root.end() || !r->is_object() || !r->contains("width") || !r->contains("height"))
      throw Error(fmt::format("calibration '{}': missing \"resolution\": {{\"width\", \"height\"}}", name));
    c.width = dimension((*r)["width"], name, "resolution.width");
    c.height = dimension((*r)["height"], name, "resolution.height");
  } else {
    const Json* w = find_key(root, {"image_width"});
    const Json* h = find_key(root, {"image_height"});
    if (!w || !h)
      throw Error(fmt::format("calibration '{}': missing \"image_width\"/\"image_height\" (the resolution the "
                              "intrinsics belong to)", name));
    c.width = dimension(*w, name, "image_width");
    c.height = dimension(*h, name, "image_height");
  }

  int rows, cols;
  std::vector<double> kv = matrix_values(*k, name, kkey, &rows, &cols);
  if (kv.size() != 9 || (rows >= 0 && (rows != 3 || cols != 3)))
    throw Error(fmt::format("calibration '{}': \"{}\" must be a 3x3 matrix, got {} values", name, kkey, kv.size()));
  for (int i = 0; i < 9; ++i) c.K.val[i] = kv[size_t(i)];
  if (c.K(2, 2) == 0 || c.K(2, 0) != 0 || c.K(2, 1) != 0 || c.K(1, 0) != 0)
    throw Error(fmt::format("calibration '{}': \"{}\" is not a camera matrix (expected [fx 0 cx; 0 fy cy; 0 0 1])", name, kkey));
  c.K = c.K * (1.0 / c.K(2, 2));
  if (!(c.fx() > 0 && c.fy() > 0))
    throw Error(fmt::format("calibration '{}': focal lengths must be positive (fx={}, fy={})", name, c.fx(), c.fy()));
  if (c.cx() < 0 || c.cx() > c.width || c.cy() < 0 || c.cy() > c.height)
    throw Error(fmt::format("calibration '{}': principal point ({}, {}) lies outside the {}x{} image", name, c.cx(),
                            c.cy(), c.width, c.height));
  if (d) {
    c.dist = matrix_values(*d, name, dkey, &rows, &cols);
    size_t n = c.dist.size();
    if (n != 0 && n != 4 && n != 5 && n != 8 && n != 12 && n != 14)
      throw Error(fmt::format("calibration '{}': \"{}\" has {} values; OpenCV models have 4, 5, 8, 12 or 14", name,
                              dkey, n));
  }
  return c;
}

}  // namespace

CameraCalibration parse_calibration(const std::string& text, const std::string& name) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error(fmt::format("calibration '{}': the file is empty", name));
  Json root;
  if (text[first] == '{') {
    try {
      root = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("calibration '{}': invalid JSON: {}", name, json_error_text(e)));
    }
  } else {
    // YAML or XML: OpenCV FileStorage. It insists on the "%YAML:1.0" line that many hand-written
    // and ROS files lack, so supply it.
    std::string doc = text;
    int added_lines = 0;
    if (text[first] != '<' && text.compare(first, 5, "%YAML") != 0) {
      doc = "%YAML:1.0\n---\n" + text;
      added_lines = 2;
    }
    try {
      cv::FileStorage fs(doc, cv::FileStorage::READ | cv::FileStorage::MEMORY);
      if (!fs.isOpened()) throw Error(fmt::format("calibration '{}': not a YAML, XML or JSON file", name));
      root = node_to_json(fs.root());
    } catch (const cv::Exception& e) {
      // OpenCV's parsers put "(LINE): what" in the function field.
      std::string msg = e.err;
      size_t close = e.func.find("): ");
      if (!e.func.empty() && e.func[0] == '(' && close != std::string::npos && close > 1 && close < 12) {
        int line = std::atoi(e.func.substr(1, close - 1).c_str());
        msg = fmt::format("line {}: {}", std::max(1, line - added_lines), e.func.substr(close + 3));
      }
      throw Error(fmt::format("calibration '{}': cannot parse it as OpenCV YAML/XML/JSON: {}", name, msg));
    }
  }
  return from_json(root, name);
}

CameraCalibration load_calibration(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("calibration '{}': cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, size_t(f.gcount()));
    if (text.size() > kMaxCalibrationBytes)
      throw Error(fmt::format("calibration '{}': larger than {} bytes; not a calibration file", path, kMaxCalibrationBytes));
  }
  if (f.bad()) throw Error(fmt::format("calibration '{}': read error", path));
  return parse_calibration(text, path);
}

CameraCalibration CameraCalibration::for_resolution(int w, int h) const {
  if (w == width && h == height) return *this;
  double sx = double(w) / width, sy = double(h) / height;
  if (std::abs(sx / sy - 1) > 0.01)
    throw Error(fmt::format("frames are {}x{} (aspect {:.3f}) but calibration '{}' is for {}x{} (aspect {:.3f}); "
                            "calibrate the camera at this aspect ratio", w, h, double(w) / h, source, width, height,
                            double(width) / height));
  CameraCalibration c = *this;
  c.width = w;
  c.height = h;
  // Pixel centres sit at integer coordinates, so the scaling is about the image corner (-0.5, -0.5).
  c.K(0, 0) *= sx;
  c.K(1, 1) *= sy;
  c.K(0, 1) *= sx;
  c.K(0, 2) = (cx() + 0.5) * sx - 0.5;
  c.K(1, 2) = (cy() + 0.5) * sy - 0.5;
  return c;
}

cv::Point2d angles_deg(const CameraCalibration& c, cv::Point2d px) {
  std::vector<cv::Point2d> in{px}, out;
  cv::undistortPoints(in, out, cv::Mat(c.K), c.dist.empty() ? cv::Mat() : cv::Mat(c.dist));
  constexpr double kDeg = 180.0 / M_PI;
  return {std::atan(out[0].x) * kDeg, -std::atan(out[0].y) * kDeg};
}

}  // namespace rvkit::vision
