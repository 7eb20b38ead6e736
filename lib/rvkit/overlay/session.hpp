// rvkit overlay: one overlay run, frames and records in, annotated frames out (the overlay tool).
//
// Frames and records come from an InputSet (rvkit/io/input_set.hpp); an input named "-" is stdin.
// Every record goes to the Annotator; a frame waits in the FrameMatcher (overlay/matcher.hpp) at most
// max_wait for the record with its cam and seq, then is drawn and written. The loop wakes for the
// matcher's next deadline, and at least every 200 ms (a stop request, the -v line).
//
// The end (EndOfInputs): when stdin ends, having carried something; without stdin (or with an empty
// one), when every input that carried frames has ended, or every input has. Frames still waiting
// then get their records only from inputs still open, and for a second at most (whatever max_wait
// says), so nothing lingers; frames that arrive after the end are not drawn. The run also ends on a
// stop request (SIGINT/SIGTERM) or when the reader goes away.
//
// Tiles (a Tiler): a tiled camera's frame is drawn into its cell; a tile goes out when the Tiler says
// it is complete, or before a camera's second new frame, and a last partial tile at a normal end. The
// texts and the field map of a tile speak for the first camera of the list that has been seen. The
// CPU time of drawing a tile's cells is counted with that tile (DrawTimes: per frame out).
//
// Reporting: with -v, each input's end ("NAME: ended after N messages"), a progress line a second
// and a "done:" line with the counts; malformed records and frames that do not decode print at most
// one line a second (ThrottledLog), with their number at the end.
//
// Threading: one thread; the InputSet's readers are its own threads.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rvkit/core/log.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/overlay/annotator.hpp"
#include "rvkit/overlay/matcher.hpp"
#include "rvkit/overlay/tiler.hpp"

namespace rvkit::overlay {

// Longest frames wait for their records once the inputs are done.
constexpr int64_t kFinishWaitUs = 1000000;

// When a run ends, from what the inputs carried (see above). `stdin_index`: the input that is stdin,
// or -1.
class EndOfInputs {
 public:
  EndOfInputs(size_t inputs, int stdin_index) : inputs_(inputs), stdin_(stdin_index) {}
  void message(int input, bool frame);
  // The input ended; true when that ends the run.
  bool ended(int input);
  bool finishing() const { return finishing_; }
  // True while an input other than stdin is still open (frames may still get their records).
  bool others_open() const;
  uint64_t messages(int input) const { return inputs_[size_t(input)].messages; }

 private:
  struct Input {
    bool ended = false, frames = false;
    uint64_t messages = 0;
  };
  std::vector<Input> inputs_;
  int stdin_;
  bool finishing_ = false;
};

// CPU time spent turning frames into annotated images (decoding, drawing, composing a tile; not
// reading or writing), per frame out: "drawing 1.20 ms mean, 3.40 ms p99 CPU per frame out".
class DrawTimes {
 public:
  void add(int64_t us);
  std::string summary() const;

 private:
  int64_t sum_ = 0;
  uint64_t n_ = 0;
  std::vector<int64_t> samples_;  // the first 100,000, for the p99
};

struct SessionOptions {
  PixelFormat out_fmt = PixelFormat::Bgr8;  // bgr8 or jpeg
  int quality = 85;                         // JPEG quality
  int verbose = 0;
};

class Session {
 public:
  Session(Annotator annotator, std::optional<Tiler> tiler, MatcherOptions matcher, SessionOptions o);
  // Reads `inputs` (already started) and writes to `out` until the end (see above). Throws Error
  // when an input fails. Leaves the readers still waiting on their inputs to the caller (request_stop).
  void run(InputSet& inputs, Output& out);

  // The counts of the "done:" and -v lines.
  std::string progress() const;
  uint64_t frames_in() const { return frames_in_; }
  uint64_t frames_out() const { return frames_out_; }
  uint64_t problems() const { return warnings_.total(); }

 private:
  void handle(InputEvent& ev);
  bool emit(ReadyFrame& rf);
  bool write_tile();
  bool write_frame(const Json& header, const cv::Mat& img);

  SessionOptions o_;
  Stats stats_;
  Annotator annotator_;
  std::optional<Tiler> tiler_;
  FrameMatcher matcher_;
  InputSet* inputs_ = nullptr;
  Output* out_ = nullptr;
  std::optional<EndOfInputs> end_;
  int stdin_index_ = -1;
  std::map<std::string, std::pair<FrameInfo, RecordPtr>> tile_last_;
  ThrottledLog warnings_;
  DrawTimes draw_times_;
  int64_t tile_draw_us_ = 0;  // time spent on the cameras of the next tile
  uint64_t frames_in_ = 0, frames_out_ = 0, records_ = 0, malformed_ = 0;
};

}  // namespace rvkit::overlay
