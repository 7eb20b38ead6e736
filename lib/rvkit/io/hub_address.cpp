// rvkit: where the hub is (see hub_address.hpp).
#include "rvkit/io/hub_address.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"

namespace rvkit {
namespace {

std::string g_address;  // from --hub

}  // namespace

HubEndpoints hub_endpoints_for(const std::string& base) {
  auto bad = [&](const std::string& why) {
    return OptionError(fmt::format("hub address '{}': {} (expected tcp://HOST[:PORT] or ipc://DIR)", base, why));
  };
  if (base.rfind("ipc://", 0) == 0) {
    std::string dir = base.substr(6);
    if (dir.empty()) throw bad("no directory");
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return {"ipc://" + dir + "/publish", "ipc://" + dir + "/subscribe", "ipc://" + dir + "/lossless",
            "ipc://" + dir + "/subscribe-lossless"};
  }
  if (base.rfind("tcp://", 0) != 0) throw bad("unknown scheme");
  std::string rest = base.substr(6);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string host = rest;
  int port = kDefaultHubPort;
  auto colon = rest.rfind(':');
  auto bracket = rest.rfind(']');  // [v6::addr]:port
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    host = rest.substr(0, colon);
    std::string p = rest.substr(colon + 1);
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end || v < 1 || v > 65532) throw bad("the port must be 1..65532");
    port = int(v);
  }
  if (host.empty()) throw bad("no host");
  auto at = [&](int p) { return fmt::format("tcp://{}:{}", host, p); };
  return {at(port), at(port + 1), at(port + 2), at(port + 3)};
}

HubEndpoints hub_endpoints() {
  try {
    return hub_endpoints_for(hub_address());
  } catch (const OptionError& e) {
    throw OptionError(hub_address_origin() + ": " + e.what());
  }
}

void set_hub_address(const std::string& base) {
  if (!base.empty()) hub_endpoints_for(base);  // refuse a bad one now, naming the option's value
  g_address = base;
}

std::string hub_address() {
  if (!g_address.empty()) return g_address;
  const char* env = std::getenv(kHubEnvVar);
  if (env && *env) return env;
  return fmt::format("tcp://127.0.0.1:{}", kDefaultHubPort);
}

std::string hub_address_origin() {
  if (!g_address.empty()) return "--hub";
  const char* env = std::getenv(kHubEnvVar);
  return env && *env ? kHubEnvVar : "default";
}

bool is_hub_spec(const std::string& spec) { return spec == "hub" || spec.rfind("hub?", 0) == 0; }

namespace {
std::string rewrite(const std::string& spec, const std::string& endpoint) {
  return ">" + endpoint + spec.substr(3);  // "hub" is 3 characters; the '?...' stays
}
}  // namespace

std::string hub_input_spec(const std::string& spec) {
  HubEndpoints e = hub_endpoints();
  return rewrite(spec, e.subscribe + "," + e.subscribe_lossless);
}
std::string hub_output_spec(const std::string& spec) { return rewrite(spec, hub_endpoints().publish); }
std::string hub_lossless_spec(const std::string& spec) { return rewrite(spec, hub_endpoints().lossless); }

}  // namespace rvkit
