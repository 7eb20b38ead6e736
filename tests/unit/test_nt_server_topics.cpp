// NetworkTables 4 server: the topic store (lib/rvkit/nt/server/topic_store.hpp): ids, the cached
// value, when a topic may go, which subscription covers which topic.
#include <doctest/doctest.h>

#include <string>

#include "rvkit/nt/server/topic_store.hpp"

using namespace rvkit;
using namespace rvkit::nt;
using namespace rvkit::nt::server;

TEST_CASE("nt server topics: ids are given in order and never reused") {
  TopicStore store;
  int64_t a = store.add("/a", "double", Json::object(), false).id;
  int64_t b = store.add("/b", "int", Json::object(), false).id;
  CHECK(b > a);
  REQUIRE(store.find("/a"));
  CHECK(store.find("/a")->id == a);
  CHECK(store.find(b)->name == "/b");
  store.erase(a);
  CHECK_FALSE(store.find("/a"));
  CHECK_FALSE(store.find(a));
  CHECK(store.size() == 1);
  int64_t a2 = store.add("/a", "double", Json::object(), false).id;
  CHECK(a2 > b);  // a new /a is a new topic to clients
  CHECK(store.find("/a")->id == a2);
}

TEST_CASE("nt server topics: a cached topic keeps its newest value, an uncached one none") {
  TopicStore store;
  Topic& t = store.add("/a", "double", Json::object(), false);
  store.keep_value(t, Value::float64(1), 100, "m1");
  store.keep_value(t, Value::float64(2), 50, "m2");  // older: not kept
  REQUIRE(t.value);
  CHECK(*t.value == Value::float64(1));
  CHECK(t.last_msg == "m1");
  store.keep_value(t, Value::float64(3), 100, "m3");  // as new: kept
  CHECK(*t.value == Value::float64(3));
  CHECK(t.ts == 100);

  Topic& u = store.add("/u", "double", Json{{"cached", false}}, false);
  store.keep_value(u, Value::float64(1), 100, "m");
  CHECK_FALSE(u.value);
  CHECK(u.last_msg.empty());
}

TEST_CASE("nt server topics: persistent topics mark the store for saving") {
  TopicStore store;
  Topic& plain = store.add("/plain", "double", Json::object(), false);
  store.keep_value(plain, Value::float64(1), 1, "m");
  CHECK_FALSE(store.persist_dirty);
  Topic& p = store.add("/p", "double", Json{{"persistent", true}}, false);
  CHECK(store.persist_dirty);
  store.persist_dirty = false;
  store.keep_value(p, Value::float64(1), 1, "m");
  CHECK(store.persist_dirty);
  store.persist_dirty = false;
  store.erase(p.id);
  CHECK(store.persist_dirty);
}

TEST_CASE("nt server topics: a topic is unused without publishers unless retained, persistent or the server's") {
  TopicStore store;
  Topic& t = store.add("/t", "double", Json::object(), false);
  CHECK(t.unused());
  t.publishers = 1;
  CHECK_FALSE(t.unused());
  t.publishers = 0;
  t.props["retained"] = true;
  CHECK_FALSE(t.unused());
  t.props["retained"] = false;
  t.props["persistent"] = true;
  CHECK_FALSE(t.unused());
  CHECK_FALSE(store.add("$clients", "msgpack", Json::object(), true).unused());
}

TEST_CASE("nt server topics: subscriptions by name or prefix, meta topics only for those naming $") {
  TopicStore store;
  const Topic& a = store.add("/rvkit/cam0/tx", "double", Json::object(), false);
  const Topic& meta = store.add("$sub$/rvkit/cam0/tx", "msgpack", Json::object(), true);
  ClientSub exact;
  exact.topics = {"/rvkit/cam0/tx"};
  CHECK(sub_matches(exact, a));
  ClientSub prefix;
  prefix.topics = {"/rvkit/"};
  CHECK_FALSE(sub_matches(prefix, a));
  prefix.prefix = true;
  CHECK(sub_matches(prefix, a));
  ClientSub everything;
  everything.topics = {""};
  everything.prefix = true;
  CHECK(sub_matches(everything, a));
  CHECK_FALSE(sub_matches(everything, meta));
  ClientSub metas;
  metas.topics = {"$"};
  metas.prefix = true;
  CHECK(sub_matches(metas, meta));
  CHECK_FALSE(sub_matches(metas, a));
  CHECK(store.visible_ids() == std::vector<int64_t>{a.id});
}
