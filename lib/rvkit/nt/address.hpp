// rvkit: where an NT4 client looks for its server.
#pragma once
#include <string>
#include <vector>

namespace rvkit::nt {

struct ServerAddress {
  std::string host;  // name or address literal (IPv6 without brackets)
  int port = 5810;
  std::string to_string() const;  // "host:port", "[::1]:port"
};

// What WPILib tries for a team number, in its order: 10.TE.AM.2, 172.22.11.2 (USB),
// roboRIO-N-FRC.local, roboRIO-N-FRC.lan, roboRIO-N-FRC.frc-field.local.
std::vector<ServerAddress> team_addresses(int team, int port);

// "HOST", "HOST:PORT", "[V6]:PORT" or "V6". Throws rvkit::Error on a bad port or empty host.
ServerAddress parse_server_address(const std::string& spec, int default_port);

// Percent-encodes a client name for the /nt/<name> resource.
std::string url_encode(const std::string& s);
std::string url_decode(const std::string& s);

}  // namespace rvkit::nt
