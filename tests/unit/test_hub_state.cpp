// The message hub's bookkeeping, without sockets: the downstream subscriptions (a multiset of
// prefixes), per-topic stats, the last-value cache, the `hub` record, the endpoints `hub serve` binds.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "rvkit/core/option_error.hpp"
#include "rvkit/hub/last_value_cache.hpp"
#include "rvkit/hub/serve_endpoints.hpp"
#include "rvkit/hub/subscriptions.hpp"
#include "rvkit/hub/topic_stats.hpp"
#include "rvkit/io/hub_address.hpp"
#include "rvkit/records/hub.hpp"

using namespace rvkit;
using namespace rvkit::hub;

namespace {
std::string sub(char op, const std::string& prefix) { return std::string(1, op) + prefix; }
}  // namespace

TEST_CASE("hub subscriptions: a multiset of prefixes, matched as ZeroMQ matches") {
  SubscriptionSet s;
  CHECK(s.matching("frame/front/") == 0);
  s.add("frame/");
  s.add("frame/front/");
  s.add("frame/front/");  // two subscribers of one camera
  s.add("eos/");
  CHECK(s.matching("frame/front/") == 3);
  CHECK(s.matching("frame/back/") == 1);
  CHECK(s.matching("frame/front") == 1);  // the trailing '/' makes a camera's prefix exact
  CHECK(s.matching("detections/front/") == 0);
  CHECK(s.total() == 4);
  s.remove("frame/front/");
  CHECK(s.matching("frame/front/") == 2);
  s.remove("frame/front/");
  s.remove("frame/front/");  // one more than added: ignored, never below zero
  CHECK(s.matching("frame/front/") == 1);
  CHECK(s.prefixes().count("frame/front/") == 0);
  s.add("");
  CHECK(s.matching("anything/") == 1);
  CHECK(s.matching("frame/x/") == 2);
}

TEST_CASE("hub subscriptions: XPUB's subscribe and unsubscribe messages") {
  SubscriptionSet s;
  std::string m = sub(1, "nt/");
  auto p = s.apply(m.data(), m.size());
  REQUIRE(p);
  CHECK(*p == "nt/");
  m = sub(1, "");
  p = s.apply(m.data(), m.size());
  REQUIRE(p);  // everything: a new subscription like any other
  CHECK(p->empty());
  CHECK(s.matching("nt/") == 2);
  m = sub(0, "nt/");
  CHECK_FALSE(s.apply(m.data(), m.size()));
  CHECK(s.matching("nt/") == 1);
  CHECK_FALSE(s.apply("", 0));
  m = sub(7, "x");
  CHECK_FALSE(s.apply(m.data(), m.size()));  // neither: ignored
  CHECK(s.total() == 1);
}

