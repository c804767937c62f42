// Atomic slot migration (CLUSTER MIGRATESLOTS) end to end on simulated
// nodes: the snapshot, forwarded writes, the single-epoch hand-off, the
// replicated job state, and aborts.
#include <gtest/gtest.h>

#include "tests/ha_harness.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

class AtomicMigrationTest : public ::testing::Test {
 protected:
  void Start(uint64_t seed, int replicas) {
    auto sc = HaScenario(2, replicas, 3000, 0);
    c_ = std::make_unique<SimCluster>(sc, seed, false, std::vector<TraceSink*>{});
    ASSERT_TRUE(StartAndSettle(*c_));
    a_ = std::make_unique<RawConn>(c_->sim(), "raw-a");
    a_->Connect(c_->node(0)->config().port);
  }
  std::string Name(int i) { return c_->node(i)->cluster().myself().name; }
  std::string State(int node, const std::string& id) {
    auto& jobs = c_->node(node)->slot_migrations().jobs();
    auto it = jobs.find(id);
    return it == jobs.end() ? "" : StateName(it->second.state);
  }
  std::unique_ptr<SimCluster> c_;
  std::unique_ptr<RawConn> a_;
};

TEST_F(AtomicMigrationTest, MovesARangeWithOneEpochBumpAndNoAsk) {
  Start(3, 1);
  // Keys in slots 0-99 (node 0's): strings and a hash too big for a chunk.
  int filled = 0;
  std::string hot;  // a key written during the migration
  for (int i = 0; filled < 300 && i < 100000; ++i) {
    std::string k = "k" + std::to_string(i);
    if (KeyHashSlot(k) >= 100) continue;
    if (hot.empty()) hot = k;
    a_->SendCommand({"SET", k, "v" + std::to_string(i)});
    ++filled;
  }
  std::vector<std::string> hset = {"HSET", "{06S}big"};  // slot 0
  ASSERT_EQ(KeyHashSlot("{06S}big"), 0);
  for (int i = 0; i < 200; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back(std::string(1000, 'a' + i % 26));
  }
  a_->SendCommand(hset);
  a_->Replies(200);
  ASSERT_EQ(c_->node(0)->keyspace().size(), 301);
  const uint64_t handoffs_before = c_->node(1)->cluster().stats().handoff_broadcasts;
  RespValue id = a_->Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "99", "NODE", Name(1)}, 1);
  ASSERT_EQ(id.type, RespValue::Type::kBulk) << id.ToString();
  // Writes during the migration land on the target too; those that come
  // after the hand-off are MOVED.
  constexpr int kWrites = 100;  // one per ms: the migration takes longer
  for (int i = 0; i < kWrites; ++i) {
    a_->SendCommand({"SET", hot, "during" + std::to_string(i)});
    c_->sim().RunUntil(c_->sim().now_us() + 1000);
  }
  auto replies = a_->Replies(20);
  ASSERT_EQ(replies.size(), static_cast<size_t>(kWrites));
  std::string last_ok;
  int ok = 0, moved = 0;
  for (int i = 0; i < kWrites; ++i) {
    if (replies[i].ToString() == "OK") {
      last_ok = "during" + std::to_string(i);
      ++ok;
    } else {
      EXPECT_EQ(replies[i].ToString().rfind("(error) MOVED", 0), 0u) << replies[i].ToString();
      ++moved;
    }
  }
  EXPECT_GT(ok, 0) << "no write landed during the migration";
  EXPECT_GT(moved, 0) << "the hand-off came after every write";
  std::printf("writes during the migration: %d served by the source, %d MOVED\n", ok, moved);
  ASSERT_GE(RunUntil(*c_, c_->sim().now_us() + 5'000'000,
                     [&] { return State(0, id.str) == "success"; }),
            0)
      << State(0, id.str) << ": " << c_->node(0)->slot_migrations().jobs().at(id.str).error;
  EXPECT_EQ(State(1, id.str), "success");
  ASSERT_GE(RunUntil(*c_, c_->sim().now_us() + 5'000'000,
                     [&] { return AllSeeOwner(*c_, 0, 1) && AllSeeOwner(*c_, 99, 1); }),
            0);
  EXPECT_EQ(c_->node(1)->cluster().stats().handoff_broadcasts, handoffs_before + 1);
  // Everything moved; nothing stayed behind, on the primary or its replica.
  EXPECT_EQ(c_->node(0)->keyspace().size(), 0);
  c_->sim().RunUntil(c_->sim().now_us() + 1'000'000);
  EXPECT_EQ(c_->node(2)->keyspace().size(), 0);  // node 0's replica
  EXPECT_EQ(c_->node(1)->keyspace().size(), 301);
  EXPECT_EQ(c_->node(3)->keyspace().size(), 301);  // node 1's replica
  Value* v = const_cast<Keyspace&>(c_->node(1)->keyspace()).Find(hot);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->str(), last_ok);
  Value* big = const_cast<Keyspace&>(c_->node(1)->keyspace()).Find("{06S}big");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->hash().size(), 200u);
  // The replicas know the job too.
  EXPECT_EQ(State(2, id.str), "success");
  EXPECT_EQ(State(3, id.str), "success");
  // The source now redirects, with MOVED.
  EXPECT_EQ(a_->Call({"GET", hot}).ToString().rfind("(error) MOVED", 0), 0u);
}

