// Lists and key expiry where they meet the cluster, on simulated nodes:
// a replica hides an expired key but keeps it until its primary's DEL,
// TTLs survive a full sync, MIGRATE, an atomic slot migration, a restart
// from the AOF and one from SAVE's dump (Redis's 14-consistency-check).
#include <gtest/gtest.h>

#include "engine/dump.h"
#include "engine/server.h"
#include "tests/ha_harness.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using testing::RawConn;

using testing::Quiet;

EngineConfig NodeConfig(int i) {
  EngineConfig cfg;
  cfg.port = static_cast<uint16_t>(7000 + i);
  cfg.repl_diskless_sync_delay_ms = 0;  // as Redis's test suite runs
  return cfg;
}

// A primary on 7000 owning every slot and, if `replica`, a replica of it
// on 7001; both up and (the replica) synced. Machines 0 and 1.
class PairTest : public ::testing::Test {
 protected:
  PairTest() : sim_(Quiet()) {}
  void StartPair(bool replica, bool appendonly = false) {
    for (int i = 0; i < 2; ++i) {
      machines_[i] = sim_.AddMachine("node" + std::to_string(i));
      cfg_[i] = NodeConfig(i);
      cfg_[i].appendonly = appendonly;
      servers_[i] = std::make_unique<Server>(sim_.env(machines_[i]), cfg_[i]);
      ASSERT_TRUE(servers_[i]->Start());
    }
    a_ = std::make_unique<RawConn>(sim_, "client-a");
    b_ = std::make_unique<RawConn>(sim_, "client-b");
    a_->Connect(7000);
    b_->Connect(7001);
    ASSERT_EQ(a_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
    ASSERT_EQ(a_->Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
    a_->Replies(1000);
    if (replica) Replicate();
    a_->Replies(2500);  // past the writable delay; the replica has synced
  }
  void Replicate() {
    ASSERT_EQ(b_->Call({"CLUSTER", "REPLICATE", Id(0)}).str, "OK");
    a_->Replies(1500);
    ASSERT_TRUE(servers_[1]->replication().link_up());
  }
  std::string Id(int i) { return servers_[i]->cluster().myself().name; }
  const Keyspace& Ks(int i) { return servers_[i]->keyspace(); }
  int64_t Now(int i) { return sim_.env(machines_[i]).NowMs(); }
  // Crashes node i (after a clean shutdown if `clean`, as SIGTERM does)
  // and starts a new engine over its disk.
  void Restart(int i, bool clean, int64_t down_ms) {
    if (clean) servers_[i]->PrepareForShutdown();
    sim_.Crash(machines_[i]);
    servers_[i].reset();
    sim_.RunUntil(sim_.now_us() + down_ms * 1000);
    sim_.Restart(machines_[i]);
    servers_[i] = std::make_unique<Server>(sim_.env(machines_[i]), cfg_[i]);
    ASSERT_TRUE(servers_[i]->Start()) << servers_[i]->start_error();
    auto& c = i == 0 ? a_ : b_;
    // The old client's machine still delivers its connection's close.
    retired_.push_back(std::move(c));
    c = std::make_unique<RawConn>(sim_, "client-" + std::to_string(i) + "-" +
                                            std::to_string(restarts_++));
    c->Connect(static_cast<uint16_t>(7000 + i));
  }

  Simulation sim_;
  int machines_[2] = {};
  EngineConfig cfg_[2];
  std::unique_ptr<Server> servers_[2];
  std::unique_ptr<RawConn> a_, b_;
  std::vector<std::unique_ptr<RawConn>> retired_;
  int restarts_ = 0;
};

// 7.0's expireIfNeeded on a replica: a read of an expired key answers
// nil, the key stays (DBSIZE counts it) until the primary's DEL, which
// lazy expiry (a command meeting it) or the active cycle sends.
TEST_F(PairTest, ReplicaHidesAnExpiredKeyUntilThePrimarysDel) {
  StartPair(/*replica=*/true, /*appendonly=*/true);
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).str, "OK");
  EXPECT_EQ(a_->Call({"SET", "k", "v", "PX", "1000"}).str, "OK");
  EXPECT_EQ(a_->Call({"SETEX", "k2", "1", "v"}).str, "OK");
  EXPECT_EQ(a_->Call({"RPUSH", "l", "a", "b"}).integer, 2);
  EXPECT_EQ(a_->Call({"PEXPIRE", "l", "1000"}).integer, 1);
  a_->Replies(100);
  // Relative expires travel as absolute times: the replica holds the
  // primary's very expire time, and so does the AOF.
  for (const char* k : {"k", "k2", "l"}) {
    EXPECT_GT(Ks(0).GetExpire(k), 0) << k;
    EXPECT_EQ(Ks(1).GetExpire(k), Ks(0).GetExpire(k)) << k;
  }
  const std::string aof = sim_.disk(machines_[0]).Read("appendonly.aof").value_or("");
  EXPECT_NE(aof.find("PXAT"), std::string::npos);
  EXPECT_NE(aof.find("PEXPIREAT"), std::string::npos);
  EXPECT_EQ(aof.find("SETEX"), std::string::npos);
  EXPECT_EQ(b_->Call({"READONLY"}).str, "OK");
  EXPECT_EQ(b_->Call({"GET", "k"}).str, "v");
  EXPECT_EQ(b_->Call({"LRANGE", "l", "0", "-1"}).elements.size(), 2u);
  a_->Replies(1100);  // every one has expired now
  EXPECT_EQ(b_->Call({"GET", "k"}).type, RespValue::Type::kNullBulk);
  EXPECT_EQ(b_->Call({"TTL", "k"}).integer, -2);
  EXPECT_EQ(b_->Call({"LLEN", "l"}).integer, 0);
  EXPECT_EQ(b_->Call({"EXISTS", "k", "k2", "l"}).integer, 0);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 3);  // kept, waiting for DELs
  EXPECT_NE(Ks(1).Find("k"), nullptr);
  // With active expiry off, nothing has gone on the primary either.
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 3);
  // A read on the primary expires the key there and sends the DEL.
  EXPECT_EQ(a_->Call({"GET", "k"}).type, RespValue::Type::kNullBulk);
  a_->Replies(100);
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 2);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 2);
  EXPECT_EQ(Ks(1).Find("k"), nullptr);
  // The active cycle takes the rest once it may.
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}).str, "OK");
  a_->Replies(300);
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 0);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 0);
  EXPECT_EQ(Ks(1).expires(), 0);
  // The primary's AOF says DEL for each.
  const std::string aof2 = sim_.disk(machines_[0]).Read("appendonly.aof").value_or("");
  size_t dels = 0;
  for (size_t p = aof2.find("$3\r\nDEL\r\n"); p != std::string::npos; p = aof2.find("$3\r\nDEL\r\n", p + 1))
    ++dels;
  EXPECT_EQ(dels, 3u);
}

