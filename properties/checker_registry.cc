#include "properties/aof_fsync_bound.h"
#include "properties/checker.h"
#include "properties/disk_recovery.h"
#include "properties/down_state_rule.h"
#include "properties/election_checker.h"
#include "properties/election_rules.h"
#include "properties/election_timing.h"
#include "properties/epoch_checker.h"
#include "properties/fail_quorum.h"
#include "properties/identity_checker.h"
#include "properties/ownership_checker.h"
#include "properties/primary_windows.h"

namespace slotsim {

std::vector<std::unique_ptr<TraceChecker>> MakeTraceCheckers(const CheckerSettings& settings) {
  std::vector<std::unique_ptr<TraceChecker>> checkers;
  // First: a node back as a stranger also resets its epochs, and the
  // identity is what went wrong.
  checkers.push_back(std::make_unique<IdentityChecker>());
  checkers.push_back(std::make_unique<ElectionChecker>());
  checkers.push_back(std::make_unique<EpochChecker>());
  checkers.push_back(std::make_unique<OwnershipChecker>());
  checkers.push_back(std::make_unique<PrimaryWindows>(settings.node_timeout_ms));
  checkers.push_back(std::make_unique<AofFsyncBound>(settings));
  checkers.push_back(std::make_unique<FailQuorumChecker>(settings.node_timeout_ms));
  checkers.push_back(std::make_unique<ElectionTiming>(settings.node_timeout_ms));
  checkers.push_back(std::make_unique<ElectionRules>(settings));
  checkers.push_back(std::make_unique<DownStateRule>(settings.allow_reads_when_down));
  checkers.push_back(std::make_unique<DiskRecovery>());
  return checkers;
}

}  // namespace slotsim
