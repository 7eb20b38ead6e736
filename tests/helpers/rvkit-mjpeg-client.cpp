// rvkit-mjpeg-client: a test and benchmark helper that reads MJPEG streams over HTTP with
// many connections in one thread and reports, per connection, the frames, frame rate, sizes
// and capture-to-client latency (from X-Timestamp) as JSON on stdout.
//   rvkit-mjpeg-client http://127.0.0.1:1181/stream.mjpg --clients 8 --seconds 10
//   rvkit-mjpeg-client URL --stall       (connects, asks, and never reads)
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <thread>
#include <memory>
#include <vector>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/core/signals.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using rvkit::Json;

namespace {

struct Result {
  int status = 0;
  std::string content_type, error;
  uint64_t frames = 0, bytes = 0, bad_jpeg = 0;
  int w = 0, h = 0;
  int64_t first_us = 0, last_us = 0;       // arrival (mono)
  int64_t first_ts = 0, last_ts = 0;       // X-Timestamp (µs)
  std::vector<double> latency_ms;
};

struct Options {
  std::string host, port, target;
  int64_t max_frames = 0;
  bool stall = false;
  bool decode_all = false;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Options& o, Result& r, std::function<void()> on_done)
      : sock_(io), opts_(o), res_(r), on_done_(std::move(on_done)) {}

  void start(const tcp::resolver::results_type& eps) {
    sock_.open(eps.begin()->endpoint().protocol());
    if (opts_.stall) {
      int small = 4096;  // a tiny receive window so the server's writes really stall
      setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    asio::async_connect(sock_, eps, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail("connect: " + ec.message());
      self->request_ = fmt::format("GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: rvkit-mjpeg-client\r\n\r\n",
                                   self->opts_.target, self->opts_.host, self->opts_.port);
      asio::async_write(self->sock_, asio::buffer(self->request_), [self](error_code e, size_t) {
        if (e) return self->fail("write: " + e.message());
        if (!self->opts_.stall) self->read_response();
      });
    });
  }
  void stop() {
    stopped_ = true;
    error_code ec;
    sock_.close(ec);
  }

 private:
  void fail(const std::string& what) {
    if (res_.error.empty() && !done_ && !stopped_) res_.error = what;
    finish();
  }
  void finish() {
    stop();
    if (done_) return;
    done_ = true;
    if (on_done_) on_done_();
  }

  void read_response() {
    asio::async_read_until(sock_, buf_, "\r\n\r\n", [self = shared_from_this()](error_code ec, size_t n) {
      if (ec) return self->fail("reading the response header: " + ec.message());
      std::string head(asio::buffers_begin(self->buf_.data()), asio::buffers_begin(self->buf_.data()) + long(n));
      self->buf_.consume(n);
      if (sscanf(head.c_str(), "HTTP/%*d.%*d %d", &self->res_.status) != 1) return self->fail("no status line");
      self->res_.content_type = header_value(head, "content-type");
      if (self->res_.status != 200) return self->fail(fmt::format("status {}", self->res_.status));
      self->read_part();
    });
  }

  static std::string header_value(const std::string& head, const std::string& name) {
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto p = lower.find("\n" + name + ":");
    if (p == std::string::npos) return "";
    p += name.size() + 2;
    auto e = head.find('\r', p);
    std::string v = head.substr(p, e - p);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  }

  void read_part() {
    asio::async_read_until(sock_, buf_, "\r\n\r\n", [self = shared_from_this()](error_code ec, size_t n) {
      if (ec) return self->fail(ec == asio::error::eof ? "" : "reading a part header: " + ec.message());
      std::string head(asio::buffers_begin(self->buf_.data()), asio::buffers_begin(self->buf_.data()) + long(n));
      self->buf_.consume(n);
      std::string len = header_value("\n" + head, "content-length");
      std::string ts = header_value("\n" + head, "x-timestamp");
      if (len.empty()) return self->fail("a part without Content-Length");
      self->want_ = std::stoull(len);
      self->ts_us_ = ts.empty() ? 0 : int64_t(std::stod(ts) * 1e6);
      size_t have = self->buf_.size();
      if (have >= self->want_) return self->got_part();
      asio::async_read(self->sock_, self->buf_, asio::transfer_exactly(self->want_ - have),
                       [self](error_code e, size_t) {
                         if (e) return self->fail(e == asio::error::eof ? "" : "reading a part: " + e.message());
                         self->got_part();
                       });
    });
  }

  void got_part() {
    int64_t now_wall = rvkit::now_us(), now = rvkit::mono_us();
    Result& r = res_;
    if (r.frames == 0 || opts_.decode_all) {
      std::vector<uint8_t> jpeg(want_);
      asio::buffer_copy(asio::buffer(jpeg), buf_.data(), want_);
      cv::Mat img = cv::imdecode(jpeg, cv::IMREAD_UNCHANGED);
      if (img.empty())
        ++r.bad_jpeg;
      else
        r.w = img.cols, r.h = img.rows;
    }
    buf_.consume(want_);
    if (r.frames == 0) r.first_us = now, r.first_ts = ts_us_;
    r.last_us = now;
    r.last_ts = ts_us_;
    ++r.frames;
    r.bytes += want_;
    if (ts_us_) r.latency_ms.push_back(double(now_wall - ts_us_) / 1000.0);
    if (opts_.max_frames && int64_t(r.frames) >= opts_.max_frames) return finish();
    read_part();
  }

