#include "rvkit/mjpeg/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/json.hpp"
#include "rvkit/mjpeg/pacing.hpp"
#include "rvkit/mjpeg/request.hpp"
#include "rvkit/core/stats.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace rvkit::mjpeg {
namespace {

constexpr int kSendBufferBytes = 256 * 1024;  // kernel send buffer per client: bounds queued latency
constexpr size_t kMaxVariantEntries = 64;      // remembered frame sizes of variants (for --max-kbps)
constexpr size_t kMaxJunkBytes = 64 * 1024;    // bytes a streaming client may send us before we hang up
const char kCrLf[] = "\r\n";

template <class Res>
void common_headers(Res& r) {
  r.set(http::field::server, "rvkit-stream/" RVKIT_VERSION);
  r.set(http::field::cache_control, "no-store, no-cache, must-revalidate, pre-check=0, post-check=0, max-age=0");
  r.set(http::field::pragma, "no-cache");
  r.set(http::field::expires, "Mon, 3 Jan 2000 12:34:56 GMT");
  r.set(http::field::access_control_allow_origin, "*");
}

std::string endpoint_string(const tcp::endpoint& ep) {
  if (ep.address().is_v6() && !ep.address().to_v6().is_v4_mapped())
    return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  auto a = ep.address().is_v6() ? asio::ip::address(ep.address().to_v6().to_v4()) : ep.address();
  return fmt::format("{}:{}", a.to_string(), ep.port());
}

std::string key_resolution(const VariantKey& k) {
  return k.w || k.h ? fmt::format("{}x{}", k.w, k.h) : "native";
}

class Session;

}  // namespace

// ============================================================================ server state

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  struct Variant {
    std::vector<std::shared_ptr<Session>> clients;
    std::vector<std::shared_ptr<Session>> snapshots;
    double avg_bytes = 0;
    int64_t last_seq = -1;
  };
  struct Cam {
    std::shared_ptr<Camera> cam;
    std::map<VariantKey, Variant> variants;
    double fps = 0;  // from capture times of delivered frames
    int64_t last_t = 0, last_seq = -1;
    uint64_t last_bytes = 0;
    double kbps_in = 0;
  };

  Impl(asio::io_context& io_, CameraHub& hub_, ServerOptions o)
      : io(io_), hub(hub_), opts(std::move(o)), tick_timer(io_), retry_timer(io_),
        sent_stats("sent", opts.verbose) {
    if (opts.max_connections <= 0) opts.max_connections = 2 * opts.max_clients + 16;
  }

  void start();
  void accept_next(tcp::acceptor& a);
  void on_tick();
  void stop();

  Cam* find_cam(const std::string& name);
  void on_camera_added(const std::shared_ptr<Camera>& cam);
  void on_deliver(const std::string& cam, std::vector<std::pair<VariantKey, EncodedPtr>>& results);

  // Sessions call these.
  void start_stream(const std::shared_ptr<Session>& s, const Route& r);
  void start_snapshot(const std::shared_ptr<Session>& s, const Route& r);
  bool subscribe(const std::shared_ptr<Session>& s, Cam& c);
  bool resubscribe(Session& s, const VariantKey& nk);
  double variant_bytes(const std::string& cam, const VariantKey& k);
  double cam_fps(const std::string& cam);
  void detach(Session& s, int prev_state);
  std::string state_json();

  asio::io_context& io;
  CameraHub& hub;
  ServerOptions opts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
  std::map<std::string, Cam> cams;
  std::vector<std::shared_ptr<Session>> waiting;  // streams whose camera has not appeared yet
  int streams = 0;
  uint64_t next_id = 1;
  bool stopped = false;
  asio::steady_timer tick_timer, retry_timer;
  int64_t start_mono = mono_us();
  int64_t last_tick = 0;
  Stats sent_stats;
  uint64_t rejected = 0, bad_requests = 0, timed_out = 0, accept_errors = 0;
};

namespace {

// ============================================================================ one connection

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum State { Reading, Writing, Snapshot, Waiting, Streaming, Lingering, Closed };

  Session(Server::Impl& srv, tcp::socket sock, uint64_t id)
      : srv_(srv), sock_(std::move(sock)), timer_(srv.io), buf_(size_t(srv.opts.request_limit)), id_(id),
        connected_us_(mono_us()) {}

  uint64_t id() const { return id_; }
  State state() const { return state_; }

