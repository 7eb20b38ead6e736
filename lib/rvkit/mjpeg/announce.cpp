#include "rvkit/mjpeg/announce.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit::mjpeg {

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(char(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::vector<std::string> reachable_hosts(const std::string& bind) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(bind, ec);
  if (!bind.empty() && (ec || !addr.is_unspecified())) {
    if (!ec && addr.is_v6()) return {"[" + addr.to_string() + "]"};
    return {bind};  // an address or a host name, as given
  }
  std::vector<std::string> outside, loopback;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
      char buf[INET_ADDRSTRLEN];
      auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
      if (!inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) continue;
      auto& dst = (i->ifa_flags & IFF_LOOPBACK) ? loopback : outside;
      if (std::find(dst.begin(), dst.end(), buf) == dst.end()) dst.push_back(buf);
    }
    freeifaddrs(list);
  }
  if (loopback.empty()) loopback.push_back("127.0.0.1");
  outside.insert(outside.end(), loopback.begin(), loopback.end());
  return outside;
}

std::vector<std::string> stream_urls(const std::vector<std::string>& hosts, uint16_t port, const std::string& cam) {
  std::vector<std::string> urls;
  for (const auto& h : hosts) urls.push_back(fmt::format("http://{}:{}/?action=stream&cam={}", h, port, url_escape(cam)));
  return urls;
}

records::Camera camera_record(const std::string& cam, const std::vector<std::string>& urls, int w, int h, double fps,
                              bool connected) {
  records::Camera c;
  c.cam = cam;
  c.urls = urls;
  c.description = "rvkit stream";
  c.w = w;
  c.h = h;
  c.fps = fps;  // written with one decimal
  c.connected = connected;
  return c;
}

CameraAnnouncer::CameraAnnouncer(const CameraHub& hub, std::vector<std::string> hosts, uint16_t port, Write write)
    : hub_(hub), hosts_(std::move(hosts)), port_(port), write_(std::move(write)) {}

CameraAnnouncer::~CameraAnnouncer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [name, a] : cams_) {
    if (!a.connected) continue;
    a.connected = false;
    emit(name, a);
  }
}

void CameraAnnouncer::start(int period_ms) {
  thread_ = start_worker([this, period_ms] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(period_ms), [&] { return stop_; });
      if (stop_) break;
      lock.unlock();
      check(mono_us());
      lock.lock();
    }
  });
}

void CameraAnnouncer::check(int64_t now) {
  for (const auto& cam : hub_.all()) {
    CameraStats st = cam->stats();
    if (st.frames == 0) continue;
    int64_t quiet_for = std::max<int64_t>(2000000, st.fps > 0 ? int64_t(3e6 / st.fps) : 0);
    bool connected = now - st.last_frame_mono_us < quiet_for;
    auto [it, first] = cams_.try_emplace(cam->name());
    Announced& a = it->second;
    bool changed = first || a.w != st.w || a.h != st.h || a.connected != connected ||
                   (connected && st.fps > 0 && std::abs(st.fps - a.fps) > std::max(1.0, 0.1 * a.fps));
    if (!changed) continue;
    a.w = st.w;
    a.h = st.h;
    a.connected = connected;
    if (connected && st.fps > 0) a.fps = st.fps;
    emit(cam->name(), a);
  }
}

void CameraAnnouncer::emit(const std::string& cam, Announced& a) {
  if (!writing_) return;
  writing_ = write_(Json(camera_record(cam, stream_urls(hosts_, port_, cam), a.w, a.h, a.fps, a.connected)));
}

}  // namespace rvkit::mjpeg
