// The engine's reactions to a failing disk (issue 18), each checked where
// it shows: what clients are told, whether the node exits, what the disk
// holds afterwards. Each test fails if its reaction is taken out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/aof.h"
#include "engine/resp.h"
#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

struct Recorder : TraceSink {
  std::vector<TraceRecord> records;
  void OnTrace(const TraceRecord& r) override { records.push_back(r); }
  // Records of `kind` on `node` (any node: -2).
  std::vector<TraceRecord> Of(std::string_view kind, int node = -2) const {
    std::vector<TraceRecord> out;
    for (const auto& r : records)
      if (r.kind == kind && (node == -2 || r.node == node)) out.push_back(r);
    return out;
  }
};

scenario::Scenario OneShard(scenario::EngineSettings::AppendFsync policy, int replicas = 0) {
  auto sc = HaScenario(1, replicas, 3000, 2);
  sc.mutable_engine()->set_appendonly(true);
  sc.mutable_engine()->set_appendfsync(policy);
  sc.mutable_workload()->set_ops_per_sec(200);
  sc.mutable_workload()->mutable_mix()->set_get(50);
  sc.mutable_workload()->mutable_mix()->set_set(50);
  return sc;
}

std::string ReadAof(SimCluster& c, int node) {
  return c.sim().disk(node).Read(Aof::kFileName).value_or("");
}

