// Online checkers of the epoch invariants (REDIS_CLUSTER_NOTES section 9),
// fed each node's NodeState trace records:
//   "current-epoch-monotonic": a node's currentEpoch never decreases,
//     restarts included (it is fsynced before anyone can see it); except
//     that a node that exits (a save failed: clusterSaveConfigOrDie) may
//     come back with the epochs of its last save (ConfigSaved records);
//   "last-vote-epoch-monotonic": likewise lastVoteEpoch;
//   "config-epoch-le-current": a node's configEpoch <= its currentEpoch.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class EpochChecker : public TraceChecker {
 public:
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }
  int64_t states_seen() const { return states_seen_; }

 private:
  struct Seen {
    uint64_t current_epoch = 0;
    uint64_t last_vote_epoch = 0;
    int64_t seq = 0;  // the last NodeState record
  };
  std::map<int, Seen> nodes_;  // by machine index: a restart keeps it
  std::map<int, Seen> saved_;  // the epochs of each machine's last ConfigSaved
  std::vector<Violation> violations_;
  int64_t states_seen_ = 0;
};

}  // namespace slotsim