TEST_CASE("hub topic stats: rates over the last second, age, retries, subscribers") {
  TopicStats stats;
  SubscriptionSet subs;
  subs.add("frame/");
  subs.add("");
  int64_t t0 = 10'000'000;
  // 30 messages a second of 1000 bytes for 2 s.
  for (int i = 0; i < 60; ++i) {
    stats.message("frame/a/", 1000, t0 + i * 33'333);
    if (i % 10 == 9) stats.report(t0 + i * 33'333, subs, {});
  }
  stats.retry("frame/a/", 2);
  stats.drop("frame/a/");
  stats.retry("unknown/");  // a topic never seen is not invented
  auto r = stats.report(t0 + 2'000'000, subs, {{"frame/a/", 1}});
  REQUIRE(r.size() == 1);
  CHECK(r[0].topic == "frame/a/");
  CHECK(r[0].messages == 60);
  CHECK(r[0].msgs_per_s == doctest::Approx(30).epsilon(0.1));
  CHECK(r[0].bytes_per_s == doctest::Approx(30000).epsilon(0.1));
  CHECK(r[0].subscribers == 2);
  REQUIRE(r[0].publishers);
  CHECK(*r[0].publishers == 1);
  CHECK(r[0].retries == 2);
  CHECK(r[0].drops == 1);
  CHECK(r[0].age_ms == 33);
  // Silence: the rate falls to zero within a window, the age grows, the topic stays.
  for (int i = 1; i <= 8; ++i) r = stats.report(t0 + 2'000'000 + i * 250'000, subs, {});
  REQUIRE(r.size() == 1);
  CHECK(r[0].msgs_per_s == 0);
  CHECK(r[0].age_ms == 4033 - 2000);  // the last message was at t0 + 1.967 s
  CHECK_FALSE(r[0].publishers);
}

TEST_CASE("hub topic stats: a first burst is averaged over a whole window, not reported as a huge rate") {
  TopicStats stats;
  SubscriptionSet subs;
  stats.message("camera/a/", 200, 1000);
  auto r = stats.report(2000, subs, {});  // 1 ms after the only message
  REQUIRE(r.size() == 1);
  CHECK(r[0].msgs_per_s == 1.0);
  CHECK(r[0].bytes_per_s == 200);
  CHECK(r[0].subscribers == 0);
  CHECK(r[0].age_ms == 1);
}

TEST_CASE("hub topic stats: bounded, later topics counted together") {
  TopicStats stats;
  SubscriptionSet subs;
  for (size_t i = 0; i < TopicStats::kMaxTopics + 10; ++i) stats.message("t" + std::to_string(i) + "/", 1, 1000);
  auto r = stats.report(2000, subs, {});
  CHECK(r.size() == TopicStats::kMaxTopics + 1);
  CHECK(r.front().topic == "*");
  CHECK(r.front().messages == 10);
}

TEST_CASE("hub last-value cache: state records only, the latest per camera and per NT topic") {
  CHECK(state_record_types() == std::vector<std::string>{"camera", "nt", "nt_snapshot", "hub"});
  CHECK(is_state_topic("camera/front/"));
  CHECK(is_state_topic("nt/"));
  CHECK(is_state_topic("nt_snapshot/"));
  CHECK(is_state_topic("hub/"));
  CHECK_FALSE(is_state_topic("frame/front/"));
  CHECK_FALSE(is_state_topic("eos/"));  // a late subscriber must never end at an old eos
  CHECK_FALSE(is_state_topic("eos/front/"));
  CHECK_FALSE(is_state_topic("cameras/x/"));
  CHECK_FALSE(is_state_topic("camera"));

  LastValueCache c;
  auto msg = [](const std::string& topic, const std::string& head) { return std::vector<std::string>{topic, head}; };
  CHECK_FALSE(c.store("frame/front/", "{}", msg("frame/front/", "{}")));
  CHECK(c.store("camera/front/", R"({"type":"camera","cam":"front","fps":0.0})", msg("camera/front/", "f1")));
  CHECK(c.store("camera/front/", R"({"type":"camera","cam":"front","fps":30.0})", msg("camera/front/", "f2")));
  CHECK(c.store("camera/back/", "{}", msg("camera/back/", "b1")));
  CHECK(c.store("nt/", R"({"type":"nt","topic":"/a","value":1})", msg("nt/", "a1")));
  CHECK(c.store("nt/", R"({"type":"nt","topic":"/b","value":1})", msg("nt/", "b1")));
  CHECK(c.store("nt/", R"({"type":"nt","topic":"/a","value":2})", msg("nt/", "a2")));
  CHECK(c.size() == 4);

  auto heads = [&](const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto* e : c.matching(prefix)) out.push_back(e->parts[1]);
    return out;
  };
  CHECK(heads("camera/front/") == std::vector<std::string>{"f2"});
  CHECK(heads("camera/") == std::vector<std::string>{"b1", "f2"});
  CHECK(heads("nt/") == std::vector<std::string>{"a2", "b1"});
  CHECK(heads("") == std::vector<std::string>{"b1", "f2", "a2", "b1"});
  CHECK(heads("frame/").empty());
  CHECK(heads("camera/front/x").empty());  // a longer prefix does not match the shorter topic
}

TEST_CASE("hub last-value cache: bounded") {
  LastValueCache c;
  for (size_t i = 0; i < LastValueCache::kMaxEntries; ++i)
    REQUIRE(c.store("camera/c" + std::to_string(i) + "/", "{}", {"t", "h"}));
  CHECK_FALSE(c.store("camera/one-more/", "{}", {"t", "h"}));
  CHECK(c.store("camera/c0/", "{}", {"t", "newer"}));  // a known key is still updated
  CHECK(c.size() == LastValueCache::kMaxEntries);
}

TEST_CASE("hub record: round-trips, errors name the field") {
  records::Hub h;
  h.t = 1795320000250000;
  h.uptime_s = 3.04;
  h.publishers = 1;
  h.subscribers = 2;
  records::HubTopic t;
  t.topic = "frame/a/";
  t.messages = 9;
  t.msgs_per_s = 29.97;
  t.bytes_per_s = 123;
  t.subscribers = 2;
  t.age_ms = 5;
  h.topics.push_back(t);
  t.topic = "frame/b/";
  t.publishers = 1;
  h.topics.push_back(t);
  h.subscriptions.push_back({"", 1});
  Json j = h;
  CHECK(j["uptime_s"] == 3.0);
  CHECK(j["topics"][0]["msgs_per_s"] == 30.0);
  CHECK_FALSE(j["topics"][0].contains("publishers"));
  CHECK(j["topics"][1]["publishers"] == 1);
  records::Hub back = j.get<records::Hub>();
  CHECK(Json(back).dump() == j.dump());

  auto error_of = [](const std::string& text) {
    try {
      Json::parse(text).get<records::Hub>();
    } catch (const records::RecordError& e) {
      return std::string(e.what());
    }
    return std::string("(no RecordError)");
  };
  CHECK(error_of(R"({"type":"hub","t":1})") == "hub: topics: missing or not an array");
  CHECK(error_of(R"({"type":"hub","t":1,"topics":[{"topic":"a/"}]})") ==
        "hub: topics[0].age_ms: missing or not an integer");
  CHECK(error_of(R"({"type":"hub","t":1,"topics":[{"topic":"a/","age_ms":-1}]})").find("topics[0].age_ms") !=
        std::string::npos);
  CHECK(error_of(R"({"type":"hub","topics":[]})") == "hub: t: missing or not an integer");
}

TEST_CASE("hub serve endpoints: tcp with its ipc equivalents, --bind, an ipc base alone") {
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  ServeEndpoints e = serve_endpoints("tcp://127.0.0.1:5550", "", true);
  CHECK(e.publish == std::vector<std::string>{"tcp://127.0.0.1:5550", "ipc:///run/user/1000/rvkit-hub/publish"});
  CHECK(e.subscribe == std::vector<std::string>{"tcp://127.0.0.1:5551", "ipc:///run/user/1000/rvkit-hub/subscribe"});
  CHECK(e.lossless == std::vector<std::string>{"tcp://127.0.0.1:5552", "ipc:///run/user/1000/rvkit-hub/lossless"});
  CHECK(e.subscribe_lossless ==
        std::vector<std::string>{"tcp://127.0.0.1:5553", "ipc:///run/user/1000/rvkit-hub/subscribe-lossless"});
  CHECK(e.ipc_dir == "/run/user/1000/rvkit-hub");
  e = serve_endpoints("tcp://10.12.34.12:6000", "0.0.0.0", true);
  CHECK(e.publish == std::vector<std::string>{"tcp://0.0.0.0:6000", "ipc:///run/user/1000/rvkit-hub-6000/publish"});
  e = serve_endpoints("tcp://127.0.0.1", "*", false);
  CHECK(e.subscribe == std::vector<std::string>{"tcp://*:5551"});
  CHECK(e.ipc_dir.empty());
  e = serve_endpoints("ipc:///tmp/x/hub/", "", true);
  CHECK(e.publish == std::vector<std::string>{"ipc:///tmp/x/hub/publish"});
  CHECK(e.ipc_dir == "/tmp/x/hub");
  unsetenv("XDG_RUNTIME_DIR");
  CHECK(ipc_dir_for(5550).rfind("/tmp/rvkit-hub-", 0) == 0);

  CHECK_THROWS_AS(serve_endpoints("ipc:///tmp/x", "0.0.0.0", true), OptionError);
  CHECK_THROWS_AS(serve_endpoints("udp://x", "", true), OptionError);
  for (const char* bad : {"", "tcp://0.0.0.0", "0.0.0.0:5550", "a b", "[::1", "[zz]"})
    CHECK_THROWS_AS(check_bind_host(bad), OptionError);
  for (const char* good : {"*", "0.0.0.0", "127.0.0.2", "[::1]", "eth0", "lo"}) CHECK_NOTHROW(check_bind_host(good));
}

TEST_CASE("hub specs: what 'hub' stands for, for inputs and outputs") {
  set_hub_address("ipc:///tmp/h");
  CHECK(hub_input_spec("hub?topic=frame/&topic=nt/") ==
        ">ipc:///tmp/h/subscribe,ipc:///tmp/h/subscribe-lossless?topic=frame/&topic=nt/");
  CHECK(hub_input_spec("hub") == ">ipc:///tmp/h/subscribe,ipc:///tmp/h/subscribe-lossless");
  CHECK(hub_output_spec("hub") == ">ipc:///tmp/h/publish");
  CHECK(hub_lossless_spec("hub") == ">ipc:///tmp/h/lossless");
  set_hub_address("tcp://10.0.0.2:6000");
  CHECK(hub_input_spec("hub") == ">tcp://10.0.0.2:6001,tcp://10.0.0.2:6003");
  CHECK(hub_output_spec("hub") == ">tcp://10.0.0.2:6000");
  CHECK_THROWS_AS(set_hub_address("tcp://x:65533"), OptionError);  // PORT+3 must be a port
  set_hub_address("");
  CHECK(is_hub_spec("hub"));
  CHECK(is_hub_spec("hub?topic=a/"));
  CHECK_FALSE(is_hub_spec("hubcap"));
}