// A full sync's snapshot carries lists and expire times, and keys that
// have expired but not been deleted: the replica keeps those too.
TEST_F(PairTest, TtlsAndListsSurviveAFullSync) {
  StartPair(/*replica=*/false);
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).str, "OK");
  EXPECT_EQ(a_->Call({"SET", "s", "v", "EX", "100"}).str, "OK");
  EXPECT_EQ(a_->Call({"HSET", "h", "f", "v"}).integer, 1);
  EXPECT_EQ(a_->Call({"EXPIRE", "h", "50"}).integer, 1);
  EXPECT_EQ(a_->Call({"RPUSH", "l", "a", "b", "c"}).integer, 3);
  EXPECT_EQ(a_->Call({"PEXPIRE", "l", "70000"}).integer, 1);
  EXPECT_EQ(a_->Call({"SET", "plain", "v"}).str, "OK");
  EXPECT_EQ(a_->Call({"SET", "gone", "v", "PX", "10"}).str, "OK");
  a_->Replies(100);
  Replicate();
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 5);
  for (const char* k : {"s", "h", "l", "plain", "gone"})
    EXPECT_EQ(Ks(1).GetExpire(k), Ks(0).GetExpire(k)) << k;
  EXPECT_EQ(Ks(1).GetExpire("plain"), -1);
  EXPECT_EQ(Ks(1).expires(), 4);
  EXPECT_EQ(b_->Call({"READONLY"}).str, "OK");
  RespValue l = b_->Call({"LRANGE", "l", "0", "-1"});
  ASSERT_EQ(l.elements.size(), 3u);
  EXPECT_EQ(l.elements[2].str, "c");
  EXPECT_EQ(b_->Call({"GET", "gone"}).type, RespValue::Type::kNullBulk);
  EXPECT_EQ(b_->Call({"DEBUG", "DIGEST"}).str, a_->Call({"DEBUG", "DIGEST"}).str);
  EXPECT_NE(b_->Call({"INFO", "keyspace"}).str.find("db0:keys=5,expires=4,"), std::string::npos);
  // DIGEST-VALUE tells a key with a TTL from the same key without one.
  const std::string with_ttl = a_->Call({"DEBUG", "DIGEST-VALUE", "s"}).elements.at(0).str;
  EXPECT_EQ(a_->Call({"PERSIST", "s"}).integer, 1);
  EXPECT_NE(a_->Call({"DEBUG", "DIGEST-VALUE", "s"}).elements.at(0).str, with_ttl);
}

