// rvkit hub: the lossless publishers on the hub's ROUTER endpoint, and their credit
// (docs/protocol.md, "Lossless streams" and "The hub").
//
// A recorded publisher (cap --file ... --out hub) is a DEALER speaking the credit protocol:
//   publisher -> hub  ["MSG", topic, header, payload?], ["PING"] (at least every 500 ms while idle or
//                     waiting for credit), ["BYE"] after its last message (its eos)
//   hub -> publisher  ["CREDIT", "<n>"]: permission to send n more MSGs; ["DONE"]: the answer to
//                     BYE (the publisher closes only after it: over TCP an early close loses data)
// The hub grants kFirstCredit on a publisher's first part and 1 more for every MSG it has handed to
// its XPUB, so at most kFirstCredit messages of a publisher wait in the hub. A publisher's first
// message is held until a subscription matching its topic exists downstream: a recorded publisher
// waits for its subscribers, through the hub. After that its messages go out with XPUB_NODROP: a
// full subscriber refuses the send (EAGAIN) and the message waits at the head of its publisher's
// queue, retried on the next turn of the loop, while live traffic and other publishers go on. A
// publisher silent for kVanishUs without BYE has vanished: the hub ends each cam it had published
// with an eos carrying an error (vanished()), and forgets it.
//
// This class is that bookkeeping, with no sockets: `Message` is whatever the caller keeps of a
// message (the proxy: its ZeroMQ parts; the unit tests: strings); sending and granting are the
// caller's callbacks. One thread. Times are microseconds on one monotonic clock.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace rvkit::hub {

// The cam of a topic "TYPE/CAM/", "" when it names none ("nt/").
inline std::string topic_cam(const std::string& topic) {
  auto a = topic.find('/');
  if (a == std::string::npos) return "";
  auto b = topic.find('/', a + 1);
  if (b == std::string::npos) return "";
  return topic.substr(a + 1, b - a - 1);
}

template <class Message>
class LosslessPublishers {
 public:
  static constexpr int kFirstCredit = 8;
  static constexpr int64_t kVanishUs = 3'000'000;

  struct Vanished {
    std::string id;
    std::set<std::string> cams;  // its cams without their own eos yet
    std::map<std::string, uint64_t> lost;  // topic -> messages still queued, now lost
  };

  // Any part from `id` at `now_us`: returns the credit to grant now (kFirstCredit to a publisher
  // the hub did not know, else 0).
  int heard(const std::string& id, int64_t now_us) {
    auto [it, is_new] = publishers_.try_emplace(id);
    it->second.last_heard_us = now_us;
    return is_new ? kFirstCredit : 0;
  }
  // A MSG from `id` (heard() first). Beyond its credit it is still queued: the credit bounds a
  // well-behaved publisher, a misbehaving one is only counted.
  void message(const std::string& id, std::string topic, Message m) {
    Publisher& p = publishers_[id];
    p.topics.insert(topic);
    std::string cam = topic_cam(topic);
    if (!cam.empty() && topic.rfind("eos/", 0) != 0) p.cams.insert(cam);
    p.queue.push_back({std::move(topic), std::move(m)});
  }
  // BYE from `id`: it is forgotten once its queue is out.
  void bye(const std::string& id) {
    auto it = publishers_.find(id);
    if (it == publishers_.end()) return;
    it->second.bye = true;
    if (it->second.queue.empty()) publishers_.erase(it);
  }

  // Hands queued messages over: for each publisher, its queue's head while the head may go
  // (`subscribed(topic)` once, for the first message) and `send(topic, message)` accepts it (true;
  // false: refused, EAGAIN, `retry(topic)` is called and that publisher waits for the next pump).
  // `grant(id, n)` gives back the credit of what went out.
  template <class Subscribed, class Send, class Retry, class Grant>
  void pump(Subscribed subscribed, Send send, Retry retry, Grant grant) {
    for (auto it = publishers_.begin(); it != publishers_.end();) {
      Publisher& p = it->second;
      int sent = 0;
      while (!p.queue.empty()) {
        Pending& head = p.queue.front();
        if (!p.released && !subscribed(head.topic)) break;
        if (!send(head.topic, head.message)) {
          retry(head.topic);
          break;
        }
        p.released = true;
        if (head.topic.rfind("eos/", 0) == 0) p.cams.erase(topic_cam(head.topic));
        p.queue.pop_front();
        ++sent;
      }
      if (sent && !p.bye) grant(it->first, sent);
      if (p.bye && p.queue.empty())
        it = publishers_.erase(it);
      else
        ++it;
    }
  }

  // Publishers silent for kVanishUs at `now_us` without BYE, removed. (One that said BYE stays
  // until its queue is out: only a stuck subscriber holds it, and then at most its credit's worth.)
  std::vector<Vanished> vanished(int64_t now_us) {
    std::vector<Vanished> out;
    for (auto it = publishers_.begin(); it != publishers_.end();) {
      if (it->second.bye || now_us - it->second.last_heard_us < kVanishUs) {
        ++it;
        continue;
      }
      Vanished v{it->first, std::move(it->second.cams), {}};
      for (const Pending& m : it->second.queue) ++v.lost[m.topic];
      out.push_back(std::move(v));
      it = publishers_.erase(it);
    }
    return out;
  }

  bool has_queued() const {
    for (const auto& [id, p] : publishers_)
      if (!p.queue.empty()) return true;
    return false;
  }
  // Topic -> how many known publishers have sent it.
  std::map<std::string, int> publishers_per_topic() const {
    std::map<std::string, int> out;
    for (const auto& [id, p] : publishers_)
      for (const std::string& t : p.topics) ++out[t];
    return out;
  }
  size_t size() const { return publishers_.size(); }
  size_t queued(const std::string& id) const {
    auto it = publishers_.find(id);
    return it == publishers_.end() ? 0 : it->second.queue.size();
  }

 private:
  struct Pending {
    std::string topic;
    Message message;
  };
  struct Publisher {
    int64_t last_heard_us = 0;
    bool released = false;  // its first message went out (it had a subscriber)
    bool bye = false;
    std::deque<Pending> queue;
    std::set<std::string> cams, topics;
  };
  std::map<std::string, Publisher> publishers_;
};

}  // namespace rvkit::hub
