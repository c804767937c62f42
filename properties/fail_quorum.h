// "fail-needs-primary-majority": a node marks a peer FAIL only on failure
// reports from primaries (clusterProcessGossipSection counts a report only
// when its sender is a master, as the packet's own header says;
// markNodeAsFailingIfNeeded adds the node's own view only if it is a
// master itself). The checker recounts, at each FailSet by N about X with
// quorum q: the machines other than N that had X flagged (PFAIL or FAIL)
// while they were primaries, at some moment within the look-back, plus N
// itself if it is a primary. Fewer than q means reports from replicas (or
// from nobody) were counted.
//
// The look-back is deliberately generous (2 x node_timeout, the report
// validity, plus kHoldMaxUs): a partition or a pause holds gossip, and N
// stamps a report when it arrives, not when it was sent. A generous
// look-back only misses a bug, never accuses a correct engine; the bug it
// guards against (reports from replicas) stays visible, because a flag
// counts only if its holder was a primary at the same moment.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class FailQuorumChecker : public TraceChecker {
 public:
  explicit FailQuorumChecker(int64_t node_timeout_ms);

  // Reads NodeState (roles), PfailSet, FailSet, FailReceived, NodeLearned
  // (failing=1: a flag seen), PfailCleared and FailCleared.
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }

  // Longest a gossip message can be held before delivery: a partition or
  // pause of at most 3.25 x node_timeout in explore, longer in scenarios.
  static constexpr int64_t kHoldMaxUs = 60'000'000;

 private:
  static constexpr size_t kViolationsMax = 20;
  struct Flag {
    bool on = false;
    // The last moment it was on while its holder was a primary.
    int64_t last_primary_on_us = INT64_MIN;  // never
  };
  bool Primary(int machine) const {
    auto it = primary_.find(machine);
    return it != primary_.end() && it->second;
  }
  // The holder's flag about `subject` turns on or off (or is seen for a
  // moment: on and off at once).
  void SetFlag(int machine, const std::string& subject, bool on, int64_t now_us);

  int64_t lookback_us_;
  std::map<int, bool> primary_;  // machine -> primary now
  std::map<std::pair<int, std::string>, Flag> flags_;  // (observer machine, subject name)
  std::vector<Violation> violations_;
};

}  // namespace slotsim
