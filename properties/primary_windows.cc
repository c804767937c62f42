#include "properties/primary_windows.h"

#include <algorithm>

#include "engine/check.h"
#include "engine/slot_ranges.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

// Two cron ticks (100 ms each: the ping goes out and PFAIL is noticed at a
// tick), plus the 500 ms by which a gossiped pong time may lie in the
// future and still postpone the ping (clusterProcessGossipSection), plus
// delivery.
constexpr int64_t kMinorityMarginUs = 1'000'000;
constexpr int64_t kStaleMarginUs = 2'000'000;
// Violations of each kind reported per run: the first few say it all.
constexpr size_t kViolationsMax = 10;
// Machines a run may have: the dense tables are N x N (8 MB at 1000).
constexpr int kMachinesMax = 4096;

std::string Ms(int64_t us) { return std::to_string(us / 1000) + " ms"; }
std::string Node(int m) { return "node" + std::to_string(m); }

// The cluster bus's message types, as the Deliver records name them: only
// these refresh a node's data_received for the sender.
bool IsBusMessage(std::string_view t) {
  return t == "PING" || t == "PONG" || t == "MEET" || t == "FAIL" || t == "UPDATE" ||
         t == "FAILOVER_AUTH_REQUEST" || t == "FAILOVER_AUTH_ACK" || t == "MFSTART" ||
         t == "PUBLISH";
}

}  // namespace

PrimaryWindows::PrimaryWindows(int64_t node_timeout_ms)
    : node_timeout_us_(node_timeout_ms * 1000),
      minority_bound_us_(node_timeout_ms * 1000 * 3 / 2 + kMinorityMarginUs),
      stale_bound_us_(node_timeout_ms * 1000 + kStaleMarginUs) {
  SLOTSIM_CHECK(node_timeout_ms > 0);
}

bool PrimaryWindows::Hears(int to, int from) const { return !cut_.count({from, to}); }

bool PrimaryWindows::InMinority(int h, int* reachable, int* size) const {
  *reachable = 1;
  *size = 0;
  for (const auto& [m, s] : machines_) {
    if (!s.primary || !s.owns_slots) continue;
    ++*size;
    if (m != h && s.running && Hears(h, m)) ++*reachable;
  }
  return *reachable < *size / 2 + 1;
}

bool PrimaryWindows::HearsSkewedClock(int h) const {
  for (const auto& [m, s] : machines_)
    if (m != h && s.running && s.clock_faulted && Hears(h, m)) return true;
  return false;
}

void PrimaryWindows::Grow(int m) {
  SLOTSIM_CHECK(m >= 0 && m < kMachinesMax);
  const size_t n = static_cast<size_t>(m) + 1;
  if (last_data_us_.size() >= n) return;
  for (auto* table : {&last_data_us_, &pong_news_us_}) {
    table->resize(n);
    for (auto& row : *table) row.resize(n, 0);
  }
}

void PrimaryWindows::NoteSlotsChanged() {
  // A difference array over the claimed ranges: O(ranges + slots).
  std::vector<int> delta(kClusterSlots + 1, 0);
  for (const auto& [m, s] : machines_)
    if (s.primary)
      for (const auto& [lo, hi] : s.ranges) {
        ++delta[static_cast<size_t>(lo)];
        --delta[static_cast<size_t>(hi) + 1];
      }
  contested_before_.assign(kClusterSlots + 1, 0);
  int claims = 0;
  for (int slot = 0; slot < kClusterSlots; ++slot) {
    claims += delta[static_cast<size_t>(slot)];
    contested_before_[static_cast<size_t>(slot) + 1] =
        contested_before_[static_cast<size_t>(slot)] + (claims > 1 ? 1 : 0);
  }
}

bool PrimaryWindows::Contested(int h) const {
  if (contested_before_.empty()) return false;
  for (const auto& [lo, hi] : machines_.at(h).ranges)
    if (contested_before_[static_cast<size_t>(hi) + 1] > contested_before_[static_cast<size_t>(lo)])
      return true;
  return false;
}

void PrimaryWindows::NoteWindow(const Window& w, int64_t bound_us) {
  if (w.since_us >= 0 && !w.reported)
    next_deadline_us_ = std::min(next_deadline_us_, w.since_us + bound_us);
}

