#include "robot_input.hpp"

#include <chrono>

#include <fmt/format.h>

#include "rvkit/records/nt.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace detect_tool {

RobotInput::RobotInput(const std::string& spec, InputOptions io, std::string heading_topic, CameraPoseAxes axes,
                       std::shared_ptr<HeadingHistory> headings,
                       std::function<void(const RobotSetting&)> on_setting, bool verbose)
    : set_({spec}, io, 4, 4096),
      topic_(std::move(heading_topic)),
      settings_(topic_.substr(0, topic_.rfind('/') + 1), axes),
      headings_(std::move(headings)),
      on_setting_(std::move(on_setting)),
      verbose_(verbose) {
  set_.start();
}

void RobotInput::drain(int64_t t, int wait_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  InputEvent ev;
  for (;;) {
    int timeout = 0;
    if (!ended_ && wait_ms > 0 && !headings_->wait_for(t, 0)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      timeout = int(std::max<int64_t>(0, left.count()));
    }
    if (!set_.pop(ev, timeout)) return;
    handle(ev);
  }
}

void RobotInput::handle(InputEvent& ev) {
  if (ev.kind == InputEvent::Kind::End || ev.kind == InputEvent::Kind::Error) {
    if (ev.kind == InputEvent::Kind::Error)
      log_line(fmt::format("--robot-in {}: {} (no new headings from now on)", set_.spec(0), ev.error));
    ended_ = true;
    headings_->close();
    return;
  }
  const Message& m = ev.msg;
  if (m.is_frame()) {
    set_.recycle(std::move(ev.msg));
    return;
  }
  if (m.type() != records::Nt::kType) return;
  try {
    auto n = m.header.get<records::Nt>();
    if (n.topic == topic_) {
      std::string why;
      if (auto s = heading_from_nt(n, &why)) {
        headings_->add(*s);
        ++samples_;
      } else {
        warnings_.line(fmt::format("--robot-in {}: {}", set_.spec(0), why));
      }
      return;
    }
    RobotSetting s = settings_.read(n);
    if (!s.error.empty()) {
      warnings_.line(fmt::format("--robot-in {}: {} (setting unchanged)", set_.spec(0), s.error));
    } else if (s.kind != RobotSetting::Kind::none) {
      on_setting_(s);
      if (verbose_)
        log_line(fmt::format("--robot-in {}: {} = {}", set_.spec(0), n.topic, n.value.dump()));
    }
  } catch (const std::exception& e) {  // RecordError, or a JSON type error
    warnings_.line(fmt::format("--robot-in {}: {}", set_.spec(0), e.what()));
  }
}

}  // namespace detect_tool