// MIGRATE sends each key's remaining TTL (relative, at least 1 ms), which
// the target makes absolute on its clock; an expired key is not sent.
TEST_F(PairTest, MigrateCarriesListsAndTtls) {
  StartPair(/*replica=*/false);
  const std::string slot = std::to_string(KeyHashSlot("l"));
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).str, "OK");
  EXPECT_EQ(a_->Call({"RPUSH", "l", "a", "b", "c"}).integer, 3);
  EXPECT_EQ(a_->Call({"EXPIRE", "l", "100"}).integer, 1);
  EXPECT_EQ(a_->Call({"SET", "{l}s", "v"}).str, "OK");
  EXPECT_EQ(a_->Call({"SET", "{l}gone", "v", "PX", "5"}).str, "OK");
  const int64_t when = Ks(0).GetExpire("l");
  EXPECT_EQ(b_->Call({"CLUSTER", "SETSLOT", slot, "IMPORTING", Id(0)}).str, "OK");
  EXPECT_EQ(a_->Call({"CLUSTER", "SETSLOT", slot, "MIGRATING", Id(1)}).str, "OK");
  a_->Replies(100);
  EXPECT_EQ(a_->Call({"MIGRATE", "127.0.0.1", "7001", "{l}gone", "0", "5000"}).str, "NOKEY");
  EXPECT_EQ(Ks(0).Find("{l}gone"), nullptr);  // expired by the lookup
  EXPECT_EQ(a_->Call({"MIGRATE", "127.0.0.1", "7001", "", "0", "5000", "KEYS", "l", "{l}s"}).str,
            "OK");
  EXPECT_EQ(Ks(0).Find("l"), nullptr);
  const Value* l = Ks(1).Find("l");
  ASSERT_NE(l, nullptr);
  ASSERT_TRUE(l->IsList());
  EXPECT_EQ(l->list(), (ListValue{"a", "b", "c"}));
  // The same instant on one clock, give or take the trip.
  EXPECT_NEAR(static_cast<double>(Ks(1).GetExpire("l") - Now(1)),
              static_cast<double>(when - Now(0)), 50.0);
  EXPECT_EQ(Ks(1).GetExpire("{l}s"), -1);
}

// The AOF replays SET ... PXAT and PEXPIREAT as the same absolute times;
// a key that expired while the node was down is loaded (loading never
// expires) and goes at its first lookup.
TEST_F(PairTest, TtlsSurviveARestartFromTheAof) {
  StartPair(/*replica=*/false, /*appendonly=*/true);
  EXPECT_EQ(a_->Call({"SETEX", "k", "100", "v"}).str, "OK");
  EXPECT_EQ(a_->Call({"RPUSH", "l", "a"}).integer, 1);
  EXPECT_EQ(a_->Call({"EXPIRE", "l", "1"}).integer, 1);
  EXPECT_EQ(a_->Call({"SET", "p", "v", "PX", "500"}).str, "OK");
  EXPECT_EQ(a_->Call({"PERSIST", "p"}).integer, 1);
  const int64_t k_when = Ks(0).GetExpire("k");
  Restart(0, /*clean=*/true, /*down_ms=*/2000);
  EXPECT_EQ(Ks(0).GetExpire("k"), k_when);
  EXPECT_EQ(Ks(0).GetExpire("p"), -1);
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 3);  // l too, expired while down
  a_->Replies(3000);  // the cluster is up again; the active cycle ran
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 2);
  EXPECT_EQ(a_->Call({"LLEN", "l"}).integer, 0);
  EXPECT_EQ(a_->Call({"GET", "p"}).str, "v");
}

// Redis's tests/cluster/tests/14-consistency-check.tcl with appendonly
// no, in simulation: a replica SAVEs, stops (SIGTERM), its keys expire
// while it is down, and it comes back with them, until its primary's DELs.
TEST_F(PairTest, AReplicaRestartedFromItsDumpKeepsExpiredKeys) {
  StartPair(/*replica=*/true);
  for (int j = 100; j < 110; ++j)
    EXPECT_EQ(a_->Call({"SETEX", "key_expire." + std::to_string(j), "3", "x"}).str, "OK");
  EXPECT_EQ(a_->Call({"SET", "stays", "x"}).str, "OK");
  a_->Replies(100);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 11);
  EXPECT_EQ(b_->Call({"SAVE"}).str, "OK");
  // A crash right after SAVE keeps the dump: it was fsynced and renamed
  // durably. (No clean shutdown here, so no second save covers for it.)
  Restart(1, /*clean=*/false, /*down_ms=*/0);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 11);
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).str, "OK");
  Restart(1, /*clean=*/true, /*down_ms=*/3500);
  // Loaded with the expired ones: a replica keeps what its primary has
  // not deleted.
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 11);
  EXPECT_EQ(Ks(1).expires(), 10);
  b_->Replies(2000);  // resynced with the primary
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 11);
  EXPECT_EQ(a_->Call({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}).str, "OK");
  a_->Replies(500);
  EXPECT_EQ(b_->Call({"DBSIZE"}).integer, 1);
}

