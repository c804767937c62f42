// Online checker of slot ownership (REDIS_CLUSTER_NOTES section 9), fed
// each node's NodeState trace records, which carry the slots the node
// itself claims and its configEpoch:
//   "ownership-moves-to-higher-epoch": a primary that newly claims a slot
//     does so with a configEpoch strictly above the epoch of the slot's
//     previous claimant; otherwise the rest of the cluster, which orders
//     claims by configEpoch, may keep the old owner (redis #3442/#3776).
// Not a move, so not judged: the first assignment of an unclaimed slot
// (ADDSLOTS), and what a node claims when it comes back from a restart:
// its nodes.conf may be older than its last state (Redis 7.0 saves
// SETSLOT without fsync), so it may claim slots it gave away, at its old
// epoch. The cluster ignores such a stale claim and UPDATE messages
// correct the node (clusterUpdateSlotsConfigWith only takes a strictly
// higher configEpoch), so it neither counts as a move nor becomes the
// slot's claimant. Nor is the claim of CLUSTER FAILOVER TAKEOVER, which
// bumps without consensus and may tie an epoch won meanwhile; the
// collision rule separates them (primary-config-epochs-distinct).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "engine/cluster_node.h"
#include "properties/checker.h"

namespace slotsim {

class OwnershipChecker : public TraceChecker {
 public:
  OwnershipChecker();
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }
  int64_t moves_seen() const { return moves_seen_; }

 private:
  struct Claim {
    int node = -1;  // machine index; -1: never claimed
    uint64_t epoch = 0;
    int64_t seq = 0;  // the NodeState record of the claim
  };
  std::vector<Claim> last_claim_;      // per slot: the current claimant
  std::map<int, SlotBitmap> claimed_;  // per machine, kept across restarts
  std::map<int, bool> restarted_;      // its next NodeState comes from disk
  std::map<int, bool> takeover_;       // its next claim is a TAKEOVER's
  std::vector<Violation> violations_;
  int64_t moves_seen_ = 0;
};

}  // namespace slotsim
