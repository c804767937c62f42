// The bootstrap scenario end to end: the cluster forms the way
// `redis-cli --cluster create` forms it, converges within a bound, and
// serves the workload.
#include <gtest/gtest.h>

#include <set>

#include "client/cluster_create.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

scenario::Scenario Bootstrap() {
  auto r = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/bootstrap.textproto");
  EXPECT_TRUE(r.ok) << r.error;
  return r.scenario;
}

TEST(Bootstrap, ConvergesWithinBoundAndServesEveryOpAfterwards) {
  auto sc = Bootstrap();
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    RunOptions o;
    o.seed = seed;
    RunResult r = RunScenario(sc, o);
    EXPECT_EQ(r.outcome, "pass") << "seed " << seed;
    EXPECT_TRUE(r.violations.empty()) << r.violations[0].message;
    // Bound: the join poll (1 s), the 2 s writable delay, then the new
    // roles spread with the pings node_timeout/2 forces: node_timeout + 5 s.
    ASSERT_GE(r.converged_us, 0) << "seed " << seed;
    EXPECT_LE(r.converged_us, 20'000'000) << "seed " << seed;
    int after = 0;
    for (const auto& op : r.history.ops()) {
      if (op.invoke_us < r.converged_us) continue;
      ++after;
      EXPECT_EQ(op.outcome, OpOutcome::kOk) << op.command << " " << op.key << " " << op.reply;
    }
    // 4 clients at 200 op/s for ~55 s.
    EXPECT_GT(after, 9000) << "seed " << seed;
  }
}

TEST(Bootstrap, DetectsAClusterThatCannotConverge) {
  // The checker must be able to fail: with no bootstrap the nodes never
  // meet, and the run reports converged-in-time.
  auto sc = Bootstrap();
  sc.mutable_topology()->set_bootstrap(scenario::Topology::NONE);
  sc.set_duration_ms(12000);
  sc.mutable_workload()->set_end_ms(12000);
  RunOptions o;
  RunResult r = RunScenario(sc, o);
  EXPECT_EQ(r.outcome, "violation");
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations[0].id, "converged-in-time");
}

// A negative scenario's run is "expected", never a plain "pass", and only
// when nothing it does not name fired beside its violation.
TEST(Bootstrap, ExpectedViolationIsItsOwnOutcomeAndHidesNothing) {
  auto sc = Bootstrap();
  sc.mutable_topology()->set_bootstrap(scenario::Topology::NONE);
  sc.set_duration_ms(12000);
  sc.mutable_workload()->set_end_ms(12000);
  // Without a bootstrap the nodes never meet: converged-in-time fires,
  // and every client operation fails after the bound as well.
  sc.mutable_expect()->set_outcome(scenario::Expect::VIOLATION);
  sc.mutable_expect()->set_violation("converged-in-time");
  RunResult r = RunScenario(sc, RunOptions{});
  std::set<std::string> ids;
  for (const auto& v : r.violations) ids.insert(v.id);
  if (ids.size() == 1) {
    EXPECT_EQ(r.outcome, "expected");
  } else {
    // Something else fired too: the run must fail and say what.
    EXPECT_EQ(r.outcome, "violation");
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations[0].id, "unexpected-violations");
    EXPECT_NE(r.violations[0].message.find("also got"), std::string::npos);
    // Allowing the others makes it expected again.
    for (const auto& id : ids)
      if (id != "converged-in-time") sc.mutable_expect()->add_allow(id);
    EXPECT_EQ(RunScenario(sc, RunOptions{}).outcome, "expected");
  }
  // Allowing is not requiring, and an allowed id alone is not the
  // expected one.
  sc.mutable_expect()->clear_allow();
  sc.mutable_expect()->add_allow("converged-in-time");
  sc.mutable_expect()->set_violation("no-open-slots");
  RunResult missing = RunScenario(sc, RunOptions{});
  EXPECT_EQ(missing.outcome, "violation");
  ASSERT_FALSE(missing.violations.empty());
  EXPECT_EQ(missing.violations[0].id, "expected-violation-missing");
}

// A named known weakness must show: its absence fails a run that is
// otherwise clean, and its presence never hides a real violation.
TEST(Bootstrap, ANamedKnownWeaknessMustShow) {
  scenario::Expect expect;
  expect.add_known_weakness("no-open-slots");
  RunResult clean;
  JudgeOutcome(expect, 1000, &clean);
  EXPECT_EQ(clean.outcome, "violation");
  ASSERT_EQ(clean.violations.size(), 1u);
  EXPECT_EQ(clean.violations[0].id, "known-weakness-missing");

  RunResult shown;
  shown.known_weaknesses.push_back({"no-open-slots", "slot 5 open again", 1000});
  JudgeOutcome(expect, 1000, &shown);
  EXPECT_EQ(shown.outcome, "pass");
  EXPECT_TRUE(shown.violations.empty());

  RunResult both = shown;
  both.violations.push_back({"no-stray-keys", "keys left behind", 1000});
  JudgeOutcome(expect, 1000, &both);
  EXPECT_EQ(both.outcome, "violation");
  EXPECT_EQ(both.violations[0].id, "no-stray-keys");
}

// A fault that never happens tests nothing: a during_migration crash in
// a run with no migration never fires, and fails the run unless it is
// optional.
TEST(Bootstrap, AStepThatNeverFiresFailsTheRunUnlessOptional) {
  auto sc = Bootstrap();
  auto* st = sc.add_steps();
  st->set_at_ms(10000);
  st->set_during_migration(true);
  st->set_crash(0);
  RunResult r = RunScenario(sc, RunOptions{});
  EXPECT_EQ(r.outcome, "violation");
  bool step_fired = false;
  for (const auto& v : r.violations)
    step_fired |= v.id == "step-fired" && v.message.find("never fired") != std::string::npos;
  EXPECT_TRUE(step_fired);
  st->set_optional(true);
  EXPECT_EQ(RunScenario(sc, RunOptions{}).outcome, "pass");
}

// The planted case: an expected violation beside an unrelated one.
TEST(Bootstrap, ExpectedViolationBesideAnotherFails) {
  scenario::Expect expect;
  expect.set_outcome(scenario::Expect::VIOLATION);
  expect.set_violation("no-open-slots");
  RunResult r;
  r.violations.push_back({"no-open-slots", "slot 7 left open", 1});
  r.violations.push_back({"acked-writes-survive", "key k lost", 1});
  JudgeOutcome(expect, 2, &r);
  EXPECT_EQ(r.outcome, "violation");
  EXPECT_EQ(r.violations[0].message, "expected no-open-slots; also got acked-writes-survive");
  RunResult only;
  only.violations.push_back({"no-open-slots", "slot 7 left open", 1});
  JudgeOutcome(expect, 2, &only);
  EXPECT_EQ(only.outcome, "expected");
  EXPECT_EQ(only.violations.size(), 1u);
}

TEST(CreateSlotRanges, MatchesRedisCli) {
  auto r = CreateSlotRanges(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], std::make_pair(0, 5460));
  EXPECT_EQ(r[1], std::make_pair(5461, 10922));
  EXPECT_EQ(r[2], std::make_pair(10923, 16383));
  auto one = CreateSlotRanges(1);
  EXPECT_EQ(one[0], std::make_pair(0, 16383));
}

}  // namespace
}  // namespace slotsim
