// rvkit: where the hub is (docs/protocol.md, "The hub").
//
// `hub serve` binds four ZeroMQ endpoints; every tool reaches them through the spec "hub":
//   publish    tcp://127.0.0.1:5550  live publishers connect here (the hub's XSUB)
//   subscribe  tcp://127.0.0.1:5551  subscribers connect here (the hub's live XPUB): --in 'hub?topic=...'
//   lossless   tcp://127.0.0.1:5552  recorded (lossless) publishers connect here (the hub's ROUTER,
//                                    credit-based flow control, docs/protocol.md "Lossless streams")
//   subscribe_lossless  tcp://127.0.0.1:5553  subscribers connect here too (the hub's lossless XPUB,
//                                    where the lossless publishers' messages go out, never dropped;
//                                    a hub input connects to both subscribe endpoints)
// The base address comes from, first to last: set_hub_address() (a tool's --hub), the environment
// variable RVKIT_HUB, the default tcp://127.0.0.1:5550. A base is
//   tcp://HOST[:PORT]   the endpoints are PORT, PORT+1, PORT+2, PORT+3 on HOST (PORT default 5550)
//   ipc://DIR           DIR/publish, DIR/subscribe, DIR/lossless, DIR/subscribe-lossless (unix
//                       sockets, one machine)
// so RVKIT_HUB=tcp://10.12.34.12 points every tool at a hub on another coprocessor, and a test
// isolates its hub with RVKIT_HUB=ipc://$tmp/hub. Not thread-safe against set_hub_address(): call it
// while options are parsed, before any endpoint is opened.
#pragma once
#include <string>
#include <vector>

namespace rvkit {

struct HubEndpoints {
  std::string publish, subscribe, lossless, subscribe_lossless;
};

constexpr int kDefaultHubPort = 5550;
constexpr const char* kHubEnvVar = "RVKIT_HUB";

// Parses a base address as above; throws OptionError naming the address on a bad one.
HubEndpoints hub_endpoints_for(const std::string& base);
// The hub the process uses: --hub, else $RVKIT_HUB, else the default.
HubEndpoints hub_endpoints();
// Sets the base address for this process (a tool's --hub option); "" restores $RVKIT_HUB/default.
void set_hub_address(const std::string& base);
// The base address in use and where it came from ("--hub", "RVKIT_HUB" or "default"), for -v.
std::string hub_address();
std::string hub_address_origin();

// True for "hub" and "hub?..." (an input's topic filters follow the '?', as for ZeroMQ endpoints).
bool is_hub_spec(const std::string& spec);

// The ZeroMQ spec a hub spec stands for; open_input/open_output (io/transport.cpp) rewrite a hub
// spec with these before they dispatch, keeping what follows the '?':
//   hub_input_spec("hub?topic=frame/")  ">tcp://127.0.0.1:5551,tcp://127.0.0.1:5553?topic=frame/"
//                                       (both subscribe endpoints: the SUB connects to each)
//   hub_output_spec("hub")              ">tcp://127.0.0.1:5550"               (publish: live outputs)
//   hub_lossless_spec("hub")            ">tcp://127.0.0.1:5552"               (lossless outputs)
// A hub input is opened with InputOptions::hub set (the eos rules of a shared hub apply to it).
std::string hub_input_spec(const std::string& spec);
std::string hub_output_spec(const std::string& spec);
std::string hub_lossless_spec(const std::string& spec);

}  // namespace rvkit
