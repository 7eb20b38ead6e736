#include "rvkit/overlay/session.hpp"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/image/frame.hpp"

namespace rvkit::overlay {

// ---------------------------------------------------------------------------- EndOfInputs

void EndOfInputs::message(int input, bool frame) {
  Input& in = inputs_[size_t(input)];
  ++in.messages;
  if (frame) in.frames = true;
}

bool EndOfInputs::ended(int input) {
  inputs_[size_t(input)].ended = true;
  if (stdin_ >= 0 && !inputs_[size_t(stdin_)].ended) {
    finishing_ = false;  // stdin decides, once it has ended
  } else if (stdin_ >= 0 && inputs_[size_t(stdin_)].messages > 0) {
    finishing_ = true;
  } else {
    bool all_ended = true, any_frames = false, frame_inputs_ended = true;
    for (const Input& in : inputs_) {
      all_ended = all_ended && in.ended;
      if (in.frames) any_frames = true, frame_inputs_ended = frame_inputs_ended && in.ended;
    }
    finishing_ = all_ended || (any_frames && frame_inputs_ended);
  }
  return finishing_;
}

bool EndOfInputs::others_open() const {
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (int(i) != stdin_ && !inputs_[i].ended) return true;
  return false;
}

// ---------------------------------------------------------------------------- DrawTimes

void DrawTimes::add(int64_t us) {
  sum_ += us;
  ++n_;
  if (samples_.size() < 100000) samples_.push_back(us);
}

std::string DrawTimes::summary() const {
  if (!n_) return "drawing: no frames";
  return fmt::format("drawing {:.2f} ms mean, {:.2f} ms p99 CPU per frame out", double(sum_) / double(n_) / 1000.0,
                     double(percentile(samples_, 0.99)) / 1000.0);
}

// ---------------------------------------------------------------------------- Session

Session::Session(Annotator annotator, std::optional<Tiler> tiler, MatcherOptions matcher, SessionOptions o)
    : o_(o), stats_("", o.verbose > 0), annotator_(std::move(annotator)), tiler_(std::move(tiler)), matcher_(matcher) {}

void Session::run(InputSet& inputs, Output& out) {
  inputs_ = &inputs;
  out_ = &out;
  stdin_index_ = -1;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs.spec(int(i)) == "-") stdin_index_ = int(i);
  end_.emplace(inputs.size(), stdin_index_);
  bool reader_gone = false;
  int64_t finish_started = 0;
  while (!stop_requested() && !reader_gone) {
    int64_t deadline = matcher_.next_deadline();
    int timeout = 200;
    if (deadline != INT64_MAX) timeout = int(std::clamp<int64_t>((deadline - mono_us() + 999) / 1000, 0, 200));
    InputEvent ev;
    if (inputs.pop(ev, timeout)) handle(ev);
    int64_t now = mono_us();
    matcher_.expire(now);
    const bool finishing = end_->finishing();
    if (finishing && !finish_started) finish_started = now;
    if (finishing && (!end_->others_open() || now - finish_started > kFinishWaitUs)) matcher_.release_all();
    ReadyFrame rf;
    while (!reader_gone && matcher_.pop_ready(rf)) reader_gone = !emit(rf);
    if (finishing && matcher_.idle()) break;
    if (o_.verbose) stats_.report(progress());
  }
  if (!stop_requested() && !reader_gone && tiler_ && tiler_->any_fresh()) write_tile();
  if (o_.verbose) log_line("done: " + progress());
  if (warnings_.total() > 1) log_line(fmt::format("{} problems in all (one line a second shown)", warnings_.total()));
  inputs_ = nullptr;
  out_ = nullptr;
}

std::string Session::progress() const {
  const auto& c = matcher_.counts();
  return fmt::format("{} frames in, {} out; with their record {}, not waiting {}, record skipped {}, timed out {}, "
                     "overflow {}; {} records, {} late; {} malformed; {}",
                     frames_in_, frames_out_, c.matched, c.not_expected + c.end, c.superseded, c.timed_out, c.overflow,
                     records_, c.late_records, malformed_, draw_times_.summary());
}

