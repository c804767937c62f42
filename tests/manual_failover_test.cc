// CLUSTER FAILOVER under write load: the primary pauses writes, the replica
// catches up to the paused offset, wins a FORCEACK election, and no write
// that WAIT confirmed on a replica is lost. TAKEOVER needs no votes.
#include <gtest/gtest.h>

#include "client/cluster_client.h"
#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

constexpr int64_t kNt = 3000;

// A hash tag whose slot node 0 (slots 0-5460) owns.
std::string TagOnNode0() {
  for (int i = 0;; ++i) {
    std::string tag = "t" + std::to_string(i);
    if (KeyHashSlot(tag) <= 5460) return tag;
  }
}

TEST(ManualFailover, NoWaitAcknowledgedWriteIsLost) {
  const std::string tag = TagOnNode0();
  const int slot = KeyHashSlot(tag);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNt, 2), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    ClientOptions opts;
    opts.seeds = c.addrs();
    ClusterClient writer(c.sim(), c.sim().AddMachine("waiter"), 100, opts, nullptr);
    std::vector<std::pair<std::string, std::string>> acked;
    int64_t failover_us = -1, acked_after_failover = 0;
    bool stop = false;
    c.sim().Spawn("waiter", [&] {
      for (int n = 0; !stop && n < 1'000'000; ++n) {
        const std::string key = "{" + tag + "}:" + std::to_string(n);
        const std::string value = "v" + std::to_string(n);
        RespValue r = writer.Execute({"SET", key, value}, key);
        if (r.type == RespValue::Type::kSimple) {
          RespValue w = writer.ExecuteOn(writer.SlotOwner(slot), {"WAIT", "1", "1000"});
          if (w.type == RespValue::Type::kInteger && w.integer >= 1) {
            acked.emplace_back(key, value);
            if (failover_us >= 0) acked_after_failover++;
          }
        }
        c.sim().SleepUs(10'000);
      }
    });
    c.sim().RunUntil(c.sim().now_us() + 2'000'000);
    RespValue ok;
    bool asked = false;
    c.sim().Spawn("failover", [&] {
      ok = c.admin().ExecuteOn(c.addr(3), {"CLUSTER", "FAILOVER"});
      asked = true;
    });
    failover_us = RunUntil(c, c.sim().now_us() + 20'000'000,
                           [&] { return asked && AllSeeOwner(c, slot, 3); });
    ASSERT_EQ(ok.str, "OK");
    ASSERT_GE(failover_us, 0) << "manual failover did not complete";
    c.sim().RunUntil(c.sim().now_us() + 3'000'000);
    stop = true;
    c.sim().RunUntil(c.sim().now_us() + 1'000'000);
    EXPECT_GT(acked.size(), 100u);
    EXPECT_GT(acked_after_failover, 10) << "writes did not resume on the new primary";
    int lost = 0;
    for (const auto& [key, value] : acked) {
      Value* v = const_cast<Keyspace&>(c.node(3)->keyspace()).Find(key);
      if (v == nullptr || v->str() != value) lost++;
    }
    EXPECT_EQ(lost, 0) << "of " << acked.size() << " WAIT-acknowledged writes";
    // The old primary became a replica of the new one.
    EXPECT_EQ(c.node(0)->cluster().myself().primary_name, c.node(3)->cluster().myself().name);
  }
}

TEST(ManualFailover, TakeoverNeedsNoVotes) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimCluster c(HaScenario(3, 1, kNt, 0), seed, true, {});
    ASSERT_TRUE(StartAndSettle(c));
    // Cut node 3 off from every voter: an election could never win.
    for (int j : {1, 2, 4, 5}) c.sim().network().SetPartitioned(3, j, true);
    const uint64_t epoch_before = c.node(3)->cluster().current_epoch();
    RespValue ok;
    c.sim().Spawn("takeover", [&] {
      ok = c.admin().ExecuteOn(c.addr(3), {"CLUSTER", "FAILOVER", "TAKEOVER"});
    });
    c.sim().RunUntil(c.sim().now_us() + 500'000);
    EXPECT_EQ(ok.str, "OK");
    EXPECT_TRUE(c.node(3)->cluster().myself().IsPrimary());
    EXPECT_EQ(c.node(3)->cluster().myself().numslots, 5461);
    EXPECT_GT(c.node(3)->cluster().myself().config_epoch, epoch_before);
    for (int j : {1, 2, 4, 5}) c.sim().network().SetPartitioned(3, j, false);
    EXPECT_GE(RunUntil(c, c.sim().now_us() + 20'000'000, [&] { return AllSeeOwner(c, 0, 3); }), 0);
  }
}

TEST(ManualFailover, RefusalsUseRedisErrors) {
  SimCluster c(HaScenario(3, 1, kNt, 0), 1, true, {});
  ASSERT_TRUE(StartAndSettle(c));
  RespValue on_primary, bad_opt;
  c.sim().Spawn("ask", [&] {
    on_primary = c.admin().ExecuteOn(c.addr(0), {"CLUSTER", "FAILOVER"});
    bad_opt = c.admin().ExecuteOn(c.addr(3), {"CLUSTER", "FAILOVER", "SOON"});
  });
  c.sim().RunUntil(c.sim().now_us() + 500'000);
  EXPECT_EQ(on_primary.str, "ERR You should send CLUSTER FAILOVER to a replica");
  EXPECT_EQ(bad_opt.str, "ERR syntax error");
}

}  // namespace
}  // namespace slotsim
