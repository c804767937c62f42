// Online checkers of the election invariants, from the voters' side and
// recounted from the trace rather than taken from the winner's word:
//   "one-vote-per-epoch": no primary grants its vote in one of its epochs
//     to two candidates (VoteGranted, the voter's own record: a vote
//     counts whether or not its ACK ever arrived, and across restarts);
//   "one-winner-per-epoch": at most one ElectionWon per epoch;
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
#include "properties/violation.h"
#include "sim/trace.h"

namespace slotsim {

class ElectionChecker : public TraceSink {
 public:
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const { return violations_; }
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
  std::map<int64_t, Seen> winners_;  // epoch -> winning machine
  std::map<int, Claim> claims_;      // machine -> its latest NodeState
  std::vector<Violation> violations_;
  int64_t votes_seen_ = 0, wins_seen_ = 0;
};

}  // namespace slotsim
