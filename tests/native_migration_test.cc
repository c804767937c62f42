// Native slot migration, command by command, against two simulated
// primaries: SETSLOT, ASK/TRYAGAIN/ASKING routing, DUMP/RESTORE, MIGRATE,
// the epoch bump on SETSLOT NODE, and open slots in nodes.conf.
#include <gtest/gtest.h>

#include "tests/ha_harness.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

class NativeMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sc = HaScenario(2, 0, 3000, 0);
    c_ = std::make_unique<SimCluster>(sc, 7, false, std::vector<TraceSink*>{});
    ASSERT_TRUE(StartAndSettle(*c_));
    a_ = std::make_unique<RawConn>(c_->sim(), "raw-a");
    b_ = std::make_unique<RawConn>(c_->sim(), "raw-b");
    a_->Connect(c_->node(0)->config().port);
    b_->Connect(c_->node(1)->config().port);
    slot_ = static_cast<int>(a_->Call({"CLUSTER", "KEYSLOT", "{b}"}).integer);
    ASSERT_LT(slot_, 8192);  // node 0 owns 0-8191
  }
  std::string Name(int i) { return c_->node(i)->cluster().myself().name; }
  std::string Port(int i) { return std::to_string(c_->node(i)->config().port); }
  std::string Str(const RespValue& v) { return v.ToString(); }

  std::unique_ptr<SimCluster> c_;
  std::unique_ptr<RawConn> a_, b_;
  int slot_ = -1;
};

TEST_F(NativeMigrationTest, SetSlotChecks) {
  const std::string s = std::to_string(slot_);
  EXPECT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s, "MIGRATING", Name(0)})),
            "(error) ERR I'm not the owner of hash slot " + s);
  EXPECT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "IMPORTING", Name(1)})),
            "(error) ERR I'm already the owner of hash slot " + s);
  EXPECT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "MIGRATING", std::string(40, 'f')})),
            "(error) ERR I don't know about node " + std::string(40, 'f'));
  EXPECT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", "16384", "STABLE"})),
            "(error) ERR Invalid or out of range slot");
  EXPECT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "BOGUS"})),
            "(error) ERR Invalid CLUSTER SETSLOT action or number of arguments. Try "
            "CLUSTER HELP");
  ASSERT_EQ(Str(a_->Call({"SET", "{b}k", "v"})), "OK");
  EXPECT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "NODE", Name(1)})),
            "(error) ERR Can't assign hashslot " + s +
                " to a different node while I still hold keys for this hash slot.");
}