  void start() {
    error_code ec;
    sock_.set_option(tcp::no_delay(true), ec);
    sock_.set_option(asio::socket_base::keep_alive(true), ec);
    sock_.set_option(asio::socket_base::send_buffer_size(kSendBufferBytes), ec);
    // Notice peers that vanished without closing (unplugged, rebooted) within about 20 s.
    int fd = sock_.native_handle(), idle = 10, intvl = 5, cnt = 2;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    auto ep = sock_.remote_endpoint(ec);
    peer_ = ec ? "?" : endpoint_string(ep);
    read_request();
  }

  void close() {
    if (state_ == Closed) return;
    State prev = state_;
    state_ = Closed;
    srv_.detach(*this, prev);
    srv_.sessions.erase(id_);
    disarm();
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    pending_.reset();
  }

  // ---------------------------------------------------------------- streaming
  void setup_stream(const Route& r, const std::string& cam) {
    cam_ = cam;
    settings_ = r.settings;
    base_key_ = VariantKey{r.settings.w, r.settings.h, r.settings.quality};
    key_ = base_key_;
    ladder_ = quality_ladder(base_key_.quality);
    fps_.set_fps(r.settings.fps);
    double kbps = srv_.opts.max_kbps;
    if (r.settings.max_kbps > 0) kbps = kbps > 0 ? std::min(kbps, r.settings.max_kbps) : r.settings.max_kbps;
    bw_ = BandwidthLimiter(kbps, int(ladder_.size()));
  }
  const std::string& cam() const { return cam_; }
  void set_cam(const std::string& c) { cam_ = c; }
  const VariantKey& key() const { return key_; }
  void set_key(const VariantKey& k) { key_ = k; }
  VariantKey key_for_level(int level) const {
    VariantKey k = base_key_;
    k.quality = ladder_[size_t(std::clamp(level, 0, int(ladder_.size()) - 1))];
    return k;
  }
  bool subscribed = false;

  // Sends the stream's response header; frames follow as they come.
  void begin_stream(bool waiting) {
    state_ = waiting ? Waiting : Streaming;
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
    common_headers(*res);
    res->set(http::field::content_type, std::string("multipart/x-mixed-replace;boundary=") + kBoundary);
    res->set(http::field::connection, "close");
    writing_ = true;
    arm(srv_.opts.timeout_s);
    http::async_write(sock_, *res, [self = shared_from_this(), res](error_code ec, size_t) {
      self->on_written(ec, 0, false);
    });
    watch_peer();
  }

  void camera_arrived() {
    if (state_ == Waiting) state_ = Streaming;
  }

  void offer(const EncodedPtr& e) {
    if (state_ != Streaming) return;
    if (e->seq == last_seq_ && e->t_capture == last_t_) return;  // same frame twice (first-frame request)
    last_seq_ = e->seq;
    last_t_ = e->t_capture;
    ++offered_;
    if (!fps_.accept(e->t_capture)) {
      ++skipped_;
      return;
    }
    if (bw_.enabled()) adapt_quality();
    if (writing_) {
      if (pending_) ++dropped_, srv_.sent_stats.drop();
      pending_ = e;
      return;
    }
    send(e);
  }

  // ---------------------------------------------------------------- snapshot
  void begin_snapshot() {
    state_ = Snapshot;
    arm(srv_.opts.snapshot_timeout_s);
  }
  void snapshot_ready(const EncodedPtr& e) {
    if (state_ != Snapshot) return;
    disarm();
    auto res = std::make_shared<http::response<http::vector_body<uint8_t>>>(http::status::ok, version_);
    common_headers(*res);
    res->set(http::field::content_type, "image/jpeg");
    res->set("X-Timestamp", x_timestamp(e->t_capture));
    res->keep_alive(keep_alive_);
    if (!head_) res->body() = e->jpeg;
    res->prepare_payload();
    if (head_) res->content_length(e->jpeg.size());
    write_response(res, keep_alive_);
  }

  // ---------------------------------------------------------------- stats
  void tick(double dt) {
    fps_now_ = double(sent_ - sent_at_tick_) / dt;
    kbps_now_ = double(bytes_ - bytes_at_tick_) * 8 / 1000 / dt;
    sent_at_tick_ = sent_;
    bytes_at_tick_ = bytes_;
  }
  uint64_t sent() const { return sent_; }

