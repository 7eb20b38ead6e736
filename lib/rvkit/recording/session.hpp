// rvkit recording: what `rec` does between its command line and its files (tools/rec/main.cpp is
// the options only).
//
// Reads any number of inputs at once (rvkit/io/input_set.hpp), stamps every message with its arrival
// time (`t_rec`, µs since the Unix epoch: docs/protocol.md "Recordings") and hands it to the recorder
// (recorder.hpp), or, with a ring, keeps it in the ring (ring.hpp) and saves the window on SIGUSR1 or
// when the `nt` record of the trigger topic changes value. Follows the FMS info of `nt` records for
// the file names. Ends when every input has ended, or on SIGINT/SIGTERM; what is queued is written
// first. The -v line: messages/s, MB/s, dropped frames, the queue and the current file.
// Threading: run_rec() on the main thread; it starts the readers' and the writer's.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rvkit/io/transport.hpp"
#include "rvkit/recording/recorder.hpp"

namespace rvkit::recording {

struct RecOptions {
  std::vector<std::string> inputs;
  InputOptions input;
  RecorderOptions recorder;
  int64_t ring_us = 0;        // > 0 or ring_bytes > 0: ring mode
  uint64_t ring_bytes = 0;
  std::string trigger_topic;  // an NT topic whose value changing saves the ring
  int verbose = 0;
};

// Returns the exit status; throws rvkit::Error (a bad input, the recorder's failure).
int run_rec(const RecOptions& o);

// `rec --repair FILE...`: one line per file saying what was cut; returns the exit status.
int repair_files(const std::vector<std::string>& files, uint64_t max_payload);

}  // namespace rvkit::recording
