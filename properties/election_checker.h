// Online checkers of the election invariants, from the voters' side and
// recounted from the trace rather than taken from the winner's word:
//   "one-vote-per-epoch": no primary grants its vote in one of its epochs
//     to two candidates (VoteGranted, the voter's own record: a vote
//     counts whether or not its ACK ever arrived, and across restarts);
//   "one-winner-per-epoch": no two winners of one epoch take the same
//     slots. Redis keeps its once-per-epoch vote per node, so a replica
//     promoted in epoch e may still grant e to another shard's candidate
//     (explore seed 798, faithful to 7.0.15): two winners of e for
//     disjoint slots are Redis's behaviour, and the collision rule then
//     separates their configEpochs;
//   "election-won-by-majority": a winner of epoch e holds grants for e
//     from more than half of the slot-owning primaries, both counted
//     here: grants from voters that were slot-owning primaries when they
//     granted, over the number of distinct primaries that owned slots
//     (the highest-configEpoch claimant of each slot) when it won.
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

class ElectionChecker : public TraceChecker {
 public:
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }
  int64_t votes_seen() const { return votes_seen_; }
  int64_t wins_seen() const { return wins_seen_; }

 private:
  struct Seen {
    int node = -1;
    int64_t seq = 0;  // the trace record
  };
  struct Claim {
    bool primary = false;
    int64_t config_epoch = 0;
    SlotBitmap slots;
  };
  // The slot-owning primaries now: for each slot its highest-configEpoch
  // claimant, counted once per node.
  int SlotOwningPrimaries() const;
  bool OwnsSlots(int machine) const;

  // (voter machine, epoch) -> the candidate machine it granted.
  std::map<std::pair<int, int64_t>, Seen> grants_;
  // (candidate machine, epoch) -> voters that granted it, and their records.
  std::map<std::pair<int, int64_t>, std::set<int>> voters_;
  std::map<std::pair<int, int64_t>, std::vector<int64_t>> grant_seqs_;
  struct Winner {
    int node;
    SlotBitmap slots;  // what it claimed on winning
    int64_t seq;       // its ElectionWon record
  };
  std::map<int64_t, std::vector<Winner>> winners_;           // by epoch
  std::map<int, std::pair<int64_t, int64_t>> pending_win_;   // node -> (epoch, seq)
  std::map<int, Claim> claims_;      // machine -> its latest NodeState
  std::vector<Violation> violations_;
  int64_t votes_seen_ = 0, wins_seen_ = 0;
};

}  // namespace slotsim
