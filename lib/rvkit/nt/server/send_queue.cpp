// rvkit ntserver: one client's outgoing queue (server/send_queue.hpp).
#include "rvkit/nt/server/send_queue.hpp"

namespace rvkit::nt::server {

bool SendQueue::push_text(Json m) {
  if (n_text_ >= kMaxQueuedText) return false;
  if (values_pending() && m.value("method", "") == "unannounce") compose_value_frames();
  OutItem it;
  it.text = true;
  it.msg = std::move(m);
  out_.push_back(std::move(it));
  ++n_text_;
  return true;
}

void SendQueue::push_value(int64_t topic_id, const std::string& msg, bool all) {
  if (all) {
    all_out_.push_back(msg);
    all_bytes_ += msg.size();
    while (all_bytes_ > kMaxQueuedAllBytes && !all_out_.empty()) {
      all_bytes_ -= all_out_.front().size();
      all_out_.pop_front();
      ++n_dropped_;
    }
    latest_.erase(topic_id);  // the queued ones supersede a pending latest value
  } else {
    auto [it, fresh] = latest_.emplace(topic_id, msg);
    if (fresh) latest_order_.push_back(topic_id);
    else it->second = msg;
  }
}

void SendQueue::forget(int64_t topic_id) { latest_.erase(topic_id); }

void SendQueue::compose_value_frames() {
  std::string frame;
  auto add = [&](const std::string& m) {
    if (!frame.empty() && frame.size() + m.size() > kFrameTarget) {
      OutItem it;
      it.bin = std::move(frame);
      out_.push_back(std::move(it));
      frame.clear();
    }
    frame += m;
    n_out_++;
  };
  for (auto& m : all_out_) add(m);
  all_out_.clear();
  all_bytes_ = 0;
  // An id can be listed twice: an `all` value erases the topic's newest value but not its place
  // in the order, and a later newest value adds the id again. Each value goes out once.
  for (int64_t id : latest_order_) {
    auto it = latest_.find(id);
    if (it == latest_.end()) continue;
    add(it->second);
    latest_.erase(it);
  }
  latest_.clear();
  latest_order_.clear();
  if (!frame.empty()) {
    OutItem it;
    it.bin = std::move(frame);
    out_.push_back(std::move(it));
  }
}

SendQueue::Frame SendQueue::pop_frame() {
  Frame f;
  if (out_.front().text) {
    // Consecutive control messages share a frame, up to about one MTU.
    Json batch = Json::array();
    size_t bytes = 2;
    while (!out_.empty() && out_.front().text) {
      size_t n = out_.front().msg.dump().size() + 1;
      if (!batch.empty() && bytes + n > kFrameTarget) break;
      bytes += n;
      batch.push_back(std::move(out_.front().msg));
      out_.pop_front();
      --n_text_;
    }
    f.text = true;
    f.data = batch.dump();
    return f;
  }
  f.data = std::move(out_.front().bin);
  out_.pop_front();
  return f;
}

}  // namespace rvkit::nt::server
