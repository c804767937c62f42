// Swarm exploration and shrinking: every seed draws a plan (explore/plan.h)
// and runs it; a plan that violates a property is shrunk along its
// RapidCheck shrink tree, each candidate re-run with the same seed, until
// no smaller plan fails the same way. The result is an ordinary scenario
// file plus the `slotsim run` command that reproduces it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "explore/plan.h"
#include "scenarios/scenario.pb.h"

namespace slotsim {

// The verdict on one run. A crash (a failed engine CHECK in a forked run)
// is a finding too, with violation "crash".
struct Verdict {
  bool failed = false;
  std::string violation;  // the first violation's id when failed
  std::string message;
  // The code probes the run hit (engine/probes.h names), for coverage.
  std::vector<std::string> probes;
  // The first finding a known weakness of Redis explains (RunResult::
  // known_weaknesses), if any: not a failure, but counted and listed.
  std::string known_weakness;
};

// Runs a scenario with a seed and judges it. In-process or isolated in a
// child process; either way deterministic in (scenario, seed).
using Judge = std::function<Verdict(const scenario::Scenario&, uint64_t seed)>;
// Judges several scenarios (same seed), possibly in parallel; verdicts in
// the order given.
using BatchJudge = std::function<std::vector<Verdict>(
    const std::vector<scenario::Scenario>&, uint64_t seed)>;
// One at a time through `judge`.
BatchJudge Sequential(Judge judge);

// Runs in this process with the given bug-zoo switches; a crash ends the
// process (use a forked judge to survive one).
Verdict JudgeInProcess(const scenario::Scenario& s, uint64_t seed,
                       const std::vector<std::string>& injected_bugs);

// The scenario a plan runs as, rendered to text and loaded back through
// the loader, so that what runs is exactly what a written file holds.
// Named "explore-seed-<seed>".
struct PlanScenario {
  std::string text;
  scenario::Scenario scenario;
};
PlanScenario RenderPlan(const Plan& plan, uint64_t seed);

// A limit on shrinking: each candidate is a full simulated run.
inline constexpr int kDefaultShrinkRuns = 200;

struct ShrinkResult {
  Plan plan;
  // Candidates judged, counted as a sequential search would (a batch's
  // candidates after the accepted one do not count): the same for any
  // batch size.
  int runs = 0;
  int accepted = 0;  // candidates that still failed the same way
  bool exhausted = false;  // stopped by max_runs, not by a local minimum
};

// Greedy descent of the shrink tree: take the first smaller plan that
// fails with the same violation id, repeat until none does or max_runs
// candidates were judged. Candidates are judged `batch` at a time; the
// result does not depend on the batch size.
ShrinkResult ShrinkPlan(const rc::Shrinkable<Plan>& start, uint64_t seed,
                        const std::string& violation, const BatchJudge& judge, int batch,
                        int max_runs,
                        const std::function<void(const ShrinkResult&)>& on_step = {});

// A shrunk counterexample, ready to write and commit.
struct Finding {
  uint64_t seed = 0;
  Verdict verdict;
  int original_fault_steps = 0;
  int fault_steps = 0;
  ShrinkResult shrink;
  std::string file_text;  // the scenario file with an explanatory header
};

// The header lines explaining where a finding came from and how to
// reproduce it from `path`.
std::string FindingFileText(const Finding& f, const std::string& path,
                            const std::vector<std::string>& injected_bugs,
                            const std::string& scenario_text);

// `slotsim run PATH --seed N [--inject-bug B]...`
std::string ReproCommandFor(const std::string& path, uint64_t seed,
                            const std::vector<std::string>& injected_bugs);

}  // namespace slotsim
