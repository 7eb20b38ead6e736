// The newest-frame hand-over (rvkit/core/latest.hpp): newest wins, the replaced are counted, take()
// waits at most its timeout, close() ends the consumer after the last item, buffers swap back.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/latest.hpp"

using namespace rvkit;
using namespace std::chrono_literals;

TEST_CASE("LatestCell: newest wins, put() says when it replaced an item not taken") {
  LatestCell<int> cell;
  int v = 1, out = 0;
  CHECK_FALSE(cell.full());
  CHECK_FALSE(cell.take(out));
  CHECK_FALSE(cell.put(v));  // an empty cell: nothing replaced
  v = 2;
  CHECK(cell.put(v));        // 1 was never taken
  CHECK(v == 1);             // and comes back to the producer
  CHECK(cell.full());
  CHECK(cell.take(out));
  CHECK(out == 2);
  CHECK_FALSE(cell.full());
  CHECK_FALSE(cell.take(out));
  CHECK(out == 2);
}

TEST_CASE("LatestSlot: a put replaces the item not taken and counts it as dropped") {
  LatestSlot<int> slot;
  for (int i = 1; i <= 5; ++i) {
    int v = i;
    slot.put(v);
  }
  int out = 0;
  REQUIRE(slot.take(out, 0ms));
  CHECK(out == 5);
  CHECK(slot.dropped() == 4);
  CHECK_FALSE(slot.take(out, 0ms));  // taken: nothing new
  int v = 6;
  slot.put(v);
  CHECK(slot.dropped() == 4);        // the slot was empty: nothing dropped
  REQUIRE(slot.take(out, 0ms));
  CHECK(out == 6);
}

TEST_CASE("LatestSlot: take() waits for its timeout, and returns as soon as an item comes") {
  LatestSlot<int> slot;
  int out = 0;
  int64_t t0 = mono_us();
  CHECK_FALSE(slot.take(out, 50ms));
  CHECK(mono_us() - t0 >= 50000);

  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    int v = 7;
    slot.put(v);
  });
  t0 = mono_us();
  CHECK(slot.take(out, 5s));
  CHECK(mono_us() - t0 < 2000000);
  CHECK(out == 7);
  producer.join();
}

TEST_CASE("LatestSlot: close() ends the consumer after the last item, and wakes a waiting take()") {
  LatestSlot<int> slot;
  int v = 1, out = 0;
  slot.put(v);
  slot.close();
  CHECK_FALSE(slot.closed());  // an item is still there
  CHECK(slot.take(out, 0ms));
  CHECK(out == 1);
  CHECK(slot.closed());
  CHECK_FALSE(slot.take(out, 1s));  // closed and empty: at once, not after the timeout

  LatestSlot<int> waiting;
  std::thread closer([&] {
    std::this_thread::sleep_for(20ms);
    waiting.close();
  });
  int64_t t0 = mono_us();
  CHECK_FALSE(waiting.take(out, 5s));
  CHECK(mono_us() - t0 < 2000000);
  CHECK(waiting.closed());
  closer.join();
}

TEST_CASE("LatestSlot: buffers swap back to the producer instead of being freed") {
  LatestSlot<std::vector<int>> slot;
  std::vector<int> produced(1000, 1), consumed;
  const int* a = produced.data();
  slot.put(produced);
  CHECK(produced.empty());  // the slot's initial, empty buffer
  REQUIRE(slot.take(consumed, 0ms));
  CHECK(consumed.data() == a);

  // The consumer's old buffer stays in the slot and reaches the producer with its next put.
  std::vector<int> next(1000, 2);
  const int* b = next.data();
  slot.put(next);
  REQUIRE(slot.take(consumed, 0ms));
  CHECK(consumed.data() == b);
  std::vector<int> third(1000, 3);
  slot.put(third);
  CHECK(third.data() == a);  // the first buffer, back for reuse

  // A replaced item comes back to the producer too.
  std::vector<int> fourth(10, 4);
  slot.put(fourth);
  REQUIRE(fourth.size() == 1000);
  CHECK(fourth.front() == 3);
  CHECK(slot.dropped() == 1);
}