  Json describe(int64_t now) const {
    Json j;
    j["id"] = id_;
    j["peer"] = peer_;
    j["state"] = state_ == Waiting ? "waiting" : state_ == Streaming ? "streaming" : "other";
    j["cam"] = cam_;
    j["resolution"] = last_w_ ? fmt::format("{}x{}", last_w_, last_h_) : "";
    j["quality"] = key_.quality;
    Json req;
    req["resolution"] = key_resolution(base_key_);
    req["fps"] = settings_.fps;
    req["compression"] = base_key_.quality;
    req["max_kbps"] = bw_.enabled() ? bw_.max_kbps() : 0.0;
    j["requested"] = req;
    j["fps"] = std::round(fps_now_ * 10) / 10;
    j["kbps"] = std::round(kbps_now_);
    j["sent"] = sent_;
    j["bytes"] = bytes_;
    j["dropped"] = dropped_;
    j["skipped"] = skipped_;
    j["throttled"] = throttled_;
    j["latency_ms"] = std::round(latency_ms_ * 10) / 10;
    j["connected_s"] = std::round(double(now - connected_us_) / 1e5) / 10;
    return j;
  }

 private:
  // One timer per connection; a generation number makes a disarmed timer's late wake-up harmless.
  void arm(int seconds) {
    watching_writes_ = false;
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(std::chrono::seconds(seconds));
    timer_.async_wait([w = weak_from_this(), gen](error_code ec) {
      if (ec) return;
      if (auto self = w.lock())
        if (self->timer_gen_ == gen) self->on_timeout();
    });
  }
  void disarm() {
    watching_writes_ = false;
    ++timer_gen_;
    timer_.cancel();
  }

  // The timeout of frame writes, without a timer operation per frame (with many clients, arming
  // and cancelling a timer for every write of every client was a good part of the event loop's
  // own work): one timer per client runs while frames are being written; when it expires it
  // closes the connection if the write in flight started timeout_s ago, otherwise it is set
  // again for the rest of that write's time, or stops when no write is in flight (the next
  // send() starts it again).
  void watch_writes(int64_t us) {
    watching_writes_ = true;
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(std::chrono::microseconds(us));
    timer_.async_wait([w = weak_from_this(), gen](error_code ec) {
      if (ec) return;
      auto self = w.lock();
      if (!self || self->timer_gen_ != gen) return;
      self->watching_writes_ = false;
      if (self->state_ == Closed || !self->writing_) return;
      int64_t left = self->write_start_us_ + int64_t(self->srv_.opts.timeout_s) * 1000000 - mono_us();
      if (left <= 0) return self->on_timeout();
      self->watch_writes(left);
    });
  }

  void on_timeout() {
    switch (state_) {
      case Snapshot:
        srv_.detach(*this, Snapshot);
        state_ = Writing;
        respond_error(http::status::service_unavailable,
                      fmt::format("no frame from camera '{}' within {} s", cam_, srv_.opts.snapshot_timeout_s),
                      false);
        break;
      case Streaming:
      case Waiting:
        ++srv_.timed_out;
        close();
        break;
      case Closed:
        break;
      default:
        if (state_ == Reading && buf_.size() > 0) ++srv_.timed_out;
        close();
    }
  }