TEST_F(NativeMigrationTest, MigrateOneSlotKeyByKey) {
  const std::string s = std::to_string(slot_);
  ASSERT_EQ(Str(a_->Call({"SET", "{b}a", "1"})), "OK");
  ASSERT_EQ(Str(a_->Call({"HSET", "{b}h", "f1", "v1", "f2", "v2"})), "(integer) 2");
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s, "IMPORTING", Name(0)})), "OK");
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "MIGRATING", Name(1)})), "OK");
  const std::string b_addr = "127.0.0.1:" + Port(1);
  // The source serves what it still has and sends the rest to the target.
  EXPECT_EQ(Str(a_->Call({"GET", "{b}a"})), "\"1\"");
  EXPECT_EQ(Str(a_->Call({"GET", "{b}missing"})), "(error) ASK " + s + " " + b_addr);
  // The target serves the slot only to ASKING clients.
  EXPECT_EQ(Str(b_->Call({"GET", "{b}missing"})).rfind("(error) MOVED " + s, 0), 0u);
  a_->SendCommand({"ASKING"});  // ASKING is per connection, not per node
  b_->SendCommand({"ASKING"});
  EXPECT_EQ(Str(b_->Call({"GET", "{b}missing"})), "(nil)");
  // ... for one command only.
  EXPECT_EQ(Str(b_->Call({"GET", "{b}missing"})).rfind("(error) MOVED", 0), 0u);

  EXPECT_EQ(Str(a_->Call({"MIGRATE", "127.0.0.1", Port(1), "", "0", "5000", "KEYS", "{b}a"})),
            "OK");
  EXPECT_EQ(Str(a_->Call({"GET", "{b}a"})), "(error) ASK " + s + " " + b_addr);
  // Some keys here, some gone: neither node can answer.
  EXPECT_EQ(Str(a_->Call({"EXISTS", "{b}a", "{b}h"})),
            "(error) TRYAGAIN Multiple keys request during rehashing of slot");
  b_->SendCommand({"ASKING"});
  EXPECT_EQ(Str(b_->Call({"GET", "{b}a"})), "\"1\"");
  EXPECT_EQ(Str(a_->Call({"MIGRATE", "127.0.0.1", Port(1), "{b}h", "0", "5000"})), "OK");
  EXPECT_EQ(Str(a_->Call({"MIGRATE", "127.0.0.1", Port(1), "{b}h", "0", "5000"})), "NOKEY");
  EXPECT_EQ(a_->Call({"CLUSTER", "COUNTKEYSINSLOT", s}).integer, 0);
  EXPECT_EQ(b_->Call({"CLUSTER", "COUNTKEYSINSLOT", s}).integer, 2);
  EXPECT_NE(Str(a_->Call({"CLUSTER", "NODES"})).find("[" + s + "->-" + Name(1) + "]"),
            std::string::npos);

  // Closing the slot on the target leaves it with the unique maximum
  // configEpoch (here it already had it, so no bump: see the next test).
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s, "NODE", Name(1)})), "OK");
  EXPECT_GT(c_->node(1)->cluster().myself().config_epoch,
            c_->node(0)->cluster().myself().config_epoch);
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "NODE", Name(1)})), "OK");
  EXPECT_TRUE(c_->node(0)->cluster().migrating_slots().empty());
  EXPECT_TRUE(c_->node(1)->cluster().importing_slots().empty());
  ASSERT_GE(RunUntil(*c_, c_->sim().now_us() + 5'000'000,
                     [&] { return AllSeeOwner(*c_, slot_, 1); }),
            0);
  EXPECT_EQ(Str(a_->Call({"GET", "{b}a"})), "(error) MOVED " + s + " " + b_addr);
  EXPECT_EQ(Str(b_->Call({"HGET", "{b}h", "f2"})), "\"v2\"");
}

// clusterBumpConfigEpochWithoutConsensus bumps only a configEpoch that is
// 0 or not the unique maximum (the conditional bump of redis #3442).
TEST_F(NativeMigrationTest, ClosingAnImportBumpsUnlessAlreadyTheUniqueMaximum) {
  const int other_slot = static_cast<int>(a_->Call({"CLUSTER", "KEYSLOT", "{a}"}).integer);
  ASSERT_GE(other_slot, 8192);  // node 1's
  const std::string s0 = std::to_string(other_slot), s1 = std::to_string(slot_);
  ASSERT_EQ(c_->node(0)->cluster().myself().config_epoch, 1u);
  ASSERT_EQ(c_->node(1)->cluster().myself().config_epoch, 2u);
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s0, "IMPORTING", Name(1)})), "OK");
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s0, "NODE", Name(0)})), "OK");
  EXPECT_EQ(c_->node(0)->cluster().myself().config_epoch, 3u);  // 1 -> bumped
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s0, "NODE", Name(0)})), "OK");
  c_->sim().RunUntil(c_->sim().now_us() + 2'000'000);
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s1, "IMPORTING", Name(0)})), "OK");
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s1, "NODE", Name(1)})), "OK");
  EXPECT_EQ(c_->node(1)->cluster().myself().config_epoch, 4u);  // 2 -> bumped
}

TEST_F(NativeMigrationTest, DumpRestoreRoundTripAndErrors) {
  ASSERT_EQ(Str(a_->Call({"HSET", "{b}h", "f", "v"})), "(integer) 1");
  RespValue dump = a_->Call({"DUMP", "{b}h"});
  ASSERT_EQ(dump.type, RespValue::Type::kBulk);
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}h", "0", dump.str})),
            "(error) BUSYKEY Target key name already exists.");
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}copy", "0", dump.str})), "OK");
  EXPECT_EQ(Str(a_->Call({"HGET", "{b}copy", "f"})), "\"v\"");
  std::string bad = dump.str;
  bad[1] ^= 1;
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}x", "0", bad})),
            "(error) ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}x", "-1", dump.str})),
            "(error) ERR Invalid TTL value, must be >= 0");
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}x", "0", dump.str, "FROB"})),
            "(error) ERR syntax error");
  EXPECT_EQ(Str(a_->Call({"RESTORE", "{b}h", "0", dump.str, "REPLACE"})), "OK");
  EXPECT_EQ(Str(a_->Call({"DUMP", "{b}nothing"})), "(nil)");
  EXPECT_EQ(Str(a_->Call({"MIGRATE", "127.0.0.1", Port(1), "{b}h", "0", "5000", "KEYS"})),
            "(error) ERR When using MIGRATE KEYS option, the key argument must be set to "
            "the empty string");
  // A key in a slot the target does not import: the target refuses it.
  EXPECT_EQ(Str(a_->Call({"MIGRATE", "127.0.0.1", Port(1), "{b}h", "0", "5000"})).rfind(
                "(error) ERR Target instance replied with error: MOVED", 0),
            0u);
  EXPECT_EQ(Str(a_->Call({"EXISTS", "{b}h"})), "(integer) 1");  // kept
}