int PrimaryWindows::ReachableReplacement(int h) const {
  if (!Contested(h)) return -1;
  const Machine& me = machines_.at(h);
  for (const auto& [q, s] : machines_) {
    // A new owner with slowed fsyncs tells nobody before its claim is
    // saved (clusterFailoverReplaceYourMaster saves, then broadcasts).
    if (q == h || !s.running || s.slow_fsync || !s.primary ||
        s.config_epoch <= me.config_epoch)
      continue;
    if ((s.slots & me.slots).none()) continue;
    if (Hears(h, q)) return q;
    for (const auto& [m, ms] : machines_)
      if (m != h && m != q && ms.running && !ms.slow_fsync && Hears(h, m) && Hears(m, q))
        return q;
  }
  return -1;
}

int64_t PrimaryWindows::MinorityAnchor(int h, int size) const {
  std::vector<int64_t> anchors;
  const bool known = static_cast<size_t>(h) < last_data_us_.size();
  for (const auto& [q, s] : machines_) {
    if (q == h || !s.primary || !s.owns_slots) continue;
    if (s.running && Hears(h, q)) continue;
    int64_t a = 0;
    if (known && static_cast<size_t>(q) < last_data_us_.size())
      a = std::max(last_data_us_[static_cast<size_t>(h)][static_cast<size_t>(q)],
                   pong_news_us_[static_cast<size_t>(h)][static_cast<size_t>(q)]);
    anchors.push_back(a);
  }
  const size_t k = static_cast<size_t>(size - (size / 2 + 1) + 1);
  if (anchors.size() < k) return -1;
  std::nth_element(anchors.begin(), anchors.begin() + static_cast<long>(k - 1), anchors.end());
  return anchors[k - 1];
}

void PrimaryWindows::Expire(int64_t now_us) {
  if (now_us <= next_deadline_us_) return;
  next_deadline_us_ = INT64_MAX;
  for (auto* kind : {&minority_, &stale_}) {
    const bool minority = kind == &minority_;
    const int64_t bound = minority ? minority_bound_us_ : stale_bound_us_;
    for (auto& [h, w] : *kind) {
      if (w.since_us < 0 || w.reported) continue;
      if (now_us <= w.since_us + bound) {
        NoteWindow(w, bound);
        continue;
      }
      w.reported = true;
      if (violations_.size() >= kViolationsMax) continue;
      violations_.push_back(
          {minority ? "minority-primary-stops-writes" : "replaced-primary-steps-down",
           Node(h) + (minority ? " still cluster_state:ok " : " still claims its slots ") +
               Ms(now_us - w.since_us) + " after " + w.why + " at " + Ms(w.since_us) +
               " (bound " + Ms(bound) + ")",
           now_us,
           {w.seq}});
    }
  }
}

void PrimaryWindows::Evaluate(int64_t now_us, int64_t seq) {
  // Without cuts, who hears whom is the same for every node: count once
  // (O(N) per record rather than O(N^2); issue 16).
  int owners = 0, running_owners = 0, running_skewed = 0;
  for (const auto& [m, s] : machines_) {
    if (s.primary && s.owns_slots) {
      ++owners;
      running_owners += s.running ? 1 : 0;
    }
    running_skewed += s.running && s.clock_faulted ? 1 : 0;
  }
  for (const auto& [h, s] : machines_) {
    const bool eligible =
        s.running && !s.clock_faulted && !s.slow_fsync && s.primary && s.owns_slots;
    int reachable = 0, size = 0;
    Window& mw = minority_[h];
    // A window opens once the node's thread is free of slow fsyncs.
    const int64_t since_us = std::max(now_us, s.fsync_busy_until_us);
    bool in_minority = false, hears_skewed = false;
    if (eligible && s.state_ok) {
      if (cut_.empty()) {
        size = owners;
        reachable = running_owners;  // h itself is one of them
        in_minority = reachable < size / 2 + 1;
        hears_skewed = running_skewed > 0;  // h is not one: it is eligible
      } else {
        in_minority = InMinority(h, &reachable, &size);
        hears_skewed = HearsSkewedClock(h);
      }
    }
    if (in_minority && !hears_skewed) {
      if (mw.since_us < 0)
        mw = {since_us, since_us, seq, false,
              "it could reach only " + std::to_string(reachable) + " of " +
                  std::to_string(size) + " slot-owning primaries"};
      if (!mw.reported) mw.since_us = std::max(mw.opened_us, MinorityAnchor(h, size));
      NoteWindow(mw, minority_bound_us_);
    } else {
      mw = Window{};
    }
    Window& sw = stale_[h];
    const int q = eligible ? ReachableReplacement(h) : -1;
    if (q >= 0) {
      if (sw.since_us < 0)
        sw = {since_us, since_us, seq, false,
              Node(q) + " claimed them with configEpoch " +
                  std::to_string(machines_.at(q).config_epoch) + " > " +
                  std::to_string(s.config_epoch) + " and " + Node(h) + " could hear of it"};
      NoteWindow(sw, stale_bound_us_);
    } else {
      sw = Window{};
    }
  }
}

