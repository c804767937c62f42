// The rules a candidate and a voter follow in a replica election, judged
// from their own records (what they knew) and from the simulator's ground
// truth (when the replication link really was down). Each rule is one a
// failover's data loss would otherwise hide: the loss accounting rightly
// forgives a promoted replica that had processed less, so a wrong
// candidate or a wrong vote is only visible here.
//
// - "replica-rank-follows-offsets" (clusterGetSlaveRank): an election's
//   rank counts the siblings whose offset, as the candidate last heard it,
//   is ahead of its own; a manual failover has rank 0. The most
//   up-to-date replica must ask first.
// - "candidate-data-fresh" (clusterHandleSlaveFailover's
//   cluster-replica-validity-factor check): a replica whose link to its
//   primary has been down for longer than node_timeout + repl-ping-period
//   + node_timeout x factor does not schedule or start an election (manual
//   failovers skip the check). The link's downtime comes from the trace:
//   "since ever" after a restart or a promotion until the link is up
//   (Redis's repl_down_since = 0), else from the ReplLinkDown record.
//   Nodes whose clock jumped or drifts are judged only on "since ever".
// - "votes-for-siblings-spaced" (clusterSendFailoverAuthIfNeeded): a voter
//   grants no two replicas of one primary within 2 x node_timeout of its
//   own clock, in one incarnation.
// - "vote-refuses-stale-slot-claims": a voter grants only a request whose
//   claimed slots are owned, in its own table, with configEpochs no higher
//   than the request's configEpoch.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class ElectionRules : public TraceChecker {
 public:
  explicit ElectionRules(const CheckerSettings& settings);

  // Reads ElectionScheduled, ElectionRankUpdated, ElectionStarted,
  // VoteGranted, ReplLinkUp, ReplLinkDown, ReplPromoted, Restart,
  // ClockJump and ClockDrift.
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }

  // Busy time of the cost model between the engine's clock reading and
  // the record's stamp.
  static constexpr int64_t kMarginMs = 500;

 private:
  static constexpr size_t kViolationsMax = 20;
  struct Candidate {
    bool link_up = false;
    bool down_since_ever = true;  // a fresh incarnation has never synced
    int64_t down_since_us = 0;
    bool manual = false;          // the last scheduled election was manual
  };
  void Report(std::string id, std::string message, const TraceRecord& r);
  void JudgeDataAge(const TraceRecord& r, const Candidate& c);

  int64_t node_timeout_ms_;
  int64_t max_data_age_ms_;  // 0: the factor is off
  std::map<int, Candidate> candidates_;  // machine -> link state
  std::set<int> clock_faulted_;
  // (voter machine, primary name) -> the grant's local time and seq.
  std::map<std::pair<int, std::string>, std::pair<int64_t, int64_t>> last_grant_;
  std::vector<Violation> violations_;
};

}  // namespace slotsim
