// How long a primary may go on acknowledging writes it will lose: the two
// windows loss_windows.h forgives as "stale primary", bounded here, in
// every run.
//   "minority-primary-stops-writes": a running slot-owning primary that
//     hears from less than a majority of the slot-owning primaries (cut
//     off by partitions, or the others crashed or paused) reaches
//     cluster_state:fail, and so refuses writes, within
//     1.5 * node_timeout + 1 s of the moment it could last have heard
//     enough of them. Redis marks a peer PFAIL once both its last data
//     and its pending ping are older than node_timeout (clusterCron), and
//     the ping goes out at most node_timeout/2 after the last pong; that
//     pong time is also what other nodes' gossip says of the peer
//     (clusterProcessGossipSection takes a newer one while no ping is
//     pending, up to 500 ms into the future). So each unreachable
//     primary q is counted out from its anchor: the later of the last
//     bus message from q to the node and the newest pong from q the
//     node could have heard of through gossip (a one-way or partial cut
//     leaves others hearing q: explore migration seed 1471); and the
//     node fails once enough of them are out, i.e. from the k-th
//     smallest anchor, k = size - quorum + 1 (explore faults seed 1346:
//     a heal in between restarts a peer's count). clusterUpdateState
//     then fails at once. The second covers the 500 ms, the cron's
//     100 ms ticks and delivery (explore seed 718: a drifted node's
//     gossip delayed a primary's detection to 1.85 x node_timeout).
//   "replaced-primary-steps-down": a primary that still claims a slot
//     another primary claims with a higher configEpoch (it was replaced
//     while paused or cut off) gives the slot up within node_timeout +
//     2 s of being able to hear of it: running, with the new owner
//     running and heard directly or through one other running node.
//     Queued messages usually tell it at once (stale-primary-acks-after-
//     resume: 45 us); otherwise the next ping either way does
//     (node_timeout/2), or a neighbour's, which may itself learn late.
// A node whose wall clock was jumped or drifted is exempt: Redis's
// timeouts run on the wall clock, and a clock set back stretches them; so
// is a node from the minority bound while it hears one whose clock was,
// since gossiped pong times come in the sender's clock. So
// is a node while its fsyncs are slowed: each one blocks its thread, and
// with it the cron and the reading of messages; its windows start over
// when the disk is fast again.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/cluster_node.h"
#include "properties/checker.h"

namespace slotsim {

class PrimaryWindows : public TraceChecker {
 public:
  explicit PrimaryWindows(int64_t node_timeout_ms);

  // Reads NodeState, Crash, Restart, Pause, Resume, BlockingRead(End|
  // Timeout), Partition, Heal, ClockJump, ClockDrift, FsyncLatency and
  // Deliver records.
  void OnTrace(const TraceRecord& r) override;
  // Judges the windows still open at the end of the run.
  void Finish(int64_t end_us) override;
  const std::vector<Violation>& violations() const override { return violations_; }

  int64_t minority_bound_us() const { return minority_bound_us_; }
  int64_t stale_bound_us() const { return stale_bound_us_; }

 private:
  struct Machine {
    bool running = true;
    bool clock_faulted = false;
    bool slow_fsync = false;
    // When the fsyncs charged before the disk became fast again are done:
    // a window cannot open before (the thread reads nothing until then).
    int64_t fsync_busy_until_us = 0;
    bool primary = false;
    bool state_ok = false;
    int64_t config_epoch = 0;
    SlotBitmap slots;
    std::vector<std::pair<int, int>> ranges;  // the same slots, as ranges
    bool owns_slots = false;
    int64_t state_seq = -1;
  };
  // A window: open since `since_us` (record `seq`), reported once. A
  // minority window's since_us moves with its anchors; it never starts
  // before `opened_us`, when the node became eligible.
  struct Window {
    int64_t since_us = -1;
    int64_t opened_us = -1;
    int64_t seq = -1;
    bool reported = false;
    std::string why;  // what opened it, for the message
  };

  // Whether messages from `from` reach `to`. Only what a node receives
  // counts: Redis marks a peer PFAIL when nothing arrives from it
  // (clusterCron's node_delay is the smaller of the ping and the data
  // delays), so a node that still hears a peer keeps it reachable even if
  // its own messages are cut.
  bool Hears(int to, int from) const;
  void Expire(int64_t now_us);
  void Evaluate(int64_t now_us, int64_t seq);
  bool InMinority(int h, int* reachable, int* size) const;
  // When h could last have heard enough slot-owning primaries to stay in
  // the majority (see the file comment), or -1 if it never needed them.
  int64_t MinorityAnchor(int h, int size) const;
  // Whether h hears a node whose wall clock was faulted: its gossiped pong
  // times (in its own clock, accepted up to 500 ms ahead) can postpone
  // h's pings by as much as that clock is ahead (explore seed 1855).
  bool HearsSkewedClock(int h) const;
  // A node claiming one of h's slots with a higher configEpoch from which
  // h can hear, or -1.
  int ReachableReplacement(int h) const;
  // Whether one of h's slots is claimed by another primary too: only then
  // can it have a replacement. From contested_, kept by NoteSlotsChanged.
  bool Contested(int h) const;
  void NoteSlotsChanged();
  // Lowers next_deadline_us_ to a window's deadline.
  void NoteWindow(const Window& w, int64_t bound_us);
  // The dense (to, from) tables below, grown to hold machine m.
  void Grow(int m);

  const int64_t node_timeout_us_;
  const int64_t minority_bound_us_;
  const int64_t stale_bound_us_;
  std::map<int, Machine> machines_;
  std::set<std::pair<int, int>> cut_;  // directed (from, to)
  // The tables below are dense, indexed by machine, since every bus
  // message touches them (issue 16: at 100 nodes, maps here cost a third
  // of the run). 0 means never.
  // [to][from]: when `to` last received a cluster-bus message from `from`.
  std::vector<std::vector<int64_t>> last_data_us_;
  // [node][peer]: the newest time anyone's PONG from peer was received
  // that could have reached node by gossip (relayed on every PING, PONG
  // and MEET; kept for slot-owning primaries only, the ones counted).
  std::vector<std::vector<int64_t>> pong_news_us_;
  // [s]: how many slots below s more than one primary claims (kept by
  // NoteSlotsChanged), so a range's count is one subtraction.
  std::vector<int> contested_before_;
  std::map<int, Window> minority_, stale_;
  // No open, unreported window ends before this: Expire skips the scan
  // until then. It may be early (a window moved later), never late.
  int64_t next_deadline_us_ = INT64_MAX;
  std::vector<Violation> violations_;
};

}  // namespace slotsim
