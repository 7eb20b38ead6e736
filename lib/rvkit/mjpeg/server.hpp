// rvkit stream: the HTTP server (Boost.Asio/Beast, one event-loop thread, no thread per client).
//
// Endpoints, headers and per-client settings follow WPILib cscore's MjpegServer (see
// docs/stream.md). Every client holds at most one frame being written and one waiting; a
// newer frame replaces the waiting one (counted as dropped), so a slow or stalled client only
// skips frames: it never delays the cameras or the other clients and never grows memory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rvkit/mjpeg/camera.hpp"

namespace rvkit::mjpeg {

struct ServerOptions {
  std::string bind;          // address or host name to listen on; "" = every interface
  uint16_t port = 1181;      // 0 = any free port (see Server::port())
  int max_clients = 32;      // simultaneous streams; more get 503
  int max_connections = 0;   // all connections (0 = 2 * max_clients + 16); more are closed at once
  double max_kbps = 0;       // per-client bandwidth cap, 0 = none
  int timeout_s = 10;        // to receive a request, and for a write to a client to progress
  int snapshot_timeout_s = 5;
  int request_limit = 8192;  // bytes of request line + headers
  bool verbose = false;
};

class Server {
 public:
  Server(boost::asio::io_context& io, CameraHub& hub, ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (throws rvkit::Error naming the address when it cannot).
  void start();
  uint16_t port() const;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints() const;

  // Thread-safe (they post to the event loop):
  void camera_added(const std::shared_ptr<Camera>& cam);
  void deliver(const std::string& cam, std::vector<std::pair<VariantKey, EncodedPtr>> results);
  // Stops listening and closes every connection; io.run() then returns.
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The page served at "/": every camera live, with its stats (polls /state).
const std::string& index_page();

}  // namespace rvkit::mjpeg
