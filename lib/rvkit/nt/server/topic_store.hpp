// rvkit ntserver internals: what the server records of each topic, subscription and client's view
// of a topic (the NT4 spec, "Topics" and "Subscriptions"; docs/nt.md).
//
// Plain data. A Topic keeps its id (never reused), type, properties and publisher count and, when
// `cached`, its last value together with the encoded value message new subscribers get. A ClientSub
// is one subscription of a client; a TopicState is what one client has been told of one topic. They
// are changed only by Server::Impl (server/topics.cpp, server/control.cpp), on the network thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
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

}  // namespace rvkit::nt::server
