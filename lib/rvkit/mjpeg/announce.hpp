// rvkit stream: the camera-announcement record for ntpub (/CameraPublisher).
//
//   {"type":"camera","cam":"front","urls":["http://10.12.34.11:1181/?action=stream&cam=front", ...],
//    "description":"rvkit stream","w":1280,"h":720,"fps":30}
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rvkit/json.hpp"

namespace rvkit::mjpeg {

// The hosts a client can reach the server at: when bound to every interface, the IPv4
// address of each interface that is up, non-loopback ones first and loopback last; when
// bound to one address, that address.
std::vector<std::string> reachable_hosts(const std::string& bind);

// The stream URL of `cam` on each host ("http://HOST:PORT/?action=stream&cam=NAME").
std::vector<std::string> stream_urls(const std::vector<std::string>& hosts, uint16_t port, const std::string& cam);

Json camera_record(const std::string& cam, const std::vector<std::string>& urls, int w, int h, double fps);

// %-escapes everything but unreserved characters (RFC 3986).
std::string url_escape(const std::string& s);

}  // namespace rvkit::mjpeg
