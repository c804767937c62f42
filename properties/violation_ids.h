// Every property id a run can report. Scenario files name them in
// `expect { violation: ... allow: [...] }`; the loader refuses an id that
// is not here, so that a typo cannot make an expectation unmatchable.
#pragma once

#include <array>
#include <string_view>

namespace slotsim {

inline constexpr std::array<std::string_view, 40> kViolationIds = {{
    "acked-writes-survive",
    "admin-step-completes",
    "aof-fsync-policy-kept",
    "bootstrap-completes",
    "candidate-data-fresh",
    "config-epoch-le-current",
    "converged-in-time",
    "current-epoch-monotonic",
    "down-node-refuses-keyed-commands",
    "election-won-by-majority",
    "election-won-in-time",
    "expected-violation-missing",
    "fail-needs-primary-majority",
    "known-weakness-missing",
    "last-vote-epoch-monotonic",
    "minority-primary-stops-writes",
    "no-memory-leak",
    "node-identity-kept",
    "no-open-slots",
    "no-stray-keys",
    "one-vote-per-epoch",
    "one-winner-per-epoch",
    "one-writer-per-slot-epoch",
    "orphaned-primary-adopted",
    "ops-succeed-after-convergence",
    "ownership-moves-to-higher-epoch",
    "primary-config-epochs-distinct",
    "reads-not-stale",
    "reads-return-written-values",
    "replica-rank-follows-offsets",
    "replaced-primary-steps-down",
    "replicas-match-primary",
    "resources-released",
    "step-fired",
    "unexpected-violations",
    "vote-refuses-stale-slot-claims",
    "votes-for-siblings-spaced",
    "wait-acked-writes-survive",
    "writes-resume-after-disk-recovers",
    "crash",
}};

constexpr bool IsKnownViolationId(std::string_view id) {
  for (std::string_view known : kViolationIds)
    if (known == id) return true;
  return false;
}

}  // namespace slotsim
