// The high-availability done-when cases, each over many seeds.
#include <gtest/gtest.h>

#include <cstdio>

#include "client/cluster_create.h"
#include "properties/election_checker.h"
#include "properties/epoch_checker.h"
#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

constexpr int64_t kNt = 3000;  // node_timeout for these tests

// Redis's slave-selection case: of two replicas of a failed primary, the
// one with the larger replication offset is promoted.
TEST(Ha, ReplicaWithBetterOffsetWins) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // Nodes 0-2 primaries; 3 and 6 replicate node 0.
    SimCluster c(HaScenario(3, 2, kNt, 4), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    ASSERT_EQ(c.node(6)->cluster().myself().primary_name, c.node(0)->cluster().myself().name);
    // Node 6 stops hearing node 0 for a while, so its offset falls behind;
    // then node 0 dies with the lagging stream still in the cut link.
    c.sim().network().SetPartitioned(0, 6, true);
    c.sim().RunUntil(c.sim().now_us() + 1'500'000);
    const int64_t behind = c.node(3)->replication().offset() - c.node(6)->replication().offset();
    ASSERT_GT(behind, 0) << "no writes reached the replicas";
    c.Crash(0);
    c.sim().network().SetPartitioned(0, 6, false);
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 30'000'000, [&] { return AllSeeOwner(c, 0, 3); }), 0)
        << "node 3 (offset ahead by " << behind << ") was not promoted";
    EXPECT_TRUE(c.node(6)->cluster().myself().IsReplica());
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 10'000'000,
                       [&] {
                         return c.node(6)->cluster().myself().primary_name ==
                                c.node(3)->cluster().myself().name;
                       }),
              0)
        << "the other replica did not follow the new primary";
  }
}

// Two primaries forced to the same configEpoch end with distinct ones.
TEST(Ha, ConfigEpochCollisionEndsWithDistinctEpochs) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto sc = HaScenario(3, 0, kNt, 0);
    sc.mutable_topology()->set_bootstrap(scenario::Topology::NONE);
    SimCluster c(sc, seed, true, {});
    std::string err;
    c.StartActors(&err);
    bool formed = false;
    c.sim().Spawn("collide", [&] {
      auto ranges = CreateSlotRanges(3);
      for (int i = 0; i < 3; ++i) {
        c.admin().ExecuteOn(c.addr(i), {"CLUSTER", "ADDSLOTSRANGE",
                                        std::to_string(ranges[i].first),
                                        std::to_string(ranges[i].second)});
        c.admin().ExecuteOn(c.addr(i), {"CLUSTER", "SET-CONFIG-EPOCH", "1"});
      }
      for (int i = 1; i < 3; ++i)
        c.admin().ExecuteOn(c.addr(i), {"CLUSTER", "MEET", "127.0.0.1", "7000"});
      formed = true;
    });
    ASSERT_GE(RunUntil(c, 30'000'000, [&] { return formed && Converged(c); }), 0);
    c.sim().RunUntil(c.sim().now_us() + 3'000'000);
    std::set<uint64_t> epochs;
    for (int i = 0; i < 3; ++i) epochs.insert(c.node(i)->cluster().myself().config_epoch);
    EXPECT_EQ(epochs.size(), 3u) << "configEpochs still collide";
    // Every node agrees on every primary's epoch.
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_EQ(c.node(i)->cluster().LookupNode(c.node(j)->cluster().myself().name)->config_epoch,
                  c.node(j)->cluster().myself().config_epoch);
  }
}

// A voter crashes at each side effect around a vote, then restarts from
// its disk: no voter's vote ever reaches two requesters in one epoch, and
// no epoch has two winners.
TEST(Ha, VoterCrashAtEveryPointNeverVotesTwiceInAnEpoch) {
  int elections_won = 0, voter_crashed = 0;
  for (int crash_point = 1; crash_point <= 8; ++crash_point) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE("crash point " + std::to_string(crash_point) + " seed " + std::to_string(seed));
      ElectionChecker checker;
      EpochChecker epochs;  // no epoch may go back across the restart
      // The voter is node 1; arm its crash when the first election starts.
      struct Arm : TraceSink {
        SimCluster* c = nullptr;
        int point = 0;
        bool armed = false;
        void OnTrace(const TraceRecord& r) override {
          if (!armed && r.kind == "ElectionStarted" && c->up(1)) {
            armed = true;
            c->CrashAtSideEffect(1, point);
          }
        }
      } arm;
      arm.point = crash_point;
      SimCluster c(HaScenario(3, 2, kNt, 2), seed, true, {&checker, &epochs, &arm});
      arm.c = &c;
      ASSERT_TRUE(StartAndSettle(c));
      c.Crash(0);
      // Run until node 1 has crashed (or the election passed it by).
      RunUntil(c, c.sim().now_us() + 20'000'000, [&] { return !c.up(1) || AllSeeOwner(c, 0, 3) || AllSeeOwner(c, 0, 6); });
      if (!c.up(1)) {
        voter_crashed++;
        c.sim().RunUntil(c.sim().now_us() + 1'000'000);
        c.Restart(1);
      }
      const int64_t done = RunUntil(c, c.sim().now_us() + 60'000'000, [&] {
        return AllSeeOwner(c, 0, 3) || AllSeeOwner(c, 0, 6);
      });
      EXPECT_GE(done, 0) << "no replica ever took over";
      for (const auto& v : checker.violations()) ADD_FAILURE() << v.id << ": " << v.message;
      for (const auto& v : epochs.violations()) ADD_FAILURE() << v.id << ": " << v.message;
      elections_won += checker.wins_seen() > 0;
    }
  }
  EXPECT_GT(elections_won, 0);
  // The crash must really land in the vote path, or this proves nothing.
  EXPECT_GE(voter_crashed, 20) << "of 24 runs";
  std::printf("voter crashed in %d of 24 runs; elections won in %d\n", voter_crashed,
              elections_won);
}

