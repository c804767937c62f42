// Replication end to end: replicas hold exactly their primary's data,
// INFO replication reads as Redis's does, and after a failover the
// sibling replica resyncs partially from the new primary (PSYNC2).
#include <gtest/gtest.h>

#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

struct CountKind : TraceSink {
  std::string kind;
  int count = 0;
  void OnTrace(const TraceRecord& r) override { count += r.kind == kind; }
};

TEST(Replication, ReplicasMatchTheirPrimaryAndInfoReadsLikeRedis) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto sc = HaScenario(3, 1, 3000, 4);
    sc.mutable_workload()->set_ops_per_sec(400);
    sc.mutable_workload()->mutable_mix()->set_incr(20);
    sc.mutable_workload()->mutable_mix()->set_hset(20);
    sc.mutable_workload()->set_end_ms(15'000);
    SimCluster c(sc, seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    c.sim().RunUntil(20'000'000);  // writes stopped at 15 s
    for (int p = 0; p < 3; ++p) {
      const Server& primary = *c.node(p);
      const Server& replica = *c.node(p + 3);
      ASSERT_GT(primary.keyspace().size(), 10);
      EXPECT_EQ(primary.keyspace().SnapshotAsCommands(), replica.keyspace().SnapshotAsCommands());
      EXPECT_EQ(primary.replication().offset(), replica.replication().offset());
      const std::string pinfo = primary.replication().InfoSection(true);
      EXPECT_NE(pinfo.find("role:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=" +
                           std::to_string(7003 + p) + ",state=online,offset="),
                std::string::npos)
          << pinfo;
      const std::string rinfo = replica.replication().InfoSection(false);
      EXPECT_NE(rinfo.find("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" +
                           std::to_string(7000 + p) + "\r\nmaster_link_status:up\r\n"),
                std::string::npos)
          << rinfo;
      EXPECT_NE(rinfo.find("master_repl_offset:" + std::to_string(primary.replication().offset())),
                std::string::npos);
    }
  }
}

TEST(Replication, SiblingResyncsPartiallyAfterFailover) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    CountKind partial;
    partial.kind = "ReplPartialSync";
    SimCluster c(HaScenario(3, 2, 3000, 2), seed, true, {&partial});
    ASSERT_TRUE(StartAndSettle(c));
    const int before = partial.count;
    c.Crash(0);  // replicas 3 and 6 follow node 0
    // Done when one of them owns the slots and the other is in sync with it.
    auto settled = [&] {
      for (auto [winner, sibling] : {std::pair{3, 6}, std::pair{6, 3}})
        if (AllSeeOwner(c, 0, winner) && c.node(sibling)->replication().link_up() &&
            c.node(sibling)->cluster().myself().primary_name ==
                c.node(winner)->cluster().myself().name)
          return true;
      return false;
    };
    ASSERT_GE(RunUntil(c, c.sim().now_us() + 30'000'000, settled), 0);
    EXPECT_GT(partial.count, before) << "the sibling took a full sync";
  }
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

using namespace slotsim::testing;

// READONLY lets a client read from a replica; without it the replica
// redirects to its primary; writes are always redirected.
TEST(Replication, ReadonlyReadsOnAReplica) {
  SimCluster c(HaScenario(3, 1, 3000, 0), 1, true, {});
  ASSERT_TRUE(StartAndSettle(c));
  std::string key;
  for (int i = 0;; ++i) {
    key = "k" + std::to_string(i);
    if (KeyHashSlot(key) <= 5460) break;  // node 0's slots; node 3 replicates it
  }
  RespValue set, plain, ro_ok, ro_get, ro_set;
  c.sim().Spawn("reader", [&] {
    set = c.admin().ExecuteOn(c.addr(0), {"SET", key, "v1"});
    c.sim().SleepUs(100'000);
    plain = c.admin().ExecuteOn(c.addr(3), {"GET", key});
    ro_ok = c.admin().ExecuteOn(c.addr(3), {"READONLY"});
    ro_get = c.admin().ExecuteOn(c.addr(3), {"GET", key});
    ro_set = c.admin().ExecuteOn(c.addr(3), {"SET", key, "v2"});
  });
  c.sim().RunUntil(c.sim().now_us() + 1'000'000);
  EXPECT_EQ(set.str, "OK");
  EXPECT_EQ(plain.str, "MOVED " + std::to_string(KeyHashSlot(key)) + " 127.0.0.1:7000");
  EXPECT_EQ(ro_ok.str, "OK");
  EXPECT_EQ(ro_get.str, "v1");
  EXPECT_EQ(ro_set.str.rfind("MOVED ", 0), 0u) << ro_set.str;
}

}  // namespace
}  // namespace slotsim