// A primary loading its dump drops keys already expired (rdbLoad skips
// them on a master); a file that is not our dump stops the start.
TEST_F(PairTest, APrimaryLoadingItsDumpDropsExpiredKeys) {
  StartPair(/*replica=*/false);
  EXPECT_EQ(a_->Call({"SET", "k", "v", "PX", "1000"}).str, "OK");
  EXPECT_EQ(a_->Call({"RPUSH", "l", "a", "b"}).integer, 2);
  EXPECT_EQ(a_->Call({"SET", "t", "v", "EX", "1000"}).str, "OK");
  const int64_t t_when = Ks(0).GetExpire("t");
  EXPECT_EQ(a_->Call({"SAVE"}).str, "OK");
  Restart(0, /*clean=*/false, /*down_ms=*/2000);
  EXPECT_EQ(a_->Call({"DBSIZE"}).integer, 2);
  EXPECT_EQ(Ks(0).Find("k"), nullptr);
  EXPECT_EQ(Ks(0).GetExpire("t"), t_when);
  a_->Replies(2500);  // past the writable delay
  EXPECT_EQ(a_->Call({"LRANGE", "l", "0", "-1"}).elements.size(), 2u);

  sim_.Crash(machines_[0]);
  servers_[0].reset();
  sim_.Restart(machines_[0]);
  ASSERT_TRUE(sim_.disk(machines_[0]).Write("dump.rdb", "REDIS0009\xfa", 0));
  ASSERT_TRUE(sim_.disk(machines_[0]).SyncFile("dump.rdb"));
  Server s(sim_.env(machines_[0]), cfg_[0]);
  EXPECT_FALSE(s.Start());
  EXPECT_NE(s.start_error().find("not a slotsim dump"), std::string::npos) << s.start_error();
}

// The atomic slot migration ships each key's absolute expire time; a
// hash too big for one chunk gets its TTL after its last part.
TEST(AtomicMigrationTtl, KeysArriveWithTheirExpireTimes) {
  auto sc = testing::HaScenario(2, 0, 3000, 0);
  SimCluster c(sc, 5, false, {});
  ASSERT_TRUE(testing::StartAndSettle(c));
  RawConn a(c.sim(), "raw-a");
  a.Connect(c.node(0)->config().port);
  ASSERT_EQ(KeyHashSlot("{06S}big"), 0);
  std::vector<std::string> hset = {"HSET", "{06S}big"};
  for (int i = 0; i < 200; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back(std::string(1000, 'a' + i % 26));
  }
  a.SendCommand(hset);
  a.SendCommand({"PEXPIRE", "{06S}big", "600000"});
  a.SendCommand({"RPUSH", "{06S}l", "x", "y"});
  a.SendCommand({"EXPIRE", "{06S}l", "500"});
  a.SendCommand({"SET", "{06S}s", "v"});
  a.Replies(200);
  const Keyspace& src = c.node(0)->keyspace();
  const int64_t big_when = src.GetExpire("{06S}big"), l_when = src.GetExpire("{06S}l");
  ASSERT_GT(big_when, 0);
  ASSERT_GT(l_when, 0);
  const std::string target = c.node(1)->cluster().myself().name;
  RespValue id = a.Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "0", "NODE", target}, 1);
  ASSERT_EQ(id.type, RespValue::Type::kBulk) << id.ToString();
  ASSERT_GE(testing::RunUntil(c, c.sim().now_us() + 5'000'000,
                              [&] { return c.node(0)->keyspace().size() == 0; }),
            0);
  const Keyspace& dst = c.node(1)->keyspace();
  EXPECT_EQ(dst.size(), 3);
  EXPECT_EQ(dst.GetExpire("{06S}big"), big_when);
  EXPECT_EQ(dst.GetExpire("{06S}l"), l_when);
  EXPECT_EQ(dst.GetExpire("{06S}s"), -1);
  const Value* big = dst.Find("{06S}big");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->hash().size(), 200u);
}

}  // namespace
}  // namespace slotsim