// A primary cut off in a minority stops acknowledging writes within
// node_timeout plus a margin: it must first notice the others are gone
// (PFAIL needs a ping pending for node_timeout, and a ping is sent at the
// latest node_timeout/2 after the last pong), then its cluster state turns
// FAIL.
TEST(Ha, MinorityPrimaryStopsAcknowledgingWrites) {
  int64_t worst_ms = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNt, 4), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    c.sim().RunUntil(c.sim().now_us() + 2'000'000);
    const int64_t cut_us = c.sim().now_us();
    for (int j = 1; j < c.node_count(); ++j) c.sim().network().SetPartitioned(0, j, true);
    c.sim().RunUntil(cut_us + 20'000'000);
    int64_t last_ack_us = 0;
    for (const auto& op : c.history().ops())
      if (op.node == c.addr(0) && op.command == "SET" && op.outcome == OpOutcome::kOk)
        last_ack_us = std::max(last_ack_us, op.complete_us);
    const int64_t after_ms = (last_ack_us - cut_us) / 1000;
    worst_ms = std::max(worst_ms, after_ms);
    EXPECT_LE(after_ms, kNt + kNt / 2 + 500) << "node 0 acknowledged a write " << after_ms
                                             << " ms after the partition";
    EXPECT_EQ(c.node(0)->cluster().health(), ClusterHealth::kFail);
  }
  std::printf("minority primary: last write acknowledged at most %lld ms after the cut "
              "(node_timeout %lld ms)\n",
              static_cast<long long>(worst_ms), static_cast<long long>(kNt));
}

// After every node crashes and restarts from its disk, the cluster comes
// back with the same slot map, roles and epochs (the configEpoch a node
// shows: a replica saves, and so restarts with, its primary's).
TEST(Ha, FullClusterRestartReconvergesFromDisk) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNt, 2), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    c.sim().RunUntil(c.sim().now_us() + 3'000'000);
    struct NodeView {
      std::string name, primary;
      uint64_t current_epoch, config_epoch;
      std::vector<std::string> owners;
    };
    auto snapshot = [&] {
      std::vector<NodeView> v;
      for (int i = 0; i < c.node_count(); ++i) {
        const Cluster& cl = c.node(i)->cluster();
        NodeView n{cl.myself().name, cl.myself().primary_name, cl.current_epoch(),
                   cl.NodeEpoch(cl.myself()), {}};
        for (int s = 0; s < kClusterSlots; s += 97)
          n.owners.push_back(cl.SlotOwner(s) ? cl.SlotOwner(s)->name : "");
        v.push_back(std::move(n));
      }
      return v;
    };
    auto before = snapshot();
    for (int i = 0; i < c.node_count(); ++i) c.Crash(i);
    c.sim().RunUntil(c.sim().now_us() + 2'000'000);
    for (int i = 0; i < c.node_count(); ++i) c.Restart(i);
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 30'000'000, [&] { return Converged(c); }), 0);
    auto after = snapshot();
    for (int i = 0; i < c.node_count(); ++i) {
      EXPECT_EQ(after[i].name, before[i].name) << "node " << i;
      EXPECT_EQ(after[i].primary, before[i].primary) << "node " << i;
      EXPECT_EQ(after[i].current_epoch, before[i].current_epoch) << "node " << i;
      EXPECT_EQ(after[i].config_epoch, before[i].config_epoch) << "node " << i;
      EXPECT_EQ(after[i].owners, before[i].owners) << "node " << i;
    }
  }
}

}  // namespace
}  // namespace slotsim
