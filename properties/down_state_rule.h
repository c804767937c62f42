// "down-node-refuses-keyed-commands": a node in cluster_state:fail answers
// every keyed command with -CLUSTERDOWN (getNodeByQuery checks the cluster
// state before it looks at the key's slot), so a client operation it
// answered successfully was served while it was ok. Reads are exempt when
// cluster-allow-reads-when-down is on.
//
// Judged from the trace alone: a ClientOp answered "ok" by machine m (its
// peer) is a violation when m's last NodeState at or before the op's start
// (completion - latency) says state=fail and m traced no NodeState, Crash
// or Restart up to the completion. The engine traces NodeState at the end
// of every event that changed its state, so an answer inside such a quiet
// stretch was given with the state the record shows. Without this rule, a
// minority primary that keeps serving its own slots only loses writes the
// loss accounting forgives as stale-primary losses.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class DownStateRule : public TraceChecker {
 public:
  explicit DownStateRule(bool allow_reads_when_down);

  // Reads NodeState, Crash, Restart (the answering node's state over time)
  // and ClientOp (the answer).
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }

 private:
  static constexpr size_t kViolationsMax = 20;
  // One change of a node's state as traced: ok, fail, or unknown (crashed
  // or just restarted, until its next NodeState).
  enum class Health { kOk, kFail, kUnknown };
  struct Change {
    Health health;
    int64_t seq;
  };
  void Note(int machine, int64_t time_us, Health h, int64_t seq);

  bool allow_reads_when_down_;
  // machine -> time_us -> the last change at that time. Kept whole: a node
  // changes state a few times per fault, and an op may start long before
  // it completes.
  std::map<int, std::map<int64_t, Change>> changes_;
  std::vector<Violation> violations_;
};

}  // namespace slotsim