  // ---------------------------------------------------------------- requests
  void read_request() {
    if (srv_.stopped) return close();
    state_ = Reading;
    parser_.emplace();
    parser_->header_limit(uint32_t(srv_.opts.request_limit));
    arm(srv_.opts.timeout_s);
    // The header only: a request with a body gets an error without its body being read.
    http::async_read_header(sock_, buf_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
      self->on_request(ec);
    });
  }

  void on_request(error_code ec) {
    if (state_ == Closed) return;
    disarm();
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted || ec == http::error::partial_message)
        return close();
      ++srv_.bad_requests;
      version_ = 11;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return respond_error(http::status::request_header_fields_too_large,
                             fmt::format("the request line and headers exceed {} bytes", srv_.opts.request_limit),
                             false);
      if (ec == http::error::unexpected_body || ec == http::error::body_limit)
        return respond_error(http::status::payload_too_large, "request bodies are not accepted", false);
      return respond_error(http::status::bad_request, "malformed HTTP request: " + ec.message(), false);
    }
    const auto& req = parser_->get();
    version_ = req.version() == 10 ? 10 : 11;
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (req.method() == http::verb::options) {
      auto res = std::make_shared<http::response<http::string_body>>(http::status::no_content, version_);
      common_headers(*res);
      res->set(http::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
      res->set(http::field::access_control_allow_headers, "*");
      res->set(http::field::allow, "GET, HEAD, OPTIONS");
      res->keep_alive(keep_alive_);
      return write_response(res, keep_alive_);
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      ++srv_.bad_requests;
      return respond_error(http::status::method_not_allowed,
                           fmt::format("method {} is not served (use GET)", std::string(req.method_string())),
                           false, true);
    }
    if (parser_->chunked() || parser_->content_length().value_or(0) > 0) {
      ++srv_.bad_requests;
      return respond_error(http::status::payload_too_large, "request bodies are not accepted", false);
    }
    std::string error;
    auto target = parse_target(std::string_view(req.target().data(), req.target().size()), error);
    if (!target) {
      ++srv_.bad_requests;
      return respond_error(http::status::bad_request, "bad request target: " + error, keep_alive_);
    }
    Route r = route(*target);
    if (r.endpoint == Endpoint::NotFound) {
      std::string p = target->path.size() > 100 ? target->path.substr(0, 100) + "..." : target->path;
      return respond_error(http::status::not_found,
                           fmt::format("no such page: {} (pages: /, /stream.mjpg, /snapshot.jpg, /state)", p),
                           keep_alive_);
    }
    if (!r.error.empty()) {
      ++srv_.bad_requests;
      return respond_error(http::status::bad_request, r.error, keep_alive_);
    }
    switch (r.endpoint) {
      case Endpoint::Page:
        return respond(http::status::ok, "text/html; charset=utf-8", index_page(), keep_alive_);
      case Endpoint::State:
        return respond(http::status::ok, "application/json", srv_.state_json(), keep_alive_);
      case Endpoint::Snapshot:
        return srv_.start_snapshot(shared_from_this(), r);
      case Endpoint::Stream:
        if (head_) {
          auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
          common_headers(*res);
          res->set(http::field::content_type, std::string("multipart/x-mixed-replace;boundary=") + kBoundary);
          res->keep_alive(false);
          return write_response(res, false);
        }
        return srv_.start_stream(shared_from_this(), r);
      default:
        return close();
    }
  }

 public:
  void respond(http::status status, const std::string& type, std::string body, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version_);
    common_headers(*res);
    res->set(http::field::content_type, type);
    res->keep_alive(keep_alive && !srv_.stopped);
    size_t n = body.size();
    if (!head_) res->body() = std::move(body);
    res->prepare_payload();
    if (head_) res->content_length(n);
    write_response(res, keep_alive && !srv_.stopped);
  }

  void respond_error(http::status status, const std::string& message, bool keep_alive, bool allow = false) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version_);
    common_headers(*res);
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    if (allow) res->set(http::field::allow, "GET, HEAD, OPTIONS");
    res->keep_alive(keep_alive && !srv_.stopped);
    if (!head_) res->body() = fmt::format("{} {}\r\n{}\r\n", int(status), std::string(http::obsolete_reason(status)), message);
    res->prepare_payload();
    write_response(res, keep_alive && !srv_.stopped);
  }

 private:
  template <class Res>
  void write_response(const std::shared_ptr<Res>& res, bool keep_alive) {
    state_ = Writing;
    arm(srv_.opts.timeout_s);
    http::async_write(sock_, *res, [self = shared_from_this(), res, keep_alive](error_code ec, size_t) {
      if (self->state_ == Closed) return;
      self->disarm();
      if (ec) return self->close();
      if (keep_alive) return self->read_request();
      self->linger_close();
    });
  }

  // Half-closes, then reads and discards what the client still sends until it closes too
  // (at most a second): closing with unread input would reset the connection and could
  // destroy the response before the client read it.
  void linger_close() {
    state_ = Lingering;
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    arm(1);
    drain();
  }
  void drain() {
    sock_.async_read_some(asio::buffer(junk_), [self = shared_from_this()](error_code ec, size_t n) {
      if (self->state_ != Lingering) return;
      self->junk_bytes_ += n;
      if (ec || self->junk_bytes_ > kMaxJunkBytes) return self->close();
      self->drain();
    });
  }

  // While streaming, a read notices the client closing (browsers navigating away).
  void watch_peer() {
    sock_.async_read_some(asio::buffer(junk_), [self = shared_from_this()](error_code ec, size_t n) {
      if (self->state_ != Streaming && self->state_ != Waiting) return;
      self->junk_bytes_ += n;
      if (ec || self->junk_bytes_ > kMaxJunkBytes) return self->close();
      self->watch_peer();
    });
  }

  void adapt_quality() {
    double fps = srv_.cam_fps(cam_);
    if (settings_.fps > 0) fps = std::min(fps, settings_.fps);
    int level = bw_.choose_level(
        fps, [&](int l) { return srv_.variant_bytes(cam_, key_for_level(l)); }, mono_us());
    VariantKey nk = key_for_level(level);
    if (nk != key_) srv_.resubscribe(*this, nk);
  }

  void send(const EncodedPtr& e) {
    size_t n = e->part_header.size() + e->jpeg.size() + 2;
    if (!bw_.admit(n, mono_us())) {
      ++throttled_;
      return;
    }
    inflight_ = e;
    writing_ = true;
    write_start_us_ = mono_us();
    if (!watching_writes_) watch_writes(int64_t(srv_.opts.timeout_s) * 1000000);
    std::array<asio::const_buffer, 3> bufs{asio::buffer(e->part_header), asio::buffer(e->jpeg),
                                           asio::buffer(kCrLf, 2)};
    asio::async_write(sock_, bufs, [self = shared_from_this()](error_code ec, size_t n) {
      self->on_written(ec, n, true);
    });
  }

  void on_written(error_code ec, size_t n, bool frame) {
    writing_ = false;
    if (state_ == Closed) return;
    if (!frame) disarm();  // the stream's header (arm()); frames leave watch_writes() running
    if (ec) return close();
    if (frame && inflight_) {
      ++sent_;
      bytes_ += n;
      srv_.sent_stats.add(n);
      double lat = double(now_us() - inflight_->t_capture) / 1000.0;
      latency_ms_ = latency_ms_ == 0 ? lat : 0.9 * latency_ms_ + 0.1 * lat;
      last_w_ = inflight_->w;
      last_h_ = inflight_->h;
      inflight_.reset();
    }
    if (pending_) {
      EncodedPtr e = std::move(pending_);
      pending_.reset();
      send(e);
    }
  }

  Server::Impl& srv_;
  tcp::socket sock_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::array<char, 1024> junk_{};
  size_t junk_bytes_ = 0;
  uint64_t id_;
  int64_t connected_us_;
  std::string peer_;
  State state_ = Reading;
  unsigned version_ = 11;
  bool keep_alive_ = false, head_ = false;

  // streaming
  std::string cam_;
  StreamSettings settings_;
  VariantKey base_key_, key_;
  std::vector<int> ladder_{-1};
  FpsLimiter fps_;
  BandwidthLimiter bw_;
  bool writing_ = false;
  bool watching_writes_ = false;  // watch_writes()'s timer is running
  int64_t write_start_us_ = 0;    // of the frame write in flight
  EncodedPtr pending_, inflight_;
  int64_t last_seq_ = -1, last_t_ = -1;
  int last_w_ = 0, last_h_ = 0;
  uint64_t offered_ = 0, sent_ = 0, bytes_ = 0, dropped_ = 0, skipped_ = 0, throttled_ = 0;
  uint64_t sent_at_tick_ = 0, bytes_at_tick_ = 0;
  double fps_now_ = 0, kbps_now_ = 0, latency_ms_ = 0;
};

