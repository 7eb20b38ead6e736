// NetworkTables 4 server: one client's send queue (lib/rvkit/nt/server/send_queue.hpp): order,
// frames of about one MTU, newest-only and every-value subscriptions, bounds.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "rvkit/nt/server/send_queue.hpp"
#include "rvkit/nt/wire.hpp"

using namespace rvkit;
using namespace rvkit::nt;
using rvkit::nt::server::SendQueue;

namespace {

// Every frame the queue holds now, pending values composed first.
std::vector<SendQueue::Frame> drain(SendQueue& q) {
  q.compose_value_frames();
  std::vector<SendQueue::Frame> frames;
  while (!q.empty()) frames.push_back(q.pop_frame());
  return frames;
}

}  // namespace

TEST_CASE("nt server queue: control messages leave in order, several to a frame of about one MTU") {
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  for (int i = 0; i < 3; ++i) CHECK(q.push_text(control_message("announce", Json{{"name", "/t" + std::to_string(i)}})));
  auto frames = drain(q);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].text);
  Json batch = Json::parse(frames[0].data);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0]["params"]["name"] == "/t0");
  CHECK(batch[2]["params"]["name"] == "/t2");

  // Large messages: each frame stays under the target unless one message alone is larger.
  std::string big(600, 'x');
  for (int i = 0; i < 5; ++i) q.push_text(control_message("announce", Json{{"name", big}}));
  q.push_text(control_message("announce", Json{{"name", std::string(3000, 'y')}}));
  frames = drain(q);
  REQUIRE(frames.size() == 4);  // 2 + 2 + 1 of 600, then the big one alone
  size_t total = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].text);
    if (i < 3) CHECK(frames[i].data.size() <= SendQueue::kFrameTarget);
    total += Json::parse(frames[i].data).size();
  }
  CHECK(total == 6);
  CHECK(out == 0);  // control messages are not values
}

TEST_CASE("nt server queue: newest value only per topic, or every value for `all`") {
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  CHECK_FALSE(q.values_pending());
  q.push_value(1, "a", false);
  q.push_value(2, "c", true);
  q.push_value(1, "b", false);  // replaces "a"
  q.push_value(2, "d", true);
  CHECK(q.values_pending());
  CHECK(q.empty());  // values are no frame until composed
  auto frames = drain(q);
  REQUIRE(frames.size() == 1);
  CHECK_FALSE(frames[0].text);
  CHECK(frames[0].data == "cdb");  // the `all` values, then the newest of each other topic
  CHECK(out == 3);
  CHECK_FALSE(q.values_pending());

  // A topic forgotten (unannounced) loses its pending value.
  q.push_value(3, "e", false);
  q.forget(3);
  CHECK(drain(q).empty());
}

TEST_CASE("nt server queue: value frames are about one MTU") {
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  for (int i = 0; i < 5; ++i) q.push_value(i, std::string(600, char('a' + i)), false);
  auto frames = drain(q);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].data == std::string(600, 'a') + std::string(600, 'b'));
  CHECK(frames[2].data == std::string(600, 'e'));
  CHECK(out == 5);
}

TEST_CASE("nt server queue: values queued before an unannounce leave before it") {
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  q.push_text(control_message("announce", Json{{"name", "/a"}, {"id", 1}}));
  q.push_value(1, "v", false);
  q.push_text(control_message("unannounce", Json{{"name", "/a"}, {"id", 1}}));
  std::vector<SendQueue::Frame> frames;
  while (!q.empty()) frames.push_back(q.pop_frame());  // not composed by drain(): by the unannounce
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].text);
  CHECK_FALSE(frames[1].text);
  CHECK(frames[1].data == "v");
  CHECK(frames[2].text);
  CHECK(Json::parse(frames[2].data)[0]["method"] == "unannounce");
}

TEST_CASE("nt server queue: a slow client's queues are bounded") {
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  std::string mb(1u << 20, 'x');
  for (int i = 0; i < 6; ++i) q.push_value(1, mb, true);
  CHECK(q.dropped() == 2);  // the oldest go: at most kMaxQueuedAllBytes wait
  drain(q);
  CHECK(out == 4);

  size_t n = 0;
  while (q.push_text(Json{{"method", "announce"}}) && n <= SendQueue::kMaxQueuedText) ++n;
  CHECK(n == SendQueue::kMaxQueuedText);
}

TEST_CASE("nt server queue: a value goes out once after its topic moved from `all` back to newest-only") {
  // A client subscribes to /a, then also with all=true (its cached value goes to the `all`
  // queue), drops that subscription, and /a changes, all within one period.
  std::atomic<uint64_t> out{0};
  SendQueue q(out);
  q.push_value(1, "a", false);
  q.push_value(1, "b", true);
  q.push_value(1, "c", false);
  auto frames = drain(q);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].data == "bc");
  CHECK(out == 2);
}
