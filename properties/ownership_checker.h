// Online checker of slot ownership (REDIS_CLUSTER_NOTES section 9), fed
// each node's NodeState trace records, which carry the slots the node
// itself claims and its configEpoch:
//   "ownership-moves-to-higher-epoch": a primary that newly claims a slot
//     does so with a configEpoch strictly above the epoch of the slot's
//     previous claimant; otherwise the rest of the cluster, which orders
//     claims by configEpoch, may keep the old owner (redis #3442/#3776).
// Not a move, so not judged: the first assignment of an unclaimed slot
// (ADDSLOTS), and a node that comes back from a restart still claiming
// what it claimed before (a stale claim; UPDATE messages resolve it).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "engine/cluster_node.h"
#include "properties/violation.h"
#include "sim/trace.h"

namespace slotsim {

class OwnershipChecker : public TraceSink {
 public:
  OwnershipChecker();
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const { return violations_; }
  int64_t moves_seen() const { return moves_seen_; }

 private:
  struct Claim {
    int node = -1;  // machine index; -1: never claimed
    uint64_t epoch = 0;
    int64_t seq = 0;  // the NodeState record of the claim
  };
  std::vector<Claim> last_claim_;      // per slot: the current claimant
  std::map<int, SlotBitmap> claimed_;  // per machine, kept across restarts
  std::vector<Violation> violations_;
  int64_t moves_seen_ = 0;
};

}  // namespace slotsim
