// rvkit stream: what an HTTP request asks for.
//
// Splits a request target ("/cam0/stream.mjpg?fps=15") into its decoded path and query
// parameters, and maps it to one of the server's endpoints with the per-client settings
// cscore's MjpegServer understands (resolution=WxH, fps=N, compression=Q) plus ours (cam, kbps).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rvkit::mjpeg {

struct Target {
  std::string path;                                        // percent-decoded, starts with '/'
  std::vector<std::pair<std::string, std::string>> query;  // decoded name=value pairs, in order
  const std::string* param(std::string_view name) const;   // last value of `name`, or nullptr
};

// Decodes a request target. Returns nullopt with `error` set when the target is not an
// origin-form path, has a bad %-escape, a NUL or control byte, or a ".." segment.
std::optional<Target> parse_target(std::string_view target, std::string& error);

// Percent-decoding ('+' is a space only in query strings). False on a bad escape.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out);

// The largest width or height a client may ask for.
constexpr int kMaxDimension = 4096;

// Per-client stream settings, as cscore's MjpegServer takes them from the query string.
struct StreamSettings {
  int w = 0, h = 0;      // resolution=WxH; 0 = the camera's (one 0 keeps the aspect ratio)
  int quality = -1;      // compression=Q, 0..100 JPEG quality; -1 = pass JPEG through / default
  double fps = 0;        // fps=N; 0 = every frame
  double max_kbps = 0;   // kbps=N (rvkit); 0 = no per-request cap
};

enum class Endpoint { Page, Stream, Snapshot, State, NotFound };

struct Route {
  Endpoint endpoint = Endpoint::NotFound;
  std::string cam;          // "" = the first camera
  StreamSettings settings;
  std::string error;        // set when a parameter is malformed (answer 400 with it)
};

// Maps a decoded target to an endpoint:
//   /  /index.html                       the page
//   /stream.mjpg  /?action=stream        first camera (or ?cam=NAME)
//   /CAM/stream.mjpg                     camera CAM
//   /snapshot.jpg /?action=snapshot  /CAM/snapshot.jpg
//   /state  /state.json                  JSON
Route route(const Target& t);

// Parses "640x480" (either part may be 0). False when malformed or out of range.
bool parse_resolution(std::string_view s, int& w, int& h);

}  // namespace rvkit::mjpeg
