#include "rvkit/mjpeg/announce.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

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

Json camera_record(const std::string& cam, const std::vector<std::string>& urls, int w, int h, double fps) {
  Json j;
  j["type"] = "camera";
  j["cam"] = cam;
  j["urls"] = urls;
  j["description"] = "rvkit stream";
  j["w"] = w;
  j["h"] = h;
  j["fps"] = std::round(fps * 10) / 10;
  return j;
}

}  // namespace rvkit::mjpeg
