// "node-identity-kept": a node's identity (its 40-hex name) outlives
// crashes, restarts and disk faults; only CLUSTER RESET HARD gives it a new
// one. A node that comes back as a stranger (clusterLoadConfig finding no
// config it could read, and the node starting afresh) has forgotten its
// currentEpoch and its votes, and rejoins as an empty primary: Redis's
// clusterLoadConfig exits on any error but ENOENT for this reason.
//
// Judged from the trace alone: per machine, the name of its first
// NodeStart; a later NodeStart (a fresh identity), or a NodeRestart under
// another name, is a violation unless a ResetHard record renamed it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class IdentityChecker : public TraceChecker {
 public:
  // Reads NodeStart, NodeRestart and ResetHard records.
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }

 private:
  static constexpr size_t kViolationsMax = 20;
  struct Identity {
    std::string name;
    int64_t since_seq = 0;  // the record that gave it
  };
  std::map<int, Identity> identity_;  // machine -> its name now
  std::vector<Violation> violations_;
};

}  // namespace slotsim
