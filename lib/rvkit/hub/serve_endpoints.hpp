// rvkit hub: the addresses `hub serve` binds (docs/protocol.md, "The hub").
//
// From the hub's base address (io/hub_address.hpp: --hub, $RVKIT_HUB, or tcp://127.0.0.1:5550):
//   tcp://HOST:PORT  binds PORT..PORT+3 (publish, subscribe, lossless, subscribe_lossless) on HOST, or on the
//                    --bind host (0.0.0.0 or * for every interface: other coprocessors join), and,
//                    unless --no-ipc, the same three as unix sockets in ipc_dir_for(PORT):
//                    DIR/publish, DIR/subscribe, DIR/lossless, DIR/subscribe-lossless, so tools on the robot's own
//                    coprocessor can use RVKIT_HUB=ipc://DIR (no TCP stack in the way).
//   ipc://DIR        binds only those four in DIR (--bind does not apply).
// Pure: no sockets (serve creates the directory when it binds).
#pragma once
#include <string>
#include <vector>

namespace rvkit::hub {

struct ServeEndpoints {
  std::vector<std::string> publish, subscribe, lossless, subscribe_lossless;  // tcp first
  std::string ipc_dir;                                    // "" when no ipc endpoints
};

// The ipc directory of a tcp hub on `port`: $XDG_RUNTIME_DIR/rvkit-hub (else /tmp/rvkit-hub-UID)
// for the default port, with "-PORT" appended for any other, so two hubs on one machine never
// share (and steal: ZeroMQ replaces an existing ipc socket file) each other's sockets.
std::string ipc_dir_for(int port);

// Throws OptionError naming the option and the value for a --bind that is not a host: "*", an
// IPv4 or [IPv6] address, or an interface name.
void check_bind_host(const std::string& host);

// Throws OptionError for a bad base or --bind (with an ipc base, or not a host).
ServeEndpoints serve_endpoints(const std::string& base, const std::string& bind_host, bool with_ipc);

}  // namespace rvkit::hub
