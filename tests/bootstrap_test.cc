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

TEST(Bootstrap, ExpectedViolationCountsAsPass) {
  auto sc = Bootstrap();
  sc.mutable_topology()->set_bootstrap(scenario::Topology::NONE);
  sc.set_duration_ms(12000);
  sc.mutable_workload()->set_end_ms(12000);
  sc.mutable_expect()->set_outcome(scenario::Expect::VIOLATION);
  sc.mutable_expect()->set_violation("converged-in-time");
  EXPECT_EQ(RunScenario(sc, RunOptions{}).outcome, "pass");
  sc.mutable_expect()->set_violation("some-other-property");
  EXPECT_EQ(RunScenario(sc, RunOptions{}).outcome, "violation");
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
