// rvkit ntserver internals: the topic store: every topic the server has, what it records of each,
// and the rules that concern a topic alone (the NT4 spec, "Topics", "Properties" and
// "Subscriptions"; docs/nt.md).
//
// A Topic keeps its id, type, properties and publisher count and, when `cached`, its newest value
// together with the encoded value message new subscribers get. Ids are given out in order and
// never reused, so a client never mistakes a new topic for a deleted one of the same name. A
// ClientSub is one subscription of a client; a TopicState is what one client has been told of one
// topic. Telling clients about changes is Server::Impl's job (server/topics.cpp). Threading: the
// network thread only.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt::server {

inline bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

inline bool prop_true(const Json& props, const char* k) {
  auto it = props.find(k);
  return it != props.end() && it->is_boolean() && it->get<bool>();
}

struct Topic {
  int64_t id = 0;
  std::string name, type;
  Json props = Json::object();
  int publishers = 0;
  bool server_owned = false;  // meta topics
  std::optional<Value> value;
  int64_t ts = 0;
  std::string last_msg;  // the encoded value message of `value`
  bool persistent() const { return prop_true(props, "persistent"); }
  bool retained() const { return prop_true(props, "retained"); }
  bool cached() const {
    auto it = props.find("cached");
    return !(it != props.end() && it->is_boolean() && !it->get<bool>());
  }
  bool hidden() const { return !name.empty() && name[0] == '$'; }
  // Nothing keeps it: no publisher, neither retained nor persistent, not a meta topic.
  bool unused() const { return publishers <= 0 && !server_owned && !persistent() && !retained(); }
};

struct ClientSub {
  std::vector<std::string> topics;
  bool prefix = false, all = false, topicsonly = false;
  double periodic = 0.1;
  Json options = Json::object();
};

struct TopicState {
  bool announced = false;
  bool values = false;  // some subscription wants its values
  bool all = false;     // ... every one of them
};

// Whether subscription `s` covers topic `t`.
bool sub_matches(const ClientSub& s, const Topic& t);

class TopicStore {
 public:
  Topic* find(const std::string& name);
  Topic* find(int64_t id);
  // A new topic, with the next id.
  Topic& add(const std::string& name, const std::string& type, const Json& props, bool server_owned);
  void erase(int64_t id);
  // Keeps `v`, encoded as `msg`, as the topic's value if the topic is cached and `v` is not older
  // than the value it has.
  void keep_value(Topic& t, Value&& v, int64_t ts, const std::string& msg);

  size_t size() const { return topics_.size(); }
  // The ids of every topic but the meta topics, for walks during which topics come and go.
  std::vector<int64_t> visible_ids() const;
  // Every topic, by id (ids are in creation order).
  std::map<int64_t, Topic>::iterator begin() { return topics_.begin(); }
  std::map<int64_t, Topic>::iterator end() { return topics_.end(); }
  std::map<int64_t, Topic>::const_iterator begin() const { return topics_.begin(); }
  std::map<int64_t, Topic>::const_iterator end() const { return topics_.end(); }

  bool persist_dirty = false;  // a persistent topic changed since the --persist file was read or written

 private:
  int64_t next_id_ = 1;
  std::map<int64_t, Topic> topics_;
  std::unordered_map<std::string, int64_t> by_name_;
};

}  // namespace rvkit::nt::server
