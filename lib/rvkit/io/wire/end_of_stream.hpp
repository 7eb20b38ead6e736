// rvkit io, private: the end of a stream as every message output sends it (ZeroMQ, the hub's
// lossless output, shm): one eos per cam it published, in the order first seen, then the plain eos
// (docs/records.md `eos`). Not for tools.
#pragma once
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"

namespace rvkit::wire {

// The end of a stream: one eos per cam, in the order given, then the plain eos.
std::vector<Json> eos_records(const std::vector<std::string>& cams);

// The cams an output has published, in the order first seen (for its per-cam eos). Headers without a
// cam, with an empty one, and eos records themselves are not counted.
class CamList {
 public:
  void note(const Json& header);
  const std::vector<std::string>& cams() const { return cams_; }

 private:
  std::vector<std::string> cams_;
};

}  // namespace rvkit::wire
