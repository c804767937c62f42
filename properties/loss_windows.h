// The windows in which Redis Cluster may lose an acknowledged write, read
// from the trace (REDIS_CLUSTER_NOTES: writes are replicated
// asynchronously, and the cluster gives up the minority side's writes):
//   - a node that held the slot after the ack was demoted (a failover
//     replaced it: whatever its replicas had not received is gone, and a
//     primary cut off in a minority keeps acknowledging until
//     node_timeout, then rejoins as a replica and drops those writes);
//   - a node that held the slot after the ack crashed and either came
//     back from a disk without every write (no AOF, or not fsynced per
//     write) or never came back (its replica took over).
// "Held the slot" means: the node that acknowledged the write, or any
// primary that claimed the slot at or after the ack (a migration moves
// the key to its target; the target's failover may lose it in turn).
// A loss outside these windows is a violation ("acked-writes-survive").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/cluster_node.h"
#include "sim/trace.h"

namespace slotsim {

class LossWindows : public TraceSink {
 public:
  // durable_restarts: every node runs AOF with appendfsync always, so a
  // restart brings back every acknowledged write.
  explicit LossWindows(bool durable_restarts) : durable_restarts_(durable_restarts) {}

  // Reads NodeState (claims, role changes), Crash and Restart records.
  void OnTrace(const TraceRecord& r) override;

  // Why a write to `slot` acknowledged by machine `acker` at `acked_us`
  // may have been lost, in words; empty if no window allows it.
  std::string LossAllowed(int acker, int slot, int64_t acked_us) const;

 private:
  struct Machine {
    std::vector<std::pair<int64_t, SlotBitmap>> claims;  // on each change
    std::vector<int64_t> demotions;                      // primary -> replica
    std::vector<int64_t> crashes, restarts;
    bool primary = false;
    bool seen = false;
  };
  bool HeldAfter(const Machine& m, int slot, int64_t t) const;

  bool durable_restarts_;
  std::map<int, Machine> machines_;
};

}  // namespace slotsim
