// "election-won-in-time": a replica wins only an election that has not
// expired. clusterHandleSlaveFailover returns before counting votes once
// the election is older than auth_timeout = max(2 x node_timeout, 2 s),
// measured from the scheduled start, and the request leaves no earlier than
// that start; so an ElectionWon comes at most auth_timeout after the same
// node's ElectionStarted. Late votes that still win let a replica take its
// slots after a sibling may have won a higher epoch.
//
// Exempt: a node whose clock jumped or drifts (its timers and the trace's
// time disagree). A margin of kMarginUs covers the cost model's busy time
// between the trace stamps.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class ElectionTiming : public TraceChecker {
 public:
  explicit ElectionTiming(int64_t node_timeout_ms);

  // Reads ElectionStarted, ElectionWon, ClockJump, ClockDrift and Restart.
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }

  static constexpr int64_t kMarginUs = 500'000;

 private:
  static constexpr size_t kViolationsMax = 20;
  int64_t bound_us_;
  std::map<int, std::pair<int64_t, int64_t>> started_;  // machine -> (time, seq)
  std::set<int> clock_faulted_;
  std::vector<Violation> violations_;
};

}  // namespace slotsim
