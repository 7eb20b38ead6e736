// rvkit stream: the camera-announcement records (records::Camera, docs/records.md) for ntpub
// (/CameraPublisher).
//
//   {"type":"camera","cam":"front","urls":["http://10.12.34.11:1181/?action=stream&cam=front", ...],
//    "description":"rvkit stream","w":1280,"h":720,"fps":30.0,"connected":true}
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/mjpeg/camera.hpp"
#include "rvkit/records/camera.hpp"

namespace rvkit::mjpeg {

// The hosts a client can reach the server at: when bound to every interface, the IPv4
// address of each interface that is up, non-loopback ones first and loopback last; when
// bound to one address, that address.
std::vector<std::string> reachable_hosts(const std::string& bind);

// The stream URL of `cam` on each host ("http://HOST:PORT/?action=stream&cam=NAME").
std::vector<std::string> stream_urls(const std::vector<std::string>& hosts, uint16_t port, const std::string& cam);

// The announcement of `cam` (fps 0: not measured yet).
records::Camera camera_record(const std::string& cam, const std::vector<std::string>& urls, int w, int h, double fps,
                              bool connected = true);

// Watches the cameras (its own thread, so neither the reader nor the clients ever wait for
// stdout) and writes a record when a camera appears, once its frame rate is measured, when
// its size or rate changes, and when it stops sending frames (connected:false, after 2 s or
// 3 frame intervals) or comes back. At the end every camera is announced as disconnected
// (when the output still takes records: after SIGINT/SIGTERM rvkit outputs write no more).
class CameraAnnouncer {
 public:
  // write(record) returns false when nobody reads any more (announcing then stops).
  using Write = std::function<bool(const Json&)>;
  CameraAnnouncer(const CameraHub& hub, std::vector<std::string> hosts, uint16_t port, Write write);
  ~CameraAnnouncer();  // announces the cameras as disconnected, stops the thread
  void start(int period_ms = 250);
  // One look at the cameras at monotonic time now_us (the thread calls it; tests too).
  void check(int64_t now_us);

 private:
  struct Announced {
    int w = 0, h = 0;
    double fps = 0;
    bool connected = false;
  };
  void emit(const std::string& cam, Announced& a);

  const CameraHub& hub_;
  std::vector<std::string> hosts_;
  uint16_t port_;
  Write write_;
  bool writing_ = true;
  std::map<std::string, Announced> cams_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// %-escapes everything but unreserved characters (RFC 3986).
std::string url_escape(const std::string& s);

}  // namespace rvkit::mjpeg
