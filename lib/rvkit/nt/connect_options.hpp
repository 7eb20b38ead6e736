// rvkit: the command-line options every NT client tool shares: --team, --server, --client-name.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

#include "rvkit/nt/client.hpp"

namespace rvkit::nt {

struct ConnectOptions {
  int team = 0;
  std::string server;
  std::string name;
  int port = kDefaultPortForOptions;

  static constexpr int kDefaultPortForOptions = 5810;
  void add_to(CLI::App& app, const std::string& default_name);
  // The servers to try. With neither --team nor --server: localhost, said on stderr.
  ClientOptions client_options(bool verbose) const;
};

}  // namespace rvkit::nt
