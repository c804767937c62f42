// Automatic failover end to end, over many seeds: detection, election,
// promotion, and the old primary's return as a replica.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

constexpr int64_t kNodeTimeoutMs = 3000;

TEST(Failover, CrashedPrimaryIsReplacedAndRejoinsAsReplica) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNodeTimeoutMs), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    // node0 owns slots 0-5460; node3 replicates it.
    ASSERT_EQ(c.node(3)->cluster().myself().primary_name,
              c.node(0)->cluster().myself().name);
    const int64_t crash_us = c.sim().now_us() + 1'000'000;
    c.sim().RunUntil(crash_us);
    c.Crash(0);
    const int64_t promoted_us =
        RunUntil(c, crash_us + 60'000'000, [&] { return AllSeeOwner(c, 0, 3); });
    ASSERT_GE(promoted_us, 0) << "replica never promoted";
    const int64_t took_ms = (promoted_us - crash_us) / 1000;
    std::printf("seed %llu: replica promoted %lld ms after the crash\n",
                static_cast<unsigned long long>(seed), static_cast<long long>(took_ms));
    // Detection: a ping is pending within node_timeout/2 and PFAIL comes
    // node_timeout later; FAIL needs one more gossip round; the election
    // waits 500-999 ms (rank 0); votes take a round trip; the observer
    // samples every 100 ms.
    EXPECT_LE(took_ms, kNodeTimeoutMs * 3 / 2 + 1000 + 1000 + 1000) << "took " << took_ms;
    EXPECT_GE(took_ms, kNodeTimeoutMs) << "took " << took_ms;
    EXPECT_TRUE(c.node(3)->cluster().myself().IsPrimary());
    EXPECT_GT(c.node(3)->cluster().myself().config_epoch, 3u);

    // The old primary comes back from its disk and follows the new owner.
    c.sim().RunUntil(c.sim().now_us() + 5'000'000);
    c.Restart(0);
    const std::string old_name = c.node(0)->cluster().myself().name;
    EXPECT_EQ(c.node(0)->cluster().myself().numslots, 5461)  // as it saved them
        << "nodes.conf did not bring back the old slots";
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 20'000'000,
                       [&] {
                         return c.node(0)->cluster().myself().IsReplica() &&
                                c.node(0)->cluster().myself().primary_name ==
                                    c.node(3)->cluster().myself().name &&
                                Converged(c);
                       }),
              0)
        << "old primary did not rejoin as a replica of the new owner";
    EXPECT_EQ(c.node(0)->cluster().myself().name, old_name);  // same identity
    EXPECT_EQ(c.node(0)->cluster().myself().numslots, 0);
    // Reachable again as a replica, so nobody keeps it flagged FAIL
    // (clearNodeFailureIfNeeded clears replicas at once).
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 10'000'000,
                       [&] {
                         for (int i = 1; i < c.node_count(); ++i)
                           if (c.node(i)->cluster().LookupNode(old_name)->Failed()) return false;
                         return true;
                       }),
              0)
        << "a node still flags the rejoined node FAIL";
  }
}

// A primary frozen (SIGSTOP) longer than node_timeout is failed over like
// a dead one; thawed, it finds its slots taken and follows the new owner.
TEST(Failover, PausedPrimaryIsReplacedAndFollowsWhenResumed) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNodeTimeoutMs), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    c.Pause(0);
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 30'000'000, [&] { return AllSeeOwner(c, 0, 3); }), 0)
        << "the paused primary was not replaced";
    c.Resume(0);
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 20'000'000,
                       [&] {
                         return c.node(0)->cluster().myself().primary_name ==
                                    c.node(3)->cluster().myself().name &&
                                Converged(c);
                       }),
              0)
        << "the resumed primary did not follow the new owner";
  }
}

}  // namespace
}  // namespace slotsim
