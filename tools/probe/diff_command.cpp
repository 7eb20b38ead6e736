// probe --diff A B: reads the detections records of two streams (files, FIFOs, any --in SPEC) and
// prints rvkit/records/detections_diff.hpp's comparison. Only the reading is here.
#include "diff_command.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/detections_diff.hpp"
#include "rvkit/records/error.hpp"

namespace probe_tool {

int run_diff(const DiffCommand& c, const rvkit::InputOptions& input) {
  rvkit::records::DiffOptions o;
  o.tolerance_m = c.tolerance_m;
  o.tolerance_deg = c.tolerance_deg;
  o.keep_frames = c.per_frame;
  rvkit::records::DetectionsDiff diff(o);
  for (int side = 0; side < 2; ++side) {
    const std::string& spec = c.inputs[size_t(side)];
    auto in = rvkit::open_input(spec, input);
    rvkit::Message m;
    uint64_t found = 0;
    while (in->read(m)) {
      if (m.is_frame() || m.type() != rvkit::records::Detections::kType) continue;
      try {
        diff.add(side, rvkit::records::read_detections(m.header), m.header.contains("t_rec"));
      } catch (const rvkit::records::RecordError& e) {
        throw rvkit::Error(fmt::format("{}: message {}: {}", spec, in->count(), e.what()));
      }
      ++found;
    }
    if (!found) throw rvkit::Error(fmt::format("{}: no detections records ({} messages)", spec, in->count()));
  }
  rvkit::records::DiffReport r = diff.report();
  std::string out = c.json ? rvkit::records::diff_to_json(r, c.inputs[0], c.inputs[1], c.per_frame).dump() + "\n"
                           : rvkit::records::format_diff(r, c.inputs[0], c.inputs[1], c.per_frame);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace probe_tool