template <class T>
void erase_ptr(std::vector<std::shared_ptr<T>>& v, const T* p) {
  v.erase(std::remove_if(v.begin(), v.end(), [p](const std::shared_ptr<T>& x) { return x.get() == p; }), v.end());
}

}  // namespace

// ============================================================================ Server::Impl

void Server::Impl::start() {
  auto listen_on = [&](const tcp::endpoint& ep, bool dual_stack) {
    auto a = std::make_unique<tcp::acceptor>(io);
    a->open(ep.protocol());
    a->set_option(asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) a->set_option(asio::ip::v6_only(!dual_stack));
    a->bind(ep);
    a->listen(asio::socket_base::max_listen_connections);
    acceptors.push_back(std::move(a));
  };
  std::string where = fmt::format("{}:{}", opts.bind.empty() ? "*" : opts.bind, opts.port);
  try {
    if (opts.bind.empty()) {
      try {
        listen_on(tcp::endpoint(asio::ip::address_v6::any(), opts.port), true);
      } catch (const boost::system::system_error&) {
        acceptors.clear();
        listen_on(tcp::endpoint(asio::ip::address_v4::any(), opts.port), false);
      }
    } else {
      tcp::resolver resolver(io);
      auto results = resolver.resolve(opts.bind, std::to_string(opts.port), tcp::resolver::passive);
      uint16_t port = opts.port;
      std::string last_error;
      for (const auto& r : results) {
        tcp::endpoint ep = r.endpoint();
        if (port) ep.port(port);
        try {
          listen_on(ep, false);
          port = acceptors.back()->local_endpoint().port();  // --port 0: the same port everywhere
        } catch (const boost::system::system_error& e) {
          last_error = e.code().message();
        }
      }
      if (acceptors.empty())
        throw Error(fmt::format("cannot listen on {}: {}", where, last_error.empty() ? "no address found" : last_error));
    }
  } catch (const boost::system::system_error& e) {
    throw Error(fmt::format("cannot listen on {}: {}", where, e.code().message()));
  }
  for (auto& a : acceptors) accept_next(*a);
  last_tick = mono_us();
  on_tick();
}

