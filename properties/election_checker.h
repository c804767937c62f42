// Online checkers of the election invariants, fed the trace as it is
// written:
//   "one-vote-per-epoch": no voter's vote reaches two requesters in one
//     epoch (votes counted where they land: VoteReceived);
//   "one-winner-per-epoch": at most one ElectionWon per epoch;
//   "election-won-by-majority": the winner holds votes from distinct
//     voters that are more than half the slot-owning primaries it knew
//     (the size its ElectionWon reports), counted here, not by the engine.
// The engine's currentEpoch/configEpoch invariants join these with the
// checking-core issue.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

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
  // (voter name, epoch) -> requester machine that got the vote.
  std::map<std::pair<std::string, uint64_t>, Seen> votes_;
  std::map<uint64_t, Seen> winners_;  // epoch -> winning machine
  // (requester machine, epoch) -> distinct voters.
  std::map<std::pair<int, uint64_t>, std::set<std::string>> voters_;
  std::map<std::pair<int, uint64_t>, std::vector<int64_t>> vote_seqs_;
  std::vector<Violation> violations_;
  int64_t votes_seen_ = 0, wins_seen_ = 0;
};

// The value of `key` in a "k=v k=v" details string, or "".
std::string DetailValue(const std::string& details, const std::string& key);

}  // namespace slotsim