TEST_F(AtomicMigrationTest, ChecksAndCancel) {
  Start(4, 0);
  EXPECT_EQ(a_->Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "9000", "9001", "NODE", Name(1)})
                .ToString(),
            "(error) ERR I'm not the owner of hash slot 9000");
  EXPECT_EQ(a_->Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "5", "1", "NODE", Name(1)})
                .ToString(),
            "(error) ERR start slot number 5 is greater than end slot number 1");
  EXPECT_EQ(a_->Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "1", "5", "NODE", Name(0)})
                .ToString(),
            "(error) ERR Target node must be another master");
  EXPECT_EQ(a_->Call({"CLUSTER", "MIGRATESLOTS", "1", "5"}).ToString().rfind("(error) ERR syntax", 0),
            0u);
  // A migration paused forever (the target frozen) can be cancelled; the
  // source keeps its slots and serves writes again.
  for (int i = 0; i < 50; ++i) a_->SendCommand({"SET", "{06S}" + std::to_string(i), "x"});
  a_->Replies(50);
  c_->Pause(1);
  RespValue id = a_->Call({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "0", "NODE", Name(1)});
  ASSERT_EQ(id.type, RespValue::Type::kBulk);
  EXPECT_EQ(a_->Call({"CLUSTER", "CANCELSLOTMIGRATIONS"}).integer, 1);
  EXPECT_EQ(State(0, id.str), "failed");
  EXPECT_EQ(a_->Call({"SET", "{06S}0", "y"}).ToString(), "OK");
  c_->Resume(1);
  c_->sim().RunUntil(c_->sim().now_us() + 1'000'000);
  EXPECT_EQ(c_->node(1)->keyspace().size(), 0);  // partial keys dropped
  EXPECT_EQ(c_->node(0)->keyspace().size(), 50);
}

// The target's AOF holds the partial import; a crash and restart must not
// bring those keys back as strays.
TEST_F(AtomicMigrationTest, TargetRestartDropsPartialImportFromItsAof) {
  auto sc = HaScenario(2, 0, 3000, 0);
  sc.mutable_engine()->set_appendonly(true);
  sc.mutable_engine()->set_appendfsync(scenario::EngineSettings::ALWAYS);
  c_ = std::make_unique<SimCluster>(sc, 6, false, std::vector<TraceSink*>{});
  ASSERT_TRUE(StartAndSettle(*c_));
  a_ = std::make_unique<RawConn>(c_->sim(), "raw-a");
  a_->Connect(c_->node(0)->config().port);
  // 40 hashes of 100 KiB in slot 0: a few milliseconds of streaming.
  for (int i = 0; i < 40; ++i) {
    std::vector<std::string> hset = {"HSET", "{06S}" + std::to_string(i)};
    for (int f = 0; f < 100; ++f) {
      hset.push_back("f" + std::to_string(f));
      hset.push_back(std::string(1024, 'x'));
    }
    a_->SendCommand(hset);
  }
  a_->Replies(500);
  ASSERT_EQ(c_->node(0)->keyspace().size(), 40);
  a_->SendCommand({"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "0", "NODE", Name(1)});
  // Run until the target has loaded some, not all, of the batch.
  bool partial = false;
  for (int i = 0; i < 100000 && !partial; ++i) {
    c_->sim().RunUntil(c_->sim().now_us() + 50);
    const int64_t n = c_->node(1)->keyspace().CountKeysInSlot(0);
    partial = n > 0 && n < 40;
  }
  ASSERT_TRUE(partial);
  c_->Crash(1);
  c_->sim().RunUntil(c_->sim().now_us() + 500'000);
  c_->Restart(1);
  EXPECT_EQ(c_->node(1)->keyspace().CountKeysInSlot(0), 0);
  for (const auto& [id, job] : c_->node(1)->slot_migrations().jobs())
    EXPECT_TRUE(job.Finished()) << id;
  // The source aborted and kept everything.
  c_->sim().RunUntil(c_->sim().now_us() + 5'000'000);
  EXPECT_EQ(c_->node(0)->keyspace().CountKeysInSlot(0), 40);
  EXPECT_EQ(c_->node(0)->cluster().SlotOwner(0)->name, Name(0));
}

}  // namespace
}  // namespace slotsim