TEST_F(NativeMigrationTest, MigrateBlocksTheSourceWhileTheTargetLoads) {
  const std::string s = std::to_string(slot_);
  // A 1 MiB hash: serializing and loading it takes the cost model's time.
  std::vector<std::string> hset = {"HSET", "{b}big"};
  for (int i = 0; i < 1024; ++i) {
    hset.push_back("field" + std::to_string(i));
    hset.push_back(std::string(1024, 'x'));
  }
  ASSERT_EQ(Str(a_->Call(hset, 200)), "(integer) 1024");
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s, "IMPORTING", Name(0)})), "OK");
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "MIGRATING", Name(1)})), "OK");
  RawConn other(c_->sim(), "raw-other");
  other.Connect(c_->node(0)->config().port);
  ASSERT_EQ(Str(other.Call({"PING"})), "PONG");
  // MIGRATE, and right behind it a PING from another client.
  const int64_t t0 = c_->sim().now_us();
  a_->SendCommand({"MIGRATE", "127.0.0.1", Port(1), "{b}big", "0", "5000"});
  c_->sim().RunUntil(t0 + 600);  // MIGRATE has arrived; PING arrives next
  other.SendCommand({"PING"});
  int64_t migrate_done = -1, ping_done = -1;
  std::vector<RespValue> ra, ro;
  for (int i = 0; i < 2000 && (migrate_done < 0 || ping_done < 0); ++i) {
    c_->sim().RunUntil(c_->sim().now_us() + 50);
    if (migrate_done < 0 && !(ra = a_->Replies(0)).empty()) migrate_done = c_->sim().now_us();
    if (ping_done < 0 && !(ro = other.Replies(0)).empty()) ping_done = c_->sim().now_us();
  }
  ASSERT_GE(migrate_done, 0);
  ASSERT_GE(ping_done, 0);
  EXPECT_EQ(Str(ra[0]), "OK");
  EXPECT_EQ(Str(ro[0]), "PONG");
  // The PING waited for the whole MIGRATE: serialize, send, the target's
  // load and its reply. That is over 2 ms of a 1 MiB value's work.
  EXPECT_GE(ping_done, migrate_done - 1000);
  EXPECT_GT(ping_done - t0, 2000);
}

TEST_F(NativeMigrationTest, OpenSlotsSurviveARestartOnlyForMyself) {
  const std::string s = std::to_string(slot_);
  ASSERT_EQ(Str(a_->Call({"CLUSTER", "SETSLOT", s, "MIGRATING", Name(1)})), "OK");
  ASSERT_EQ(Str(b_->Call({"CLUSTER", "SETSLOT", s, "IMPORTING", Name(0)})), "OK");
  // SETSLOT saves nodes.conf without fsync: as a process crash (not a
  // power loss) would, let the OS write it back first.
  c_->sim().disk(0).SyncFile("nodes.conf");
  c_->sim().disk(0).SyncDir();
  c_->Crash(0);
  c_->sim().RunUntil(c_->sim().now_us() + 100'000);
  c_->Restart(0);
  const auto& mig = c_->node(0)->cluster().migrating_slots();
  ASSERT_EQ(mig.size(), 1u);
  EXPECT_EQ(mig.begin()->first, slot_);
  EXPECT_EQ(mig.begin()->second->name, Name(1));
  EXPECT_TRUE(c_->node(0)->cluster().importing_slots().empty());
}

}  // namespace
}  // namespace slotsim
