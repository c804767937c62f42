// Exploration: the plan generator, the RapidCheck property that the clean
// engine holds every invariant on generated plans, and the shrinker.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "explore/coverage.h"
#include "explore/explore.h"
#include "scenarios/loader.h"

namespace slotsim {
namespace {

// Each simulated property case is a whole run: 15 cases unless RC_PARAMS
// says otherwise (RapidCheck reads it on first use, after this); a fixed
// seed keeps CI reproducible (explore covers the seed space).
const bool kRcParamsSet = [] { return setenv("RC_PARAMS", "max_success=15 seed=1", 0) == 0; }();

// Any generated plan renders to a scenario the loader accepts, with its
// faults in the safety phase and every crash and pause undone.
RC_GTEST_PROP(ExplorePlan, EveryPlanIsAValidScenario, ()) {
  const Plan plan = *GenPlan(PlanProfile{true, true, true});
  const PlanScenario ps = RenderPlan(plan, 1);  // CHECKs that it loads
  int down = 0;
  for (const auto& st : ps.scenario.steps()) {
    // A triggered crash or pause with undo_after_ms undoes itself.
    if ((st.has_crash() || st.has_pause()) && st.undo_after_ms() == 0) ++down;
    // Triggered steps may not come: they must not fail the run then.
    if (st.during_migration() || st.has_after_probe()) RC_ASSERT(st.optional());
    if (st.has_restart() || st.has_resume()) --down;
    if (IsFaultStep(st)) RC_ASSERT(st.at_ms() < ps.scenario.phases().liveness_from_ms());
  }
  RC_ASSERT(down == 0);
  RC_ASSERT(CountFaultSteps(ps.scenario) <= kPlanMaxFaults);
}

TEST(ExplorePlan, ASeedAlwaysDrawsTheSamePlan) {
  for (uint64_t seed : {1u, 2u, 77u}) {
    EXPECT_EQ(RenderPlan(PlanForSeed(seed).value(), seed).text,
              RenderPlan(PlanForSeed(seed).value(), seed).text);
  }
  EXPECT_NE(RenderPlan(PlanForSeed(1).value(), 1).text,
            RenderPlan(PlanForSeed(2).value(), 2).text);
}

// The property `slotsim explore` searches, as RapidCheck runs it: on a
// failure RapidCheck shrinks the plan, and each failing call overwrites
// the counterexample file, so the last one written is the minimal plan.
RC_GTEST_PROP(ExploreClean, GeneratedPlansHoldEveryInvariant, ()) {
  const Plan plan = *GenPlan();
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  const PlanScenario ps = RenderPlan(plan, seed);
  const Verdict v = JudgeInProcess(ps.scenario, seed, {});
  if (v.failed) {
    const std::string path = "explore-counterexample.textproto";
    std::ofstream(path) << "# " << v.violation << ": " << v.message << "\n"
                        << "# Reproduce: " << ReproCommandFor(path, seed, {}) << "\n"
                        << ps.text;
    RC_FAIL("violation " + v.violation + ": " + v.message + "; wrote " + path +
            "; repro: " + ReproCommandFor(path, seed, {}));
  }
}

// The shrinker on a known finding: the off-by-one quorum, found at seed 4
// since explore's workload deletes too (tests/explore_budget_test.sh
// states the budget). The shrunk plan still
// fails the same way, has no more faults than the original, and is the
// same plan whatever the batch size.
TEST(ExploreShrink, ShrinksAFindingAndIgnoresTheBatchSize) {
  const std::vector<std::string> bugs = {"failover-without-majority"};
  const uint64_t seed = 4;
  const rc::Shrinkable<Plan> tree = PlanForSeed(seed);
  const PlanScenario original = RenderPlan(tree.value(), seed);
  const Verdict found = JudgeInProcess(original.scenario, seed, bugs);
  ASSERT_TRUE(found.failed);
  ASSERT_EQ(found.violation, "election-won-by-majority");
  const Judge judge = [&](const scenario::Scenario& s, uint64_t sd) {
    return JudgeInProcess(s, sd, bugs);
  };
  const ShrinkResult one = ShrinkPlan(tree, seed, found.violation, Sequential(judge), 1, 15);
  const ShrinkResult three = ShrinkPlan(tree, seed, found.violation, Sequential(judge), 3, 15);
  const PlanScenario shrunk = RenderPlan(one.plan, seed);
  EXPECT_EQ(shrunk.text, RenderPlan(three.plan, seed).text);
  EXPECT_EQ(one.runs, three.runs);
  EXPECT_GT(one.accepted, 0);
  EXPECT_LE(CountFaultSteps(shrunk.scenario), CountFaultSteps(original.scenario));
  EXPECT_LE(shrunk.text.size(), original.text.size());
  const Verdict again = JudgeInProcess(shrunk.scenario, seed, bugs);
  EXPECT_TRUE(again.failed);
  EXPECT_EQ(again.violation, found.violation);
  // Without the bug the shrunk plan passes: the finding is the bug's.
  EXPECT_FALSE(JudgeInProcess(shrunk.scenario, seed, {}).failed);
}

// A budget of zero runs leaves the plan as it was, marked exhausted.
TEST(ExploreShrink, ZeroBudgetKeepsThePlan) {
  const rc::Shrinkable<Plan> tree = PlanForSeed(5);
  int calls = 0;
  const Judge judge = [&](const scenario::Scenario&, uint64_t) {
    ++calls;
    return Verdict{true, "x", "", {}, ""};
  };
  const ShrinkResult r = ShrinkPlan(tree, 5, "x", Sequential(judge), 1, 0);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.runs, 0);
  EXPECT_EQ(RenderPlan(r.plan, 5).text, RenderPlan(tree.value(), 5).text);
}

// Aimed faults are drawn after everything else: with or without them a
// seed's topology (unless two primaries must fail at once), knobs,
// migrations and faults are the same, so existing seeds keep their plans.
TEST(ExploreAimed, DrawnLastWithoutShiftingOtherDraws) {
  PlanProfile off;
  off.aimed = false;
  std::map<AimedFault::Kind, int> kinds;
  int with_aimed = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const Plan on_plan = PlanForSeed(seed).value();
    const Plan off_plan = PlanForSeed(seed, off).value();
    EXPECT_TRUE(off_plan.aimed.empty());
    Plan stripped = on_plan;
    stripped.aimed.clear();
    stripped.primaries = off_plan.primaries;
    stripped.replicas_per_primary = off_plan.replicas_per_primary;
    EXPECT_EQ(RenderPlan(stripped, seed).text, RenderPlan(off_plan, seed).text) << seed;
    with_aimed += on_plan.aimed.empty() ? 0 : 1;
    for (const auto& a : on_plan.aimed) kinds[a.kind]++;
  }
  // Some plans, not all.
  EXPECT_GT(with_aimed, 40);
  EXPECT_LT(with_aimed, 160);
  EXPECT_GT(kinds[AimedFault::Kind::kAfterProbe], 0);
  EXPECT_GT(kinds[AimedFault::Kind::kPrimariesAtOnce], 0);
  EXPECT_GT(kinds[AimedFault::Kind::kHandoffRestart], 0);
}

