#include "rvkit/io/transport.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/io/hub_address.hpp"

namespace rvkit {

std::unique_ptr<Input> open_zmq_input(const std::string& spec, const InputOptions& opts);
std::unique_ptr<Output> open_zmq_output(const std::string& spec, const OutputOptions& opts,
                                        int wait_for_subscription_ms = 0);
std::unique_ptr<Output> open_zmq_hub_lossless_output(const std::string& spec, const std::string& endpoint);

std::unique_ptr<Input> open_shm_input(const std::string& spec, const InputOptions& opts);
std::unique_ptr<Output> open_shm_output(const std::string& spec, const OutputOptions& opts);

// How long a live hub output waits for the hub's subscription to reach it (docs/protocol.md, "The hub").
constexpr int kHubConnectWaitMs = 1000;

std::unique_ptr<Input> open_input(const std::string& spec, const InputOptions& opts) {
  if (spec.empty() || spec == "-") return input_from_fd(STDIN_FILENO, "stdin", opts);
  if (is_hub_spec(spec)) {
    InputOptions hub_opts = opts;
    hub_opts.from_hub = true;
    if (hub_opts.display_name.empty()) hub_opts.display_name = fmt::format("{} (hub at {})", spec, hub_address());
    return open_zmq_input(hub_input_spec(spec), hub_opts);
  }
  if (is_zmq_endpoint(spec)) return open_zmq_input(spec, opts);
  if (is_shm_spec(spec)) return open_shm_input(spec, opts);
  int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("{}: cannot open: {}", spec, std::strerror(errno)));
  return input_from_fd(fd, spec, opts, true);
}

std::unique_ptr<Output> open_output(const std::string& spec, const OutputOptions& opts) {
  if (spec.empty() || spec == "-") return output_to_fd(STDOUT_FILENO, "stdout");
  // A lossless output to the hub: a DEALER to its lossless endpoint, speaking the credit protocol
  // (docs/protocol.md "Lossless streams"); a live one publishes at its publish endpoint.
  if (opts.lossless && is_hub_spec(spec)) return open_zmq_hub_lossless_output(spec, hub_endpoints().lossless);
  if (is_hub_spec(spec)) return open_zmq_output(hub_output_spec(spec), opts, kHubConnectWaitMs);
  if (is_zmq_endpoint(spec)) return open_zmq_output(spec, opts);
  if (is_shm_spec(spec)) return open_shm_output(spec, opts);
  int fd = ::open(spec.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for writing: {}", spec, std::strerror(errno)));
  return output_to_fd(fd, spec, true);
}

}  // namespace rvkit
