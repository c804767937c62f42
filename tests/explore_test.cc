// Exploration: the plan generator, the RapidCheck property that the clean
// engine holds every invariant on generated plans, and the shrinker.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

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
    if (st.has_crash() || st.has_pause()) ++down;
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
    return Verdict{true, "x", "", {}};
  };
  const ShrinkResult r = ShrinkPlan(tree, 5, "x", Sequential(judge), 1, 0);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.runs, 0);
  EXPECT_EQ(RenderPlan(r.plan, 5).text, RenderPlan(tree.value(), 5).text);
}

}  // namespace
}  // namespace slotsim
