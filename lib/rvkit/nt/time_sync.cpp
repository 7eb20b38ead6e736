#include "rvkit/nt/time_sync.hpp"

namespace rvkit::nt {

void TimeSync::reset() {
  synced_.store(false, std::memory_order_release);
  rtt_.store(-1);
}

bool TimeSync::update(int64_t sent_mono, int64_t server_time, int64_t now_mono, int64_t now_wall) {
  int64_t rtt = now_mono - sent_mono;
  if (rtt < 0 || rtt > 60'000'000) return false;  // not an answer to anything we sent
  int64_t best = rtt_.load();
  if (synced() && best >= 0 && rtt >= best) return false;
  rtt_.store(rtt);
  offset_.store(server_time + rtt / 2 - now_wall);
  synced_.store(true, std::memory_order_release);
  return true;
}

}  // namespace rvkit::nt
