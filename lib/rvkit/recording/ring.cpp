#include "rvkit/recording/ring.hpp"

namespace rvkit::recording {

void Ring::add(Message&& m, int64_t t_rec) {
  auto msg = std::make_shared<Message>(std::move(m));
  bytes_ += cost(*msg);
  items_.push_back({t_rec, std::move(msg)});
  auto drop_front = [&] {
    bytes_ -= cost(*items_.front().msg);
    items_.pop_front();
    ++evicted_;
  };
  while (items_.size() > 1 && (t_rec - items_.front().t > window_us_ || bytes_ > max_bytes_)) drop_front();
  if (bytes_ > max_bytes_) drop_front();  // one message bigger than the whole bound
}

std::vector<std::shared_ptr<const Message>> Ring::window() const {
  std::vector<std::shared_ptr<const Message>> out;
  out.reserve(items_.size());
  for (auto& e : items_) out.push_back(e.msg);
  return out;
}

}  // namespace rvkit::recording
