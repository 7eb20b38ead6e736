// rvkit hub: the addresses `hub serve` binds (see serve_endpoints.hpp).
#include "rvkit/hub/serve_endpoints.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"
#include "rvkit/io/hub_address.hpp"

namespace rvkit::hub {

std::string ipc_dir_for(int port) {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string dir = runtime && *runtime ? fmt::format("{}/rvkit-hub", runtime)
                                        : fmt::format("/tmp/rvkit-hub-{}", getuid());
  if (port != kDefaultHubPort) dir += fmt::format("-{}", port);
  return dir;
}

void check_bind_host(const std::string& host) {
  auto bad = [&](const char* why) {
    return OptionError(fmt::format("--bind: '{}': {} (expected *, an address such as 0.0.0.0, or an interface)", host, why));
  };
  if (host.empty()) throw bad("empty");
  if (host == "*") return;
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) throw bad("an IPv6 address needs its closing ']'");
    for (char c : host.substr(1, host.size() - 2))
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) throw bad("not an IPv6 address");
    return;
  }
  if (host.find("://") != std::string::npos) throw bad("a host, not an endpoint (use --hub for the address and port)");
  if (host.find(':') != std::string::npos) throw bad("a host without a port (use --hub tcp://HOST:PORT for the port)");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) throw bad("not a host");
}

ServeEndpoints serve_endpoints(const std::string& base, const std::string& bind_host, bool with_ipc) {
  HubEndpoints e = hub_endpoints_for(base);
  ServeEndpoints out;
  if (base.rfind("ipc://", 0) == 0) {
    if (!bind_host.empty()) throw OptionError(fmt::format("--bind: applies to a tcp hub, not to {}", base));
    out.publish = {e.publish};
    out.subscribe = {e.subscribe};
    out.lossless = {e.lossless};
    out.subscribe_lossless = {e.subscribe_lossless};
    out.ipc_dir = e.publish.substr(6, e.publish.size() - 6 - std::string("/publish").size());
    return out;
  }
  if (!bind_host.empty()) check_bind_host(bind_host);
  // hub_endpoints_for wrote each as tcp://HOST:PORT.
  auto rebind = [&](const std::string& ep) {
    if (bind_host.empty()) return ep;
    return fmt::format("tcp://{}{}", bind_host, ep.substr(ep.rfind(':')));
  };
  out.publish = {rebind(e.publish)};
  out.subscribe = {rebind(e.subscribe)};
  out.lossless = {rebind(e.lossless)};
  out.subscribe_lossless = {rebind(e.subscribe_lossless)};
  if (with_ipc) {
    int port = std::atoi(e.publish.substr(e.publish.rfind(':') + 1).c_str());
    out.ipc_dir = ipc_dir_for(port);
    HubEndpoints ipc = hub_endpoints_for("ipc://" + out.ipc_dir);
    out.publish.push_back(ipc.publish);
    out.subscribe.push_back(ipc.subscribe);
    out.lossless.push_back(ipc.lossless);
    out.subscribe_lossless.push_back(ipc.subscribe_lossless);
  }
  return out;
}

}  // namespace rvkit::hub