void Server::Impl::accept_next(tcp::acceptor& a) {
  a.async_accept([this, self = shared_from_this(), &a](error_code ec, tcp::socket sock) {
    if (stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of file descriptors or similar: say so once in a while and try again shortly.
      if (accept_errors++ % 100 == 0) log_line("accepting a connection failed: " + ec.message());
      retry_timer.expires_after(std::chrono::milliseconds(100));
      retry_timer.async_wait([this, self, &a](error_code e) {
        if (!e && !stopped) accept_next(a);
      });
      return;
    }
    if (sessions.size() >= size_t(opts.max_connections)) {
      ++rejected;
      static const char busy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 22\r\nConnection: close\r\n"
          "Access-Control-Allow-Origin: *\r\n\r\ntoo many connections\r\n";
      error_code e;
      sock.non_blocking(true, e);
      sock.write_some(asio::buffer(busy, sizeof busy - 1), e);  // best effort
      sock.close(e);
    } else {
      uint64_t id = next_id++;
      auto s = std::make_shared<Session>(*this, std::move(sock), id);
      sessions[id] = s;
      s->start();
    }
    accept_next(a);
  });
}

void Server::Impl::on_tick() {
  if (stopped) return;
  int64_t now = mono_us();
  double dt = std::max(1e-3, double(now - last_tick) / 1e6);
  last_tick = now;
  for (auto& [id, w] : sessions)
    if (auto s = w.lock()) s->tick(dt);
  for (auto& [name, c] : cams) {
    uint64_t b = c.cam->stats().bytes;
    c.kbps_in = double(b - c.last_bytes) * 8 / 1000 / dt;
    c.last_bytes = b;
    // Forget the frame sizes of unused variants when there are many.
    if (c.variants.size() > kMaxVariantEntries) {
      for (auto it = c.variants.begin(); it != c.variants.end();) {
        if (it->second.clients.empty() && it->second.snapshots.empty())
          it = c.variants.erase(it);
        else
          ++it;
      }
    }
  }
  sent_stats.report(fmt::format("{} streaming, {} connections", streams, sessions.size()));
  tick_timer.expires_after(std::chrono::seconds(1));
  tick_timer.async_wait([this, self = shared_from_this()](error_code ec) {
    if (!ec) on_tick();
  });
}

void Server::Impl::stop() {
  if (stopped) return;
  stopped = true;
  error_code ec;
  for (auto& a : acceptors) a->close(ec);
  tick_timer.cancel();
  retry_timer.cancel();
  std::vector<std::shared_ptr<Session>> all;
  for (auto& [id, w] : sessions)
    if (auto s = w.lock()) all.push_back(s);
  for (auto& s : all) s->close();
  sessions.clear();
  waiting.clear();
  for (auto& [name, c] : cams) c.variants.clear();
}

Server::Impl::Cam* Server::Impl::find_cam(const std::string& name) {
  std::shared_ptr<Camera> cam = name.empty() ? hub.first() : hub.find(name);
  if (!cam) return nullptr;
  auto it = cams.find(cam->name());
  if (it == cams.end()) it = cams.emplace(cam->name(), Cam{cam, {}, 0, 0, -1, 0, 0}).first;
  return &it->second;
}

void Server::Impl::on_camera_added(const std::shared_ptr<Camera>& cam) {
  if (stopped) return;
  Cam* c = find_cam(cam->name());
  if (!c) return;
  std::vector<std::shared_ptr<Session>> still;
  for (auto& s : waiting) {
    if (s->state() != Session::Waiting) continue;
    std::string want = s->cam().empty() ? hub.first()->name() : s->cam();
    if (want != cam->name()) {
      still.push_back(s);
      continue;
    }
    s->set_cam(cam->name());
    s->camera_arrived();
    if (!subscribe(s, *c)) {
      s->close();
      continue;
    }
    c->cam->request(s->key());
  }
  waiting.swap(still);
}