  tcp::socket sock_;
  const Options& opts_;
  Result& res_;
  std::function<void()> on_done_;
  asio::streambuf buf_;
  std::string request_;
  size_t want_ = 0;
  int64_t ts_us_ = 0;
  bool done_ = false, stopped_ = false;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int clients = 1;
  double seconds = 10;
  bool samples = false;
  Options o;
  return rvkit::run_tool(
      "rvkit-mjpeg-client", argc, argv, "Reads MJPEG streams and reports frames, rates and latency (a test helper).",
      [&](CLI::App& app, rvkit::CommonOptions&) {
        app.add_option("url", url, "http://HOST:PORT/PATH")->required();
        app.add_option("--clients", clients, "Connections")->capture_default_str();
        app.add_option("--seconds", seconds, "Stop after this long")->capture_default_str();
        app.add_option("--frames", o.max_frames, "Each connection stops after this many frames (0: no limit)");
        app.add_flag("--stall", o.stall, "Send the request, then never read");
        app.add_flag("--decode-all", o.decode_all, "Decode every frame (else only the first)");
        app.add_flag("--samples", samples, "Also list every capture-to-client latency (latency_samples_ms)");
        return [&]() -> int {
          std::string rest = url;
          if (rest.rfind("http://", 0) != 0) throw rvkit::Error("the URL must start with http://");
          rest = rest.substr(7);
          auto slash = rest.find('/');
          std::string hostport = rest.substr(0, slash);
          o.target = slash == std::string::npos ? "/" : rest.substr(slash);
          auto colon = hostport.rfind(':');
          o.host = hostport.substr(0, colon);
          o.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
          asio::io_context io;
          tcp::resolver resolver(io);
          auto eps = resolver.resolve(o.host, o.port);
          std::vector<Result> results(size_t(std::max(1, clients)));
          std::vector<std::shared_ptr<Client>> conns;
          asio::steady_timer deadline(io);
          asio::signal_set signals(io, SIGINT, SIGTERM);
          size_t active = results.size();
          for (auto& r : results) {
            conns.push_back(std::make_shared<Client>(io, o, r, [&] {
              if (--active == 0) {  // every connection has ended: report now
                deadline.cancel();
                signals.cancel();
              }
            }));
            conns.back()->start(eps);
          }
          deadline.expires_after(std::chrono::milliseconds(int64_t(seconds * 1000)));
          deadline.async_wait([&](error_code ec) {
            if (ec) return;
            for (auto& c : conns) c->stop();
            signals.cancel();
          });
          // Also end on Ctrl-C / SIGTERM.
          signals.async_wait([&](error_code, int) {
            for (auto& c : conns) c->stop();
            deadline.cancel();
          });
          io.run_for(std::chrono::milliseconds(int64_t(seconds * 1000) + 5000));
          Json out;
          Json arr = Json::array();
          uint64_t total = 0;
          std::vector<double> all_lat;
          for (auto& r : results) {
            Json j;
            j["status"] = r.status;
            j["content_type"] = r.content_type;
            j["frames"] = r.frames;
            j["bytes"] = r.bytes;
            j["w"] = r.w;
            j["h"] = r.h;
            j["bad_jpeg"] = r.bad_jpeg;
            double span = double(r.last_us - r.first_us) / 1e6;
            j["fps"] = r.frames > 1 && span > 0 ? double(r.frames - 1) / span : 0.0;
            double ts_span = double(r.last_ts - r.first_ts) / 1e6;
            j["capture_span_s"] = ts_span;
            j["latency_ms_mean"] = r.latency_ms.empty() ? 0.0
                : std::accumulate(r.latency_ms.begin(), r.latency_ms.end(), 0.0) / double(r.latency_ms.size());
            j["latency_ms_p95"] = percentile(r.latency_ms, 0.95);
            if (!r.error.empty()) j["error"] = r.error;
            arr.push_back(j);
            total += r.frames;
            all_lat.insert(all_lat.end(), r.latency_ms.begin(), r.latency_ms.end());
          }
          out["clients"] = arr;
          out["total_frames"] = total;
          out["latency_ms_p50"] = percentile(all_lat, 0.5);
          out["latency_ms_p95"] = percentile(all_lat, 0.95);
          out["latency_ms_p99"] = percentile(all_lat, 0.99);
          out["latency_ms_max"] = all_lat.empty() ? 0.0 : *std::max_element(all_lat.begin(), all_lat.end());
          if (samples) out["latency_samples_ms"] = all_lat;
          fmt::print("{}\n", out.dump());
          return 0;
        };
      });
}