// aof.c: a failed write leaves the commands in aof_buf and the node
// answers writes (and PING) with -MISCONF until a retry gets them out.
TEST(DiskFaults, AofWriteErrorRefusesWritesUntilAWriteGetsThrough) {
  Recorder rec;
  SimCluster c(OneShard(scenario::EngineSettings::EVERYSEC), 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  const int64_t from = c.sim().now_us();
  c.sim().SetDiskError(0, DiskOp::kWrite, 2'000'000, false);
  c.sim().RunUntil(from + 6'000'000);
  int refused = 0, refused_reads = 0, ok_after = 0;
  for (const auto& op : c.history().ops()) {
    const bool misconf = op.reply.find("MISCONF Errors writing to the AOF file: Input/output error") !=
                         std::string::npos;
    if (misconf) {
      ++refused;
      refused_reads += op.command == "GET" ? 1 : 0;
      EXPECT_LT(op.complete_us, from + 2'000'000 + 1'100'000) << "refused after the disk recovered";
    }
    if (op.command == "SET" && op.outcome == OpOutcome::kOk && op.invoke_us > from + 3'100'000)
      ++ok_after;
  }
  EXPECT_GT(refused, 20) << "writes were not refused while the log was in error";
  EXPECT_EQ(refused_reads, 0) << "reads must go on";
  EXPECT_GT(ok_after, 20) << "writes did not resume after the disk recovered";
  ASSERT_EQ(rec.Of("AofWriteError", 0).size(), 1u);
  ASSERT_EQ(rec.Of("AofWriteRecovered", 0).size(), 1u);
  // The buffered commands reached the log: every write acknowledged
  // before the fault is in it, the one that failed too.
  const std::string aof = ReadAof(c, 0);
  for (const auto& op : c.history().ops()) {
    if (op.command == "SET" && op.outcome == OpOutcome::kOk && op.complete_us < from + 1'000'000) {
      EXPECT_NE(aof.find(op.value), std::string::npos) << op.key << " missing from the log";
    }
  }
}

// flushAppendOnlyFile: under always, a failed fsync exits the process
// before the replies that waited for it leave.
TEST(DiskFaults, FsyncErrorUnderAlwaysExitsBeforeAcknowledging) {
  Recorder rec;
  SimCluster c(OneShard(scenario::EngineSettings::ALWAYS), 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  const int64_t from = c.sim().now_us();
  c.sim().SetDiskError(0, DiskOp::kSync, 1'000'000, /*once=*/true);
  c.sim().RunUntil(from + 3'000'000);
  EXPECT_FALSE(c.up(0)) << "the node kept running after its fsync failed";
  const auto crashes = rec.Of("Crash", 0);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_NE(crashes[0].details.find("cause=exit"), std::string::npos);
  EXPECT_NE(crashes[0].details.find("Can't%20persist%20AOF%20for%20fsync%20error"), std::string::npos)
      << crashes[0].details;
  // Nothing acknowledged after the failed fsync began: every SET answered
  // OK was durable when the node died.
  const std::string durable = ReadAof(c, 0);
  c.sim().disk(0).Crash();
  const std::string after_power_loss = ReadAof(c, 0);
  for (const auto& op : c.history().ops()) {
    if (op.command == "SET" && op.outcome == OpOutcome::kOk) {
      EXPECT_NE(after_power_loss.find(op.value), std::string::npos)
          << "acknowledged " << op.key << " at " << op.complete_us << " was never durable";
    }
  }
  EXPECT_LE(after_power_loss.size(), durable.size());
}

// A torn tail is dropped and cut off the file, so that what the node
// appends next follows a whole command (loadSingleAppendOnlyFile's
// truncate under aof-load-truncated yes).
TEST(DiskFaults, TornAofTailIsCutBackOnLoad) {
  Recorder rec;
  SimCluster c(OneShard(scenario::EngineSettings::EVERYSEC), 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  c.sim().RunUntil(c.sim().now_us() + 2'300'000);
  c.Crash(0, /*torn_write=*/true);
  const std::string torn = ReadAof(c, 0);
  ASSERT_TRUE(c.Restart(0));
  const auto loaded = rec.Of("AofLoaded", 0);
  ASSERT_FALSE(loaded.empty());
  EXPECT_NE(loaded.back().details.find("torn_tail=1"), std::string::npos) << loaded.back().details;
  const std::string cut = ReadAof(c, 0);
  ASSERT_LT(cut.size(), torn.size());
  EXPECT_EQ(torn.compare(0, cut.size(), cut), 0) << "the log was not cut back to a prefix";
  RequestParser p;
  p.Feed(cut);
  std::vector<std::string> argv;
  while (p.Next(&argv) == ParseStatus::kOk) {}
  EXPECT_EQ(p.buffered(), 0u) << "the log still ends inside a command";
  // Appends after it, a power loss and a second restart: the log loads.
  c.sim().RunUntil(c.sim().now_us() + 3'000'000);
  c.Crash(0);
  EXPECT_TRUE(c.Restart(0)) << c.sim().disk(0).Read(Aof::kFileName).value_or("").size();
}

// A log that does not parse before its end is damage no torn write
// explains: the node refuses to start (fmterr).
TEST(DiskFaults, CorruptAofRefusesToStart) {
  Recorder rec;
  SimCluster c(OneShard(scenario::EngineSettings::EVERYSEC), 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  c.sim().RunUntil(c.sim().now_us() + 3'000'000);
  c.Crash(0);
  ASSERT_TRUE(c.sim().DamageFile(0, Aof::kFileName, DiskDamage::kCorrupt));
  EXPECT_FALSE(c.Restart(0));
  EXPECT_FALSE(c.up(0));
  const auto crashes = rec.Of("Crash", 0);
  EXPECT_NE(crashes.back().details.find("Bad%20file%20format%20reading%20the%20append%20only%20file"),
            std::string::npos)
      << crashes.back().details;
}

// clusterLoadConfig: only ENOENT is a first start. An unreadable or
// corrupt nodes.conf stops the node; it never takes a new identity.
TEST(DiskFaults, UnreadableOrCorruptNodesConfRefusesToStart) {
  Recorder rec;
  auto sc = HaScenario(3, 1, 3000, 1);
  SimCluster c(sc, 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  const std::string name = c.node(3)->cluster().myself().name;
  c.Crash(3);
  c.sim().SetDiskError(3, DiskOp::kRead, 1'000'000, false);
  EXPECT_FALSE(c.Restart(3));
  EXPECT_NE(rec.Of("Crash", 3).back().details.find(
                "Loading%20the%20cluster%20node%20config%20from%20nodes.conf:%20Input/output%20error"),
            std::string::npos)
      << rec.Of("Crash", 3).back().details;
  c.sim().RunUntil(c.sim().now_us() + 2'000'000);
  ASSERT_TRUE(c.Restart(3)) << "the disk reads again";
  EXPECT_EQ(c.node(3)->cluster().myself().name, name) << "the node took a new identity";
  c.Crash(3);
  ASSERT_TRUE(c.sim().DamageFile(3, "nodes.conf", DiskDamage::kCorrupt));
  EXPECT_FALSE(c.Restart(3));
  EXPECT_NE(rec.Of("Crash", 3).back().details.find(
                "Unrecoverable%20error:%20corrupted%20cluster%20config%20file"),
            std::string::npos)
      << rec.Of("Crash", 3).back().details;
}

// clusterSaveConfigOrDie: a voter whose vote cannot be saved exits before
// the ACK leaves, so no candidate counts a vote its voter may forget.
TEST(DiskFaults, AVoteThatCannotBeSavedIsNeverSent) {
  Recorder rec;
  auto sc = HaScenario(5, 1, 3000, 1);
  SimCluster c(sc, 1, false, {&rec});
  ASSERT_TRUE(StartAndSettle(c));
  bool armed = false;
  // The first voter's disk fails right at its grant, before the save.
  c.sim().AddProbeListener([&](int machine, Probe probe) {
    if (armed || probe != Probe::kVoteGranted) return;
    armed = true;
    c.sim().SetDiskError(machine, DiskOp::kSync, 60'000'000, false);
  });
  c.Crash(0);
  ASSERT_GE(RunUntil(c, c.sim().now_us() + 30'000'000,
                     [&] { return c.up(5) && c.node(5)->cluster().myself().IsPrimary(); }),
            0)
      << "the replica never won (four voters left)";
  ASSERT_TRUE(armed);
  int exited = -1;
  for (const auto& r : rec.Of("Crash"))
    if (r.details.find("Fatal:%20can't%20update%20cluster%20config%20file.") != std::string::npos)
      exited = r.node;
  ASSERT_GE(exited, 1) << "the voter did not exit on its failed save";
  EXPECT_TRUE(rec.Of("VoteGranted", exited).empty()) << "the vote was granted without its save";
  for (const auto& r : rec.Of("Deliver"))
    EXPECT_FALSE(r.node == 5 && r.peer == exited && r.msg_type == "FAILOVER_AUTH_ACK")
        << "the candidate received the unsaved vote";
}

// restartAOFAfterSYNC: a replica whose log cannot be rewritten after a
// full sync tries again every second, ten tries in all, asleep in
// between, and exits only when none worked. A restarted replica has no
// replication id, so its first sync is a full one.
TEST(DiskFaults, AFullSyncRetriesTheLogRewriteForTenSecondsThenExits) {
  for (const int64_t fault_ms : {2'500, 12'000}) {
    SCOPED_TRACE("write errors for " + std::to_string(fault_ms) + " ms");
    Recorder rec;
    SimCluster c(OneShard(scenario::EngineSettings::EVERYSEC, 1), 1, false, {&rec});
    ASSERT_TRUE(StartAndSettle(c));
    c.Crash(1);
    c.sim().RunUntil(c.sim().now_us() + 500'000);
    ASSERT_TRUE(c.Restart(1));
    // The disk fails once the primary has answered FULLRESYNC, before the
    // payload arrives.
    const size_t syncs = rec.Of("ReplFullSync", 0).size();
    const int64_t limit = c.sim().now_us() + 30'000'000;
    while (rec.Of("ReplFullSync", 0).size() == syncs && c.sim().now_us() < limit)
      c.sim().RunUntil(c.sim().now_us() + 20);
    ASSERT_GT(rec.Of("ReplFullSync", 0).size(), syncs) << "the restarted replica never synced";
    ASSERT_TRUE(rec.Of("ReplLinkUp", 1).empty() ||
                rec.Of("ReplLinkUp", 1).back().time_us < rec.Of("ReplFullSync", 0).back().time_us);
    c.sim().SetDiskError(1, DiskOp::kWrite, fault_ms * 1000, false);
    c.sim().RunUntil(c.sim().now_us() + 15'000'000);
    const auto failed = rec.Of("AofRewriteFailed", 1);
    const auto exits = rec.Of("AofFatal", 1);
    if (fault_ms < 10'000) {
      EXPECT_TRUE(c.up(1)) << "the replica exited while its disk recovered within the tries";
      // Tries at sync, sync + 1 s, ...: the ones before the fault ends fail.
      EXPECT_EQ(failed.size(), static_cast<size_t>((fault_ms + 999) / 1000)) << "one try a second";
      EXPECT_TRUE(exits.empty());
      EXPECT_FALSE(ReadAof(c, 1).empty()) << "the snapshot never reached the log";
    } else {
      EXPECT_FALSE(c.up(1)) << "the replica kept running without its log";
      EXPECT_EQ(failed.size(), static_cast<size_t>(Aof::kRestartAfterSyncTries));
      ASSERT_EQ(exits.size(), 1u);
      EXPECT_NE(exits[0].details.find("can't%20be%20turned%20on"), std::string::npos)
          << exits[0].details;
    }
  }
}

}  // namespace
}  // namespace slotsim
