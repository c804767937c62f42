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

namespace slotsim {
namespace {

using namespace slotsim::testing;

std::string Field(const std::string& info, const std::string& name) {
  const size_t at = info.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  const size_t from = at + 2 + name.size() + 1;
  return info.substr(from, info.find("\r\n", from) - from);
}

// Whether `addr` appears among CLUSTER SLOTS' nodes.
bool InSlots(const RespValue& slots, uint16_t port) {
  for (const auto& range : slots.elements)
    for (size_t i = 2; i < range.elements.size(); ++i)
      if (range.elements[i].elements.size() > 1 && range.elements[i].elements[1].integer == port)
        return true;
  return false;
}

// 22-replica-in-sync and 28-cluster-shards: a replica loading a full sync
// (made slow by key-load-delay) reports offset 0, so its primary hides it
// from CLUSTER SLOTS and calls it "loading" in CLUSTER SHARDS; it answers
// data commands with -LOADING, says loading:1, and comes back once loaded.
TEST(Replication, AReplicaLoadingAFullSyncIsHiddenUntilLoaded) {
  SimCluster c(HaScenario(3, 1, 3000, 0), 1, true, {});
  ASSERT_TRUE(StartAndSettle(c));
  const std::string primary = c.addr(0), replica = c.addr(3);
  std::string tag;  // a hash tag of node 0's slots (0-5460)
  for (int i = 0; tag.empty(); ++i)
    if (KeyHashSlot("t" + std::to_string(i)) <= 5460) tag = "{t" + std::to_string(i) + "}";
  struct Seen {
    std::string loading_info, after_info, sped_up_info;
    RespValue slots_before, slots_loading, slots_after, shards_loading, get_loading, exec_loading,
        get_after, info_allowed;
  } seen;
  auto& admin = c.admin();
  c.sim().Spawn("test", [&] {
    admin.ExecuteOn(primary, {"DEBUG", "POPULATE", "1000", "key", "100"});
    c.sim().SleepUs(2'000'000);  // replicated; pings carry the offset
    seen.slots_before = admin.ExecuteOn(primary, {"CLUSTER", "SLOTS"});
    admin.ExecuteOn(primary, {"CONFIG", "SET", "repl-backlog-size", "100"});  // 16 KB
    admin.ExecuteOn(replica, {"CONFIG", "SET", "key-load-delay", "4000"});    // ~4 s
    // Drop the replica and overflow the backlog: its reconnect needs a
    // full sync.
    admin.ExecuteOn(primary, {"CLIENT", "KILL", "TYPE", "replica"});
    for (int j = 0; j < 100; ++j)
      admin.ExecuteOn(primary, {"SET", tag + std::to_string(j), std::string(1024, 'A')});
    // The reconnect (1 s cron), the 5 s diskless delay, then loading.
    for (int i = 0; i < 100 && seen.loading_info.empty(); ++i) {
      c.sim().SleepUs(100'000);
      const RespValue info = admin.ExecuteOn(replica, {"INFO", "persistence"});
      if (Field("\r\n" + info.str, "loading") == "1") seen.loading_info = info.str;
    }
    c.sim().SleepUs(1'500'000);  // the primary's next ping gets offset 0 back
    seen.slots_loading = admin.ExecuteOn(primary, {"CLUSTER", "SLOTS"});
    seen.shards_loading = admin.ExecuteOn(primary, {"CLUSTER", "SHARDS"});
    admin.ExecuteOn(replica, {"READONLY"});
    seen.get_loading = admin.ExecuteOn(replica, {"GET", tag + "1"});
    seen.info_allowed = admin.ExecuteOn(replica, {"ROLE"});
    // 28-cluster-shards speeds the load up this way: the keys left load
    // at the new delay.
    admin.ExecuteOn(replica, {"CONFIG", "SET", "key-load-delay", "0"});
    c.sim().SleepUs(100'000);
    seen.sped_up_info = admin.ExecuteOn(replica, {"INFO", "persistence"}).str;
    c.sim().SleepUs(6'000'000);
    seen.after_info = admin.ExecuteOn(replica, {"INFO", "replication"}).str;
    seen.get_after = admin.ExecuteOn(replica, {"GET", tag + "1"});
    seen.slots_after = admin.ExecuteOn(primary, {"CLUSTER", "SLOTS"});
  });
  c.sim().RunUntil(c.sim().now_us() + 30'000'000);
  ASSERT_TRUE(InSlots(seen.slots_before, 7003));
  ASSERT_FALSE(seen.loading_info.empty()) << "the replica never reported loading:1";
  EXPECT_NE(seen.loading_info.find("loading_total_bytes:"), std::string::npos);
  EXPECT_FALSE(InSlots(seen.slots_loading, 7003)) << "a loading replica stays in CLUSTER SLOTS";
  EXPECT_NE(seen.shards_loading.ToString().find("loading"), std::string::npos)
      << seen.shards_loading.ToString();
  EXPECT_EQ(seen.get_loading.str, "LOADING Redis is loading the dataset in memory");
  EXPECT_EQ(seen.info_allowed.type, RespValue::Type::kArray) << "ROLE is allowed while loading";
  EXPECT_EQ(Field("\r\n" + seen.sped_up_info, "loading"), "0")
      << "key-load-delay 0 did not end the load: " << seen.sped_up_info;
  EXPECT_EQ(Field("\r\n" + seen.after_info, "master_link_status"), "up") << seen.after_info;
  EXPECT_EQ(seen.get_after.str, std::string(1024, 'A'));
  EXPECT_TRUE(InSlots(seen.slots_after, 7003));
  EXPECT_EQ(c.node(0)->keyspace().SnapshotAsCommands(), c.node(3)->keyspace().SnapshotAsCommands());
}

}  // namespace
}  // namespace slotsim
