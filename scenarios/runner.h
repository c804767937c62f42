// Runs one scenario with one seed: builds the simulated cluster, drives
// the bootstrap and the workload, observes the ground truth, and judges
// the run against the scenario's expectation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "client/history.h"
#include "engine/probes.h"
#include "properties/violation.h"
#include "scenarios/scenario.pb.h"
#include "sim/trace.h"

namespace slotsim {

struct RunOptions {
  uint64_t seed = 1;
  bool buggify = true;
  std::vector<TraceSink*> sinks;  // receive every trace record in order
  // Tests of the crash path: a failed CHECK at this simulated time.
  int64_t debug_crash_at_us = -1;
  // Tests of `slotsim diff`: perturb the network's randomness at this
  // simulated time (an injected nondeterminism).
  int64_t debug_perturb_at_us = -1;
  // Known bugs to switch back on (engine/bug_zoo.h).
  std::vector<std::string> injected_bugs;
};

struct RunResult {
  // "pass": no property was violated; "expected": a negative scenario
  // showed exactly the violation it expects (plus only those it allows);
  // "violation": anything else (a property failed, an expected violation
  // never showed, or another one showed beside it).
  std::string outcome;
  std::vector<Violation> violations;  // everything detected, expected or not
  // What a violation's checker found but a known weakness of Redis 7.0
  // explains (properties/config_rollback.h): reported, and traced as
  // KnownWeakness records, but not a violation. `id` is the checker's.
  std::vector<Violation> known_weaknesses;
  int64_t sim_us = 0;
  int64_t events = 0;          // trace records
  int64_t sim_events = 0;      // simulator events processed
  uint64_t trace_hash = 0;
  int64_t converged_us = -1;   // since when all nodes agree, to the end; or -1
  int64_t ops = 0, ops_ok = 0;
  // Acknowledged writes lost inside a window Redis Cluster allows
  // (traced as LostWrite records with their cause).
  int64_t lost_writes_allowed = 0;
  // How long some client met an unavailable cluster (first attempts;
  // UnavailableUs in properties/convergence.h).
  int64_t unavailable_us = 0;
  // Code probe hits over all nodes (index: Probe; engine/probes.h).
  std::array<int64_t, kProbeCount> probe_hits{};
  // How many distinct probes fired at least once.
  int ProbesHit() const;
  OpHistory history;
};

RunResult RunScenario(const scenario::Scenario& s, const RunOptions& options);

// Sets result->outcome from result->violations and the scenario's
// expectation; a failed expectation puts its explanation first in
// result->violations ("expected X; also got Y").
// Then checks that every known weakness the scenario names showed.
void JudgeOutcome(const scenario::Expect& expect, int64_t end_us, RunResult* result);
// JudgeOutcome's first part: the violations against outcome, violation
// and allow.
void JudgeExpectedViolations(const scenario::Expect& expect, int64_t end_us, RunResult* result);

// How far some node's wall clock was set back below its own earlier
// reading before `until_us` (clock_jump back, slow clock_drift): Redis's
// cluster timers run on the wall clock, so converged-in-time's bound
// grows by as much.
int64_t WallClockSetBackUs(const scenario::Scenario& s, int64_t until_us);

// True for the outcomes that count as success (exit code 0, a passing
// JUnit case): "pass" and "expected".
inline bool OutcomeSucceeded(const std::string& outcome) {
  return outcome == "pass" || outcome == "expected";
}

// The hash as printed everywhere: 16 lowercase hex digits.
std::string HashHex(uint64_t h);

}  // namespace slotsim