// The profiles without crashes pause instead.
TEST(ExploreAimed, NoCrashesWithoutThem) {
  PlanProfile migration;
  ASSERT_TRUE(ProfileByName("migration", &migration));
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const PlanScenario ps = RenderPlan(PlanForSeed(seed, migration).value(), seed);
    for (const auto& st : ps.scenario.steps()) EXPECT_FALSE(st.has_crash()) << seed;
  }
}

// The shrinker can drop an aimed fault like any other part of the plan.
TEST(ExploreAimed, ShrinkerCanDropThem) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const rc::Shrinkable<Plan> tree = PlanForSeed(seed);
    const size_t n = tree.value().aimed.size();
    if (n == 0) continue;
    bool dropped = false;
    rc::Seq<rc::Shrinkable<Plan>> shrinks = tree.shrinks();
    for (int i = 0; i < 500 && !dropped; ++i) {  // bounded walk over the first level
      rc::Maybe<rc::Shrinkable<Plan>> next = shrinks.next();
      if (!next) break;
      dropped = next->value().aimed.size() < n;
    }
    EXPECT_TRUE(dropped) << "seed " << seed;
    return;
  }
  FAIL() << "no seed in 1..200 drew an aimed fault";
}

// An after_probe aimed fault renders to an optional, self-undoing step.
TEST(ExploreAimed, AfterProbeStepsAreOptionalAndUndone) {
  int seen = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const PlanScenario ps = RenderPlan(PlanForSeed(seed).value(), seed);
    for (const auto& st : ps.scenario.steps()) {
      if (!st.has_after_probe()) continue;
      ++seen;
      EXPECT_TRUE(st.optional());
      EXPECT_GT(st.undo_after_ms(), 0);
      EXPECT_LE(st.at_ms() + st.after_probe().within_ms() + st.undo_after_ms(),
                ps.scenario.phases().liveness_from_ms());
    }
  }
  EXPECT_GT(seen, 0);
}

TEST(ProbeCoverage, CountsSeedsAndTheLowestFirst) {
  ProbeCoverage c;
  c.AddSeed(7, {"update-sent", "vote-granted", "update-sent"});
  c.AddSeed(3, {"update-sent", "not-a-probe"});
  c.AddSeed(9, {});
  EXPECT_EQ(c.seeds(), 3);
  EXPECT_EQ(c.SeedsHitting(Probe::kUpdateSent), 2);
  EXPECT_EQ(c.FirstSeed(Probe::kUpdateSent), 3u);
  EXPECT_EQ(c.FirstSeed(Probe::kVoteGranted), 7u);
  EXPECT_FALSE(c.FirstSeed(Probe::kTryAgain));
  EXPECT_EQ(c.Reached(), 2);
  EXPECT_EQ(c.Unreached().size(), kProbeCount - 2);
  const std::string report = c.Report();
  EXPECT_NE(report.find("update-sent"), std::string::npos);
  EXPECT_NE(report.find("unreached (" + std::to_string(kProbeCount - 2)), std::string::npos);
}

}  // namespace
}  // namespace slotsim
