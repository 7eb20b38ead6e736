// The hub's lossless publishers (lib/rvkit/hub/lossless_ingress.hpp), without sockets: credit,
// the first message held for a subscriber, refused sends retried in order, BYE, vanished publishers.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "rvkit/hub/lossless_ingress.hpp"

using namespace rvkit::hub;

namespace {

using Ledger = LosslessPublishers<std::string>;

// A downstream that accepts or refuses, and records what went out and what credit was given.
struct Downstream {
  std::set<std::string> subscribed;  // topics with a subscriber
  bool full = false;
  std::vector<std::string> sent;
  std::map<std::string, int> credit;
  int retries = 0;

  void pump(Ledger& l) {
    l.pump([&](const std::string& t) { return subscribed.count(t) > 0; },
           [&](const std::string&, std::string& m) {
             if (full) return false;
             sent.push_back(m);
             return true;
           },
           [&](const std::string&) { ++retries; }, [&](const std::string& id, int n) { credit[id] += n; });
  }
};

}  // namespace

TEST_CASE("hub lossless: 8 credits on the first part, one back per message handed over") {
  Ledger l;
  CHECK(l.heard("p", 0) == Ledger::kFirstCredit);
  CHECK(l.heard("p", 1) == 0);  // only the first part of a publisher earns the first grant
  Downstream d;
  d.subscribed = {"frame/a/"};
  for (int i = 0; i < 3; ++i) l.message("p", "frame/a/", "m" + std::to_string(i));
  d.pump(l);
  CHECK(d.sent == std::vector<std::string>{"m0", "m1", "m2"});
  CHECK(d.credit["p"] == 3);
  CHECK_FALSE(l.has_queued());
  CHECK(l.publishers_per_topic() == std::map<std::string, int>{{"frame/a/", 1}});
}

TEST_CASE("hub lossless: the first message waits for a matching subscription, later ones do not") {
  Ledger l;
  Downstream d;
  l.heard("p", 0);
  l.message("p", "frame/a/", "m0");
  l.message("p", "frame/a/", "m1");
  d.pump(l);
  d.pump(l);
  CHECK(d.sent.empty());
  CHECK(d.credit.empty());
  CHECK(l.queued("p") == 2);
  d.subscribed = {"frame/a/"};
  d.pump(l);
  CHECK(d.sent == std::vector<std::string>{"m0", "m1"});
  d.subscribed.clear();  // the subscriber left: the publisher goes on (nobody to wait for)
  l.message("p", "frame/a/", "m2");
  d.pump(l);
  CHECK(d.sent.back() == "m2");
}

TEST_CASE("hub lossless: a refused send waits at the head of its queue, in order, and is retried") {
  Ledger l;
  Downstream d;
  d.subscribed = {"frame/a/", "frame/b/"};
  l.heard("a", 0);
  l.heard("b", 0);
  l.message("a", "frame/a/", "a0");
  l.message("a", "frame/a/", "a1");
  d.full = true;
  d.pump(l);
  CHECK(d.sent.empty());
  CHECK(d.retries == 1);  // one refusal per publisher per pump, then it waits
  CHECK(l.queued("a") == 2);
  d.full = false;
  l.message("b", "frame/b/", "b0");  // another publisher is not held up by a's queue
  d.pump(l);
  CHECK(d.sent == std::vector<std::string>{"a0", "a1", "b0"});
  CHECK(d.credit["a"] == 2);
  CHECK(d.credit["b"] == 1);
}

TEST_CASE("hub lossless: BYE forgets a publisher once its queue is out, with no credit after it") {
  Ledger l;
  Downstream d;
  l.heard("p", 0);
  l.message("p", "frame/a/", "m0");
  l.message("p", "eos/a/", "eos");
  l.bye("p");
  CHECK(l.size() == 1);  // still has messages to deliver
  d.pump(l);             // no subscriber: held
  CHECK(l.size() == 1);
  CHECK(l.vanished(100 * Ledger::kVanishUs).empty());  // said BYE: never "vanished"
  d.subscribed = {"frame/a/"};
  d.pump(l);
  CHECK(d.sent == std::vector<std::string>{"m0", "eos"});
  CHECK(d.credit.empty());
  CHECK(l.size() == 0);
  l.bye("unknown");  // harmless
  CHECK(l.heard("p", 0) == Ledger::kFirstCredit);  // a new stream from the same id starts over
}

TEST_CASE("hub lossless: a publisher silent for 3 s without BYE has vanished: its cams, its lost messages") {
  Ledger l;
  Downstream d;
  l.heard("p", 0);
  l.message("p", "frame/front/", "f0");
  l.message("p", "detections/front/", "d0");
  l.message("p", "frame/back/", "b0");
  l.message("p", "eos/back/", "eos back");  // back ended properly, front did not
  l.message("p", "nt/", "n0");              // no cam
  d.subscribed = {"frame/front/"};
  d.pump(l);
  l.message("p", "frame/front/", "f1");
  d.full = true;
  d.pump(l);
  l.heard("q", 2'000'000);
  CHECK(l.vanished(Ledger::kVanishUs - 1).empty());
  auto v = l.vanished(Ledger::kVanishUs);
  REQUIRE(v.size() == 1);
  CHECK(v[0].id == "p");
  CHECK(v[0].cams == std::set<std::string>{"front"});
  CHECK(v[0].lost == std::map<std::string, uint64_t>{{"frame/front/", 1}});
  CHECK(l.size() == 1);  // q stays: heard 1 s later
  l.heard("q", 4'000'000);  // a PING keeps it
  CHECK(l.vanished(6'000'000).empty());
  CHECK(topic_cam("frame/front/") == "front");
  CHECK(topic_cam("nt/") == "");
  CHECK(topic_cam("x") == "");
}
