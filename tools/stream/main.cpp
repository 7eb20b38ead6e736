// stream: serves the frames it reads as MJPEG over HTTP (cscore MjpegServer compatible).
#include <atomic>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/mjpeg/announce.hpp"
#include "rvkit/mjpeg/camera.hpp"
#include "rvkit/mjpeg/server.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;
using namespace rvkit::mjpeg;

namespace {

// Runs the event loop in its own thread and shuts everything down in order, also when the
// reader throws: encoders first (no more frames), then the server, then the loop.
class Running {
 public:
  Running(boost::asio::io_context& io, CameraHub& hub, Server& server) : io_(io), hub_(hub), server_(server) {
    thread_ = start_worker([this] {
      io_.run();
      done_ = true;
    });
  }
  ~Running() {
    hub_.stop();
    server_.stop();
    for (int i = 0; i < 200 && !done_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!done_) io_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context& io_;
  CameraHub& hub_;
  Server& server_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  ServerOptions opts;
  int quality = kDefaultJpegQuality, max_cameras = 16, max_variants = 8;
  bool quiet = false;
  return run_tool(
      "stream", argc, argv,
      "Serves the frames it reads as MJPEG over HTTP, for browsers and FRC dashboards (like WPILib's "
      "cscore MjpegServer): /stream.mjpg, /CAM/stream.mjpg, /snapshot.jpg, / (all cameras live) and /state.",
      [&](CLI::App& app, CommonOptions& common) {
        common.add_input(app);
        common.add_output(app);  // the camera announcements (for ntpub): stdout, or e.g. the hub
        add_listen_port_option(app, opts.port);
        app.add_option("--bind", opts.bind, "Address or host name to listen on (default: every interface)");
        app.add_option("--max-clients", opts.max_clients, "Simultaneous streams; more get 503 Service Unavailable")
            ->capture_default_str()
            ->check(CLI::Range(1, 10000));
        app.add_option("--max-kbps", opts.max_kbps,
                       "Bandwidth cap per client in kbit/s: lowers JPEG quality, then frame rate (0: none)")
            ->capture_default_str()
            ->check(CLI::Range(0.0, 1e7));
        add_quality_option(app, quality);  // for raw frames, when the client asks for no quality
        app.add_option("--timeout", opts.timeout_s,
                       "Seconds to receive a request, or for a client to take a frame, before hanging up")
            ->capture_default_str()
            ->check(CLI::Range(1, 3600));
        app.add_option("--max-cameras", max_cameras, "Cameras served; frames of further cameras are ignored")
            ->capture_default_str()
            ->check(CLI::Range(1, 256));
        app.add_option("--max-variants", max_variants,
                       "Different resolution/quality settings encoded at once per camera")
            ->capture_default_str()
            ->check(CLI::Range(1, 64));
        app.add_flag("-q,--quiet", quiet, "Write no camera-announcement records (on --out)");
        return [&]() -> int {
          opts.verbose = common.verbose > 0;
          auto input = open_input(common.in, common.input_options());
          boost::asio::io_context io;
          Server* server_ptr = nullptr;
          CameraHub hub(quality, max_variants, max_cameras,
                        [&server_ptr](const std::string& cam, std::vector<std::pair<VariantKey, EncodedPtr>> r) {
                          server_ptr->deliver(cam, std::move(r));
                        });
          Server server(io, hub, opts);
          server_ptr = &server;
          server.start();
          uint16_t port = server.port();
          auto hosts = reachable_hosts(opts.bind);
          std::string where;
          for (const auto& h : hosts) where += fmt::format(" http://{}:{}/", h, port);
          log_line(fmt::format("listening on port {}:{}", port, where));
          // Camera announcements for ntpub on --out (stdout by default), from their own thread.
          std::unique_ptr<Output> out = quiet ? nullptr : open_output(common.out);
          CameraAnnouncer announcer(hub, hosts, port, [&out](const Json& rec) {
            if (!out) return false;
            try {
              return out->write(rec, nullptr, 0);  // false: nobody reads our stdout any more
            } catch (const std::exception& e) {
              log_line(std::string("no more camera announcements: ") + e.what());
              return false;
            }
          });
          if (out) announcer.start();
          Running running(io, hub, server);

          std::map<std::string, std::unique_ptr<Stats>> stats;
          std::map<std::string, bool> ignored;
          auto m = std::make_unique<Message>();
          while (input->read(*m)) {
            if (!m->is_frame()) continue;  // records are not ours to serve
            std::string name = m->cam();
            auto cam = hub.get_or_create(name, [&](const std::shared_ptr<Camera>& c) { server.camera_added(c); });
            if (!cam) {
              if (!ignored[name])
                log_line(fmt::format("ignoring camera '{}': already serving {} cameras (--max-cameras)",
                                               name, max_cameras));
              ignored[name] = true;
              continue;
            }
            auto& st = stats[name];
            if (!st) st = std::make_unique<Stats>(name, opts.verbose);
            st->add(m->payload.size());
            m = cam->push(std::move(m));
            st->report();
          }
          return 0;
        };
      });
}
