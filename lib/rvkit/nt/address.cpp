#include "rvkit/nt/address.hpp"

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::nt {

std::string ServerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::vector<ServerAddress> team_addresses(int team, int port) {
  std::vector<ServerAddress> out;
  out.push_back({fmt::format("10.{}.{}.2", team / 100, team % 100), port});
  out.push_back({"172.22.11.2", port});
  for (const char* suffix : {".local", ".lan", ".frc-field.local"})
    out.push_back({fmt::format("roboRIO-{}-FRC{}", team, suffix), port});
  return out;
}

namespace {
int parse_port(const std::string& s, const std::string& spec) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error(fmt::format("bad server '{}': the port must be a number from 1 to 65535", spec));
  int p = std::stoi(s);
  if (p < 1 || p > 65535) throw Error(fmt::format("bad server '{}': the port must be a number from 1 to 65535", spec));
  return p;
}
}  // namespace

ServerAddress parse_server_address(const std::string& spec, int default_port) {
  ServerAddress a;
  a.port = default_port;
  if (spec.empty()) throw Error("bad server '': give a host name or address");
  if (spec[0] == '[') {
    auto close = spec.find(']');
    if (close == std::string::npos) throw Error(fmt::format("bad server '{}': missing ']'", spec));
    a.host = spec.substr(1, close - 1);
    if (close + 1 < spec.size()) {
      if (spec[close + 1] != ':') throw Error(fmt::format("bad server '{}': expected ':' after ']'", spec));
      a.port = parse_port(spec.substr(close + 2), spec);
    }
  } else {
    auto colon = spec.find(':');
    if (colon != std::string::npos && spec.find(':', colon + 1) == std::string::npos) {
      a.host = spec.substr(0, colon);
      a.port = parse_port(spec.substr(colon + 1), spec);
    } else {
      a.host = spec;  // a name, an IPv4 address, or a bare IPv6 address
    }
  }
  if (a.host.empty()) throw Error(fmt::format("bad server '{}': empty host", spec));
  return a;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += char(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace rvkit::nt