bool Server::Impl::subscribe(const std::shared_ptr<Session>& s, Cam& c) {
  if (!c.cam->subscribe(s->key())) return false;
  c.variants[s->key()].clients.push_back(s);
  s->subscribed = true;
  return true;
}

bool Server::Impl::resubscribe(Session& s, const VariantKey& nk) {
  auto it = cams.find(s.cam());
  if (it == cams.end() || !s.subscribed) return false;
  Cam& c = it->second;
  if (!c.cam->subscribe(nk)) return false;
  auto& old = c.variants[s.key()];
  std::shared_ptr<Session> self;
  for (auto& x : old.clients)
    if (x.get() == &s) self = x;
  erase_ptr(old.clients, &s);
  c.cam->unsubscribe(s.key());
  if (self) c.variants[nk].clients.push_back(self);
  s.set_key(nk);
  return true;
}

double Server::Impl::variant_bytes(const std::string& cam, const VariantKey& k) {
  auto it = cams.find(cam);
  if (it == cams.end()) return 0;
  auto v = it->second.variants.find(k);
  return v == it->second.variants.end() ? 0 : v->second.avg_bytes;
}

double Server::Impl::cam_fps(const std::string& cam) {
  auto it = cams.find(cam);
  return it == cams.end() ? 0 : it->second.fps;
}

void Server::Impl::start_stream(const std::shared_ptr<Session>& s, const Route& r) {
  if (streams >= opts.max_clients) {
    ++rejected;
    return s->respond_error(http::status::service_unavailable,
                            fmt::format("too many simultaneous streams (at most {})", opts.max_clients), false);
  }
  Cam* c = find_cam(r.cam);
  s->setup_stream(r, c ? c->cam->name() : r.cam);
  if (c && !subscribe(s, *c)) {
    ++rejected;
    return s->respond_error(
        http::status::service_unavailable,
        fmt::format("too many different stream settings for camera '{}' at once", c->cam->name()), false);
  }
  ++streams;
  s->begin_stream(c == nullptr);
  if (c)
    c->cam->request(s->key());  // the newest frame at once, not only the next one
  else
    waiting.push_back(s);
}

void Server::Impl::start_snapshot(const std::shared_ptr<Session>& s, const Route& r) {
  Cam* c = find_cam(r.cam);
  if (!c) {
    auto all = hub.all();
    if (all.empty())
      return s->respond_error(http::status::service_unavailable, "no frames received yet", false);
    std::string names;
    for (auto& x : all) names += (names.empty() ? "" : ", ") + x->name();
    return s->respond_error(http::status::not_found, fmt::format("no camera '{}' (cameras: {})", r.cam, names),
                            false);
  }
  s->setup_stream(r, c->cam->name());
  VariantKey k = s->key();
  c->variants[k].snapshots.push_back(s);
  s->begin_snapshot();
  c->cam->request(k);
}

void Server::Impl::detach(Session& s, int prev) {
  auto it = cams.find(s.cam());
  if (prev == Session::Streaming || prev == Session::Waiting) {
    --streams;
    erase_ptr(waiting, &s);
    if (s.subscribed && it != cams.end()) {
      erase_ptr(it->second.variants[s.key()].clients, &s);
      it->second.cam->unsubscribe(s.key());
      s.subscribed = false;
    }
  } else if (prev == Session::Snapshot && it != cams.end()) {
    erase_ptr(it->second.variants[s.key()].snapshots, &s);
  }
}

