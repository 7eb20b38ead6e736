#include "rvkit/overlay/matcher.hpp"

#include <algorithm>
#include <climits>

namespace rvkit::overlay {

FrameMatcher::Cam& FrameMatcher::cam(const std::string& name, int64_t now) {
  auto it = cams_.find(name);
  if (it == cams_.end()) {
    if (cams_.size() >= o_.max_cams) {  // forget the camera idle longest (one with nothing waiting)
      auto victim = cams_.end();
      for (auto c = cams_.begin(); c != cams_.end(); ++c)
        if (c->second.pending.empty() && (victim == cams_.end() || c->second.last_used < victim->second.last_used))
          victim = c;
      if (victim != cams_.end()) cams_.erase(victim);
    }
    it = cams_.emplace(name, Cam{}).first;
  }
  it->second.last_used = now;
  return it->second;
}

void FrameMatcher::count(Release why) {
  switch (why) {
    case Release::Matched: ++counts_.matched; break;
    case Release::NotExpected: ++counts_.not_expected; break;
    case Release::Superseded: ++counts_.superseded; break;
    case Release::TimedOut: ++counts_.timed_out; break;
    case Release::Overflow: ++counts_.overflow; break;
    case Release::End: ++counts_.end; break;
  }
}

void FrameMatcher::release_head(Cam& c, Release why) {
  Pending& p = c.pending.front();
  ReadyFrame r;
  r.msg = std::move(p.msg);
  r.record = std::move(p.record);
  r.why = r.record ? Release::Matched : why;
  count(r.why);
  ready_.push_back(std::move(r));
  c.pending.pop_front();
  --total_pending_;
}

void FrameMatcher::stop_expecting(Cam& c) {
  c.state = State::NotExpecting;
  for (auto& p : c.pending)
    if (!p.resolved) {
      p.resolved = true;
      p.why = Release::NotExpected;
    }
}

void FrameMatcher::promote(Cam& c, int64_t now) {
  while (!c.pending.empty()) {
    Pending& p = c.pending.front();
    if (p.resolved) {
      release_head(c, p.why);
    } else if (p.deadline <= now) {
      release_head(c, Release::TimedOut);
      stop_expecting(c);  // records are not coming (now): do not make the next frames wait too
    } else {
      break;
    }
  }
}

void FrameMatcher::add_frame(Message&& m, int64_t now) {
  std::string name = m.cam();
  int64_t seq = m.header.value("seq", int64_t(0));
  Cam& c = cam(name, now);
  if (seq <= c.last_frame_seq) {  // the source restarted: its early records are for the old run
    c.early.clear();
  }
  c.last_frame_seq = seq;
  Pending p;
  p.msg = std::move(m);
  p.seq = seq;
  p.arrival = arrivals_++;
  // Records that came before their frame; those for earlier frames will never be used.
  auto early = std::find_if(c.early.begin(), c.early.end(), [&](const RecordPtr& r) { return *r->seq == seq; });
  if (early != c.early.end()) p.record = *early;
  c.early.erase(std::remove_if(c.early.begin(), c.early.end(), [&](const RecordPtr& r) { return *r->seq <= seq; }),
                c.early.end());
  if (p.record) {
    p.resolved = true;
    p.why = Release::Matched;
  } else if (c.state == State::NotExpecting || o_.max_wait_us <= 0) {
    p.resolved = true;
    p.why = Release::NotExpected;
  } else {
    p.deadline = now + o_.max_wait_us;
  }
  c.pending.push_back(std::move(p));
  ++total_pending_;
  promote(c, now);
  // Too many waiting: the oldest (by camera head) goes now, without its record.
  while (total_pending_ > o_.max_pending) {
    Cam* oldest = nullptr;
    for (auto& [n, k] : cams_)
      if (!k.pending.empty() && (!oldest || k.pending.front().deadline < oldest->pending.front().deadline))
        oldest = &k;
    if (!oldest) break;
    release_head(*oldest, Release::Overflow);
    if (oldest->state == State::Unknown) stop_expecting(*oldest);
    promote(*oldest, now);
  }
}

void FrameMatcher::add_record(const RecordPtr& r, int64_t now) {
  if (!r->seq || r->cam.empty()) return;
  int64_t seq = *r->seq;
  Cam& c = cam(r->cam, now);
  c.state = State::Expecting;
  bool matched = false;
  for (auto& p : c.pending) {
    if (p.seq == seq && !p.record) {
      p.record = r;
      p.resolved = true;
      p.why = Release::Matched;
      matched = true;
    } else if (p.seq < seq && !p.resolved) {
      p.resolved = true;
      p.why = Release::Superseded;
    }
  }
  if (!matched) {
    if (seq > c.last_frame_seq || c.last_frame_seq < 0) {
      c.early.push_back(r);
      if (c.early.size() > o_.early_records) c.early.pop_front();
    } else {
      ++counts_.late_records;
    }
  }
  promote(c, now);
}

void FrameMatcher::promote_all(int64_t now, bool everything) {
  for (;;) {
    Cam* next = nullptr;
    for (auto& [n, c] : cams_) {
      if (c.pending.empty()) continue;
      const Pending& p = c.pending.front();
      if (!everything && !p.resolved && p.deadline > now) continue;
      if (!next || p.arrival < next->pending.front().arrival) next = &c;
    }
    if (!next) return;
    Pending& p = next->pending.front();
    if (p.resolved) {
      release_head(*next, p.why);
    } else if (everything) {
      release_head(*next, Release::End);
    } else {
      release_head(*next, Release::TimedOut);
      stop_expecting(*next);
    }
  }
}

void FrameMatcher::expire(int64_t now) { promote_all(now, false); }

void FrameMatcher::release_all() { promote_all(0, true); }

bool FrameMatcher::pop_ready(ReadyFrame& out) {
  if (ready_.empty()) return false;
  out = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

int64_t FrameMatcher::next_deadline() const {
  int64_t d = INT64_MAX;
  for (const auto& [n, c] : cams_)
    for (const auto& p : c.pending)
      if (!p.resolved) {
        d = std::min(d, p.deadline);
        break;  // later frames of a camera never leave before its head
      }
  return d;
}

}  // namespace rvkit::overlay