void Session::handle(InputEvent& ev) {
  const std::string name = ev.input == stdin_index_ ? std::string("stdin") : inputs_->spec(ev.input);
  switch (ev.kind) {
    case InputEvent::Kind::Error:
      throw Error(ev.error);
    case InputEvent::Kind::End:
      end_->ended(ev.input);
      if (o_.verbose) log_line(fmt::format("{}: ended after {} messages", name, end_->messages(ev.input)));
      return;
    case InputEvent::Kind::Message:
      break;
  }
  const bool frame = ev.msg.is_frame();
  end_->message(ev.input, frame);
  if (frame) {
    ++frames_in_;
    if (end_->finishing()) {  // from an input still open after the end: not drawn
      inputs_->recycle(std::move(ev.msg));
      return;
    }
    matcher_.add_frame(std::move(ev.msg), mono_us());
    return;
  }
  ++records_;
  RecordPtr r = make_record(std::move(ev.msg.header));
  inputs_->recycle(std::move(ev.msg));  // its buffer (perhaps a frame's) serves again
  if (r->detections && !r->detections->problems.empty()) {
    ++malformed_;
    std::string what = r->seq ? fmt::format("{} record for {}/{}", r->type, r->cam, *r->seq) : r->type + " record";
    warnings_.line(fmt::format("{}: message {}: {}: {}; the rest is drawn", name, ev.number, what,
                               r->detections->problems.front()));
  }
  annotator_.add_record(r);
  if (r->seq) matcher_.add_record(r, mono_us());
}

bool Session::write_frame(const Json& header, const cv::Mat& img) {
  bool ok;
  if (o_.out_fmt == PixelFormat::Jpeg) {
    Message m;
    mat_to_frame(img, PixelFormat::Jpeg, frame_info(header), m, o_.quality);
    ok = out_->write(m);
  } else {
    ok = out_->write(header, img.data, size_t(header["bytes"].get<uint64_t>()));
  }
  ++frames_out_;
  stats_.add(header["bytes"].get<uint64_t>());
  return ok;
}

bool Session::write_tile() {
  int64_t t0 = thread_cpu_us();
  FrameInfo info;
  cv::Mat composed = tiler_->take(info, mono_us());  // the tiler's own image: what is drawn on it is put back after
  Canvas c(composed);
  // Templates and the map on a tile speak for the first camera of the list that has been seen.
  const std::pair<FrameInfo, RecordPtr>* lead = nullptr;
  for (const auto& cam : tiler_->cams())
    if (auto it = tile_last_.find(cam); it != tile_last_.end()) {
      lead = &it->second;
      break;
    }
  std::vector<std::pair<cv::Rect, cv::Mat>> saved;
  if (lead) {
    for (const cv::Rect& r : annotator_.global_rects(c, lead->first, lead->second.get(), now_us()))
      saved.emplace_back(r, composed(r).clone());
    annotator_.draw_global(c, lead->first, lead->second.get(), now_us());
  }
  draw_times_.add(thread_cpu_us() - t0 + tile_draw_us_);
  tile_draw_us_ = 0;
  bool ok = write_frame(make_frame_header(info), composed);
  for (auto& [r, pixels] : saved) pixels.copyTo(composed(r));
  return ok;
}

bool Session::emit(ReadyFrame& rf) {
  int64_t t0 = thread_cpu_us();
  FrameInfo f = frame_info(rf.msg.header);
  cv::Mat img;
  try {
    if (f.fmt == PixelFormat::Bgr8) rf.msg.payload.own();  // drawn on in place: not in a shared slot
    img = frame_to_mat(rf.msg, PixelFormat::Bgr8);
  } catch (const Error& e) {
    warnings_.line(fmt::format("skipping a frame: {}", e.what()));
    inputs_->recycle(std::move(rf.msg));
    return true;
  }
  annotator_.note_frame(f);
  const Record* rec = rf.record.get();
  bool ok = true;
  if (tiler_ && tiler_->has(f.cam)) {
    if (tiler_->fresh(f.cam)) {
      int64_t w0 = thread_cpu_us();
      ok = write_tile();
      t0 += thread_cpu_us() - w0;  // that tile's own time is counted there
    }
    Canvas cell = tiler_->place(f.cam, img, f.t_capture, mono_us());
    annotator_.draw_camera(cell, f, rec, now_us());
    tile_last_[f.cam] = {f, rf.record};
    tile_draw_us_ += thread_cpu_us() - t0;  // counted with the tile this frame goes out in
    if (ok && tiler_->complete()) ok = write_tile();
  } else {
    Canvas c(img);
    int64_t now = now_us();
    annotator_.draw_camera(c, f, rec, now);
    annotator_.draw_global(c, f, rec, now);
    Json header = rf.msg.header;
    if (f.fmt != PixelFormat::Bgr8) {  // converted or decoded: a new, packed image
      header["fmt"] = "bgr8";
      header["stride"] = int64_t(img.cols) * 3;
      header["bytes"] = uint64_t(img.cols) * 3 * uint64_t(img.rows);
    }
    draw_times_.add(thread_cpu_us() - t0);
    ok = write_frame(header, img);
  }
  inputs_->recycle(std::move(rf.msg));
  return ok;
}

}  // namespace rvkit::overlay