void Server::Impl::on_deliver(const std::string& name, std::vector<std::pair<VariantKey, EncodedPtr>>& results) {
  if (stopped || results.empty()) return;
  Cam* c = find_cam(name);
  if (!c) return;
  const EncodedPtr& first = results.front().second;
  if (first->seq != c->last_seq) {
    int64_t dt = first->t_capture - c->last_t;
    if (c->last_seq >= 0 && dt > 0 && dt < 5000000) {
      double inst = 1e6 / double(dt);
      c->fps = c->fps == 0 ? inst : 0.9 * c->fps + 0.1 * inst;
    }
    c->last_seq = first->seq;
    c->last_t = first->t_capture;
  }
  for (auto& [key, e] : results) {
    auto vit = c->variants.find(key);
    if (vit == c->variants.end()) continue;
    Variant& v = vit->second;
    if (e->seq != v.last_seq) {
      double n = double(e->part_header.size() + e->jpeg.size());
      v.avg_bytes = v.avg_bytes == 0 ? n : 0.8 * v.avg_bytes + 0.2 * n;
      v.last_seq = e->seq;
    }
    if (!v.snapshots.empty()) {
      auto snaps = std::move(v.snapshots);
      v.snapshots.clear();
      for (auto& s : snaps) s->snapshot_ready(e);
    }
    auto clients = v.clients;  // offer() may move a client to another variant
    for (auto& s : clients) s->offer(e);
  }
}

std::string Server::Impl::state_json() {
  int64_t now = mono_us();
  Json j;
  Json srv;
  srv["version"] = RVKIT_VERSION;
  srv["uptime_s"] = std::round(double(now - start_mono) / 1e5) / 10;
  srv["streams"] = streams;
  srv["max_clients"] = opts.max_clients;
  srv["connections"] = sessions.size();
  srv["max_kbps"] = opts.max_kbps;
  srv["rejected"] = rejected;
  srv["bad_requests"] = bad_requests;
  srv["timed_out"] = timed_out;
  j["server"] = srv;
  Json cams_j = Json::array();
  for (auto& cam : hub.all()) {
    CameraStats st = cam->stats();
    Json c;
    c["cam"] = st.name;
    c["w"] = st.w;
    c["h"] = st.h;
    c["fmt"] = st.fmt;
    c["fps"] = std::round(st.fps * 10) / 10;
    c["frames"] = st.frames;
    c["bytes"] = st.bytes;
    c["seq"] = st.seq;
    c["t_capture"] = st.t_capture;
    c["age_ms"] = st.last_frame_mono_us ? (now - st.last_frame_mono_us) / 1000 : -1;
    c["encoded"] = st.encoded;
    c["encode_ms"] = std::round(st.encode_ms * 100) / 100;
    c["skipped"] = st.skipped;
    int clients = 0;
    Json vars = Json::array();
    auto it = cams.find(st.name);
    if (it != cams.end()) {
      c["kbps_in"] = std::round(it->second.kbps_in);
      for (auto& [k, v] : it->second.variants) {
        if (v.clients.empty()) continue;
        clients += int(v.clients.size());
        Json vj;
        vj["resolution"] = key_resolution(k);
        vj["quality"] = k.quality;
        vj["clients"] = v.clients.size();
        vj["bytes_per_frame"] = std::llround(v.avg_bytes);
        vars.push_back(vj);
      }
    }
    c["clients"] = clients;
    c["variants"] = vars;
    c["url"] = "/" + st.name + "/stream.mjpg";
    cams_j.push_back(c);
  }
  j["cameras"] = cams_j;
  Json clients = Json::array();
  for (auto& [id, w] : sessions) {
    auto s = w.lock();
    if (s && (s->state() == Session::Streaming || s->state() == Session::Waiting)) clients.push_back(s->describe(now));
  }
  j["clients"] = clients;
  return j.dump();
}

// ============================================================================ Server

Server::Server(asio::io_context& io, CameraHub& hub, ServerOptions opts)
    : impl_(std::make_shared<Impl>(io, hub, std::move(opts))) {}

Server::~Server() = default;

void Server::start() { impl_->start(); }

uint16_t Server::port() const {
  return impl_->acceptors.empty() ? 0 : impl_->acceptors.front()->local_endpoint().port();
}

std::vector<tcp::endpoint> Server::endpoints() const {
  std::vector<tcp::endpoint> eps;
  for (auto& a : impl_->acceptors) {
    error_code ec;
    auto ep = a->local_endpoint(ec);
    if (!ec) eps.push_back(ep);
  }
  return eps;
}

void Server::camera_added(const std::shared_ptr<Camera>& cam) {
  asio::post(impl_->io, [impl = impl_, cam] { impl->on_camera_added(cam); });
}

void Server::deliver(const std::string& cam, std::vector<std::pair<VariantKey, EncodedPtr>> results) {
  asio::post(impl_->io, [impl = impl_, cam, results = std::move(results)]() mutable {
    impl->on_deliver(cam, results);
  });
}

void Server::stop() {
  asio::post(impl_->io, [impl = impl_] { impl->stop(); });
}

}  // namespace rvkit::mjpeg