void PrimaryWindows::OnTrace(const TraceRecord& r) {
  Expire(r.time_us);
  const std::string& k = r.kind;
  if (k == NodeStateRecord::kKind) {
    std::string err;
    auto n = NodeStateRecord::Parse(r.details, &err);
    SLOTSIM_CHECK_MSG(n.has_value(), err.c_str());
    Machine& m = machines_[r.node];
    m.primary = n->primary;
    m.state_ok = n->state_ok;
    m.config_epoch = n->config_epoch;
    auto slots = ParseSlotRanges(n->primary ? n->slots : "");
    SLOTSIM_CHECK_MSG(slots.has_value(), "NodeState: malformed slots");
    m.slots = *slots;
    m.ranges = SlotRanges(m.slots);
    m.owns_slots = m.slots.any();
    NoteSlotsChanged();
  } else if (k == "Crash" || k == "Pause" || k == "BlockingRead") {
    // A node blocked in a synchronous read (MIGRATE) runs no cron and
    // acknowledges nothing, like a paused one; its window restarts after.
    if (r.node >= 0 && machines_.count(r.node)) machines_[r.node].running = false;
  } else if (k == "Restart" || k == "Resume" || k == "BlockingReadEnd" ||
             k == "BlockingReadTimeout") {
    if (r.node >= 0 && machines_.count(r.node)) machines_[r.node].running = true;
  } else if (k == "FsyncLatency") {
    // While every fsync blocks its thread for long, the node runs its
    // cron and reads its messages late: no time bound holds for it.
    DetailsReader d(r.details);
    auto us = d.Int("us"), busy = d.Int("busy_us");
    SLOTSIM_CHECK_MSG(d.ok(), d.error().c_str());
    if (r.node >= 0) {
      machines_[r.node].slow_fsync = *us > 0;
      machines_[r.node].fsync_busy_until_us = r.time_us + *busy;
    }
  } else if (k == "Deliver") {
    // Redis restarts failure detection on any data from a node
    // (clusterProcessPacket sets data_received), even a message a cut
    // held and delivered late (explore migration seed 37); a PONG also
    // clears the pending ping, and its time travels on in gossip.
    if (r.node < 0 || r.peer < 0 || !IsBusMessage(r.msg_type)) return;
    Grow(std::max(r.node, r.peer));
    const auto to = static_cast<size_t>(r.node), from = static_cast<size_t>(r.peer);
    last_data_us_[to][from] = r.time_us;
    auto q = machines_.find(r.peer);
    std::vector<int64_t>& mine = pong_news_us_[to];
    if (r.msg_type == "PONG" && q != machines_.end() && q->second.primary &&
        q->second.owns_slots)
      mine[from] = std::max(mine[from], r.time_us);
    if ((r.msg_type == "PING" || r.msg_type == "PONG" || r.msg_type == "MEET") && to != from) {
      const std::vector<int64_t>& theirs = pong_news_us_[from];
      const int64_t own = mine[to];  // news of the node itself is not kept
      for (size_t p = 0; p < mine.size(); ++p) mine[p] = std::max(mine[p], theirs[p]);
      mine[to] = own;
    }
    // Only this node's anchors moved.
    auto w = minority_.find(r.node);
    int reachable = 0, size = 0;
    if (w != minority_.end() && w->second.since_us >= 0 && !w->second.reported &&
        InMinority(r.node, &reachable, &size))
      w->second.since_us = std::max(w->second.opened_us, MinorityAnchor(r.node, size));
    return;
  } else if (k == "ClockJump" || k == "ClockDrift") {
    if (r.node >= 0) machines_[r.node].clock_faulted = true;
  } else if (k == "Partition" || k == "Heal") {
    DetailsReader d(r.details);
    auto from = d.Int("from"), to = d.Int("to");
    SLOTSIM_CHECK_MSG(d.ok(), d.error().c_str());
    if (k == "Partition") cut_.insert({static_cast<int>(*from), static_cast<int>(*to)});
    else cut_.erase({static_cast<int>(*from), static_cast<int>(*to)});
  } else {
    return;
  }
  Evaluate(r.time_us, r.seq);
}

void PrimaryWindows::Finish(int64_t end_us) { Expire(end_us); }

}  // namespace slotsim
