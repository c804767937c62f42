#include "properties/loss_windows.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

// Fabricated traces: each helper appends one record the way the engine
// or the simulator writes it, with increasing seq.
class Trace {
 public:
  explicit Trace(DurabilityPolicy p) : w_(p) {}
  LossWindows& windows() { return w_; }

  void State(int node, int64_t ms, bool primary, int64_t config_epoch, const std::string& slots) {
    NodeStateRecord n;
    n.primary = primary;
    n.current_epoch = config_epoch;
    n.config_epoch = config_epoch;
    n.state_ok = true;
    n.slots = primary ? slots : "";
    Emit(node, ms, NodeStateRecord::kKind, n.Format());
  }
  // A SET of key k (slot of the caller's choosing) applied by `node`.
  uint64_t Write(int node, int64_t ms, const std::string& key, const std::string& replid,
                 int64_t offset, const std::string& value = "v") {
    WriteRecord w{"set", key, replid, offset, ArgvDigest({"SET", key, value})};
    Emit(node, ms, WriteRecord::kKind, w.Format());
    return w.digest;
  }
  void Promoted(int node, int64_t ms, int former, const std::string& replid2,
                int64_t processed) {
    ReplPromotedRecord p{"new-" + std::to_string(node), replid2, processed + 1};
    Emit(node, ms, ReplPromotedRecord::kKind, p.Format(), former);
  }
  void Synced(int node, int64_t ms, const std::string& replid, int64_t offset) {
    Emit(node, ms, AofSyncedRecord::kKind, AofSyncedRecord{replid, offset}.Format());
  }
  void Started(int node, int64_t ms, const std::string& replid) {
    Emit(node, ms, ReplStartedRecord::kKind, ReplStartedRecord{replid}.Format());
  }
  void Event(int node, int64_t ms, const std::string& kind) { Emit(node, ms, kind, ""); }

  AckedWrite Acked(int node, const std::string& key, int slot, uint64_t digest, int64_t ms) {
    return AckedWrite{node, key, slot, digest, ms * 1000 - 500, ms * 1000 + 500};
  }

  void Emit(int node, int64_t ms, std::string_view kind, std::string details, int peer = -1) {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.time_us = ms * 1000;
    r.kind = std::string(kind);
    r.peer = peer;
    r.details = std::move(details);
    w_.OnTrace(r);
  }

 private:
  LossWindows w_;
  int64_t seq_ = 0;
};

constexpr DurabilityPolicy kNoAof{false, false};
constexpr DurabilityPolicy kEverySec{true, false};
constexpr DurabilityPolicy kAlways{true, true};

TEST(LossWindows, NoHandOffNoWindow) {
  Trace t(kNoAof);
  t.State(0, 0, true, 1, "0-100");
  const uint64_t d = t.Write(0, 5000, "k", "A", 100);
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "k", 50, d, 5000), &why), "");
  EXPECT_NE(why.find("every hand-off carried it"), std::string::npos) << why;
}

TEST(LossWindows, AnAckWithoutItsWriteRecordIsNeverForgiven) {
  Trace t(kNoAof);
  t.State(0, 0, true, 1, "0-100");
  t.Write(0, 5000, "k", "A", 100, "other-value");
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "k", 50, ArgvDigest({"SET", "k", "v"}), 5000),
                                    &why),
            "");
  EXPECT_NE(why.find("never traced applying it"), std::string::npos) << why;
}

// The heart of item 1: a failover forgives only what the promoted replica
// had not processed. A write replicated long before the failover is not
// forgiven (the old checker forgave any write acked before a demotion).
TEST(LossWindows, FailoverForgivesOnlyOffsetsPastThePromotedReplica) {
  Trace t(kAlways);
  t.State(0, 0, true, 1, "0-100");
  t.State(1, 0, false, 0, "");
  const uint64_t old_write = t.Write(0, 5000, "old", "A", 100);
  const uint64_t new_write = t.Write(0, 39000, "new", "A", 9000);
  t.Promoted(1, 40000, /*former=*/0, "A", /*processed=*/8790);
  t.State(1, 40000, true, 2, "0-100");
  t.State(0, 41000, false, 1, "");
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "old", 50, old_write, 5000), &why), "");
  EXPECT_NE(why.find("should be on node1"), std::string::npos) << why;
  const std::string cause = t.windows().LossAllowed(t.Acked(0, "new", 50, new_write, 39000));
  EXPECT_NE(cause.find("offset 9000 > node1's processed offset 8790"), std::string::npos)
      << cause;
}

TEST(LossWindows, APromotedNodeFromAnotherHistoryCarriesNothing) {
  Trace t(kAlways);
  t.State(0, 0, true, 1, "0-100");
  const uint64_t d = t.Write(0, 5000, "k", "A", 100);
  t.Promoted(1, 40000, 0, "B", 50000);  // followed node 0 under another replid
  t.State(1, 40000, true, 2, "0-100");
  EXPECT_NE(t.windows().LossAllowed(t.Acked(0, "k", 50, d, 5000)).find("history"),
            std::string::npos);
}

// The finding lost-write-seed-305: a paused primary, replaced while
// paused, applies a queued write the moment it resumes.
TEST(LossWindows, AStalePrimaryAckIsForgivenAsSuch) {
  Trace t(kAlways);
  t.State(2, 0, true, 3, "8192-12287");
  t.Promoted(6, 21659, 2, "A", 14119);
  t.State(6, 21659, true, 10, "8192-12287");
  const uint64_t d = t.Write(2, 22000, "key:1682", "A", 14230);
  t.State(2, 22000, false, 3, "");
  const std::string cause = t.windows().LossAllowed(t.Acked(2, "key:1682", 8673, d, 22000));
  EXPECT_NE(cause.find("stale primary: node2"), std::string::npos) << cause;
  EXPECT_NE(cause.find("node6 had claimed slot 8673 with configEpoch 10"), std::string::npos)
      << cause;
}

TEST(LossWindows, ACrashLosesOnlyWhatWasNotFsynced) {
  for (DurabilityPolicy p : {kNoAof, kEverySec, kAlways}) {
    Trace t(p);
    t.Started(0, 0, "A");
    t.State(0, 0, true, 1, "0-100");
    const uint64_t synced = t.Write(0, 1000, "synced", "A", 100);
    t.Synced(0, 2000, "A", 100);
    const uint64_t unsynced = t.Write(0, 2500, "unsynced", "A", 200);
    t.Event(0, 2600, "Crash");
    t.Event(0, 5000, "Restart");
    t.Started(0, 5000, "B");
    const std::string a = t.windows().LossAllowed(t.Acked(0, "synced", 5, synced, 1000));
    const std::string b = t.windows().LossAllowed(t.Acked(0, "unsynced", 5, unsynced, 2500));
    if (!p.appendonly) {
      EXPECT_NE(a.find("with no AOF"), std::string::npos) << a;
      EXPECT_NE(b.find("with no AOF"), std::string::npos) << b;
    } else if (!p.fsync_always) {
      EXPECT_EQ(a, "");  // everysec: covered by the fsync at 2 s
      EXPECT_NE(b.find("before fsyncing offset 200 (the last fsync covered offset 100)"),
                std::string::npos)
          << b;
    } else {
      EXPECT_EQ(a, "");
      EXPECT_EQ(b, "");
    }
  }
}

TEST(LossWindows, ARestartedNodeCarriesItsDiskToItsNextReplica) {
  Trace t(kAlways);
  t.Started(0, 0, "A");
  t.State(0, 0, true, 1, "0-100");
  const uint64_t d = t.Write(0, 1000, "k", "A", 100);
  t.Event(0, 2000, "Crash");
  t.Event(0, 3000, "Restart");
  t.Started(0, 3000, "B");
  // Its replica resynced from the restarted node (history B) and later
  // took over: it has everything the node had loaded from disk.
  t.Promoted(1, 9000, 0, "B", 0);
  t.State(1, 9000, true, 2, "0-100");
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "k", 5, d, 1000), &why), "");
  EXPECT_NE(why.find("should be on node1"), std::string::npos) << why;
}

TEST(LossWindows, AMigrationCarriesTheKeyAndTheTargetsFailoverMayLoseIt) {
  Trace t(kAlways);
  t.State(0, 0, true, 1, "0-100");
  t.State(1, 0, true, 2, "101-200");
  const uint64_t d = t.Write(0, 1000, "k", "A", 100);
  t.Write(1, 2000, "k", "T", 5000, "dump");  // RESTORE-ASKING on the target
  t.State(1, 2100, true, 3, "50,101-200");
  t.State(0, 2200, true, 1, "0-49,51-100");
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "k", 50, d, 1000), &why), "");
  EXPECT_NE(why.find("should be on node1"), std::string::npos) << why;
  // The target's replica is promoted before it processed the load.
  t.Promoted(2, 9000, 1, "T", 4000);
  t.State(2, 9000, true, 4, "50,101-200");
  const std::string cause = t.windows().LossAllowed(t.Acked(0, "k", 50, d, 1000));
  EXPECT_NE(cause.find("offset 5000 > node2's processed offset 4000"), std::string::npos)
      << cause;
}

// Explore faults seed 427: node 0's fsyncs of its first history reached
// offset 2965; it lost its slots, resynced in full under another history,
// was promoted again (history C) and wrote at 2750 before crashing with
// its last fsync of C at 2701. The old history's fsync covers nothing of C.
TEST(LossWindows, AnFsyncOfAnotherHistoryCoversNothing) {
  Trace t(kEverySec);
  t.Started(0, 0, "A");
  t.State(0, 0, true, 1, "0-100");
  t.Synced(0, 1000, "A", 2965);
  t.State(0, 2000, false, 1, "");
  t.Promoted(0, 3000, 1, "B", 2587);  // its new id: "new-0", continuing B
  t.State(0, 3000, true, 5, "0-100");
  t.Synced(0, 3500, "new-0", 2701);
  const uint64_t d = t.Write(0, 4000, "k", "new-0", 2750);
  t.Event(0, 4200, "Crash");
  t.Event(0, 4500, "Restart");
  t.Started(0, 4500, "D");
  const std::string cause = t.windows().LossAllowed(t.Acked(0, "k", 5, d, 4000));
  EXPECT_NE(cause.find("before fsyncing offset 2750 (the last fsync covered offset 2701)"),
            std::string::npos)
      << cause;
  // An fsync before the promotion, of the history it continued (B) and
  // below the switch, still counts for offsets up to it.
  Trace u(kEverySec);
  u.State(0, 0, false, 1, "");
  const uint64_t early = u.Write(0, 500, "e", "B", 2000);  // applied as a replica
  u.Synced(0, 1000, "B", 2500);
  u.Promoted(0, 3000, 1, "B", 2587);
  u.State(0, 3000, true, 5, "0-100");
  u.Event(0, 4200, "Crash");
  u.Event(0, 4500, "Restart");
  u.Started(0, 4500, "D");
  std::string why;
  AckedWrite w = u.Acked(0, "e", 5, early, 500);
  EXPECT_EQ(u.windows().LossAllowed(w, &why), "") << "B's fsync at 2500 covers 2000";
}

// Explore faults seed 313: an atomic import loaded the key, its source
// crashed, and the import failed (its partial keys dropped) before the
// target claimed the slot. The copy that counts stays on the source.
std::string FailedImport(std::string job, std::string slots, std::string reason) {
  SlotMigrationRecord m;
  m.job = std::move(job);
  m.role = "import";
  m.peer = "p";
  m.slots = std::move(slots);
  m.keys = 1;
  m.bytes = 31;
  m.reason = std::move(reason);
  return m.Format();
}

TEST(LossWindows, AFailedAtomicImportCarriesNothing) {
  Trace t(kNoAof);
  t.State(0, 0, true, 1, "0-100");
  t.State(1, 0, true, 2, "101-200");
  const uint64_t d = t.Write(0, 1000, "k", "A", 100);
  t.Write(1, 2000, "k", "T", 5000, "dump");  // the import stream's RESTORE
  t.Event(0, 2100, "Crash");
  t.Emit(1, 2200, "SlotMigrationFailed",
         FailedImport("j1", "40-60", "source link lost"));
  t.Event(0, 3000, "Restart");
  const std::string cause = t.windows().LossAllowed(t.Acked(0, "k", 50, d, 1000));
  EXPECT_NE(cause.find("node0 crashed at 2100 ms with no AOF"), std::string::npos) << cause;
  // Had the import succeeded (the target claims before any failure), the
  // copy would be the target's.
  Trace u(kNoAof);
  u.State(0, 0, true, 1, "0-100");
  u.State(1, 0, true, 2, "101-200");
  const uint64_t e = u.Write(0, 1000, "k", "A", 100);
  u.Write(1, 2000, "k", "T", 5000, "dump");
  u.State(1, 2050, true, 3, "50,101-200");
  u.Event(0, 2100, "Crash");
  u.Emit(1, 2200, "SlotMigrationFailed", FailedImport("j2", "50", "later"));
  u.Event(0, 3000, "Restart");
  std::string why;
  EXPECT_EQ(u.windows().LossAllowed(u.Acked(0, "k", 50, e, 1000), &why), "");
  EXPECT_NE(why.find("should be on node1"), std::string::npos) << why;
}

// An atomic takeover by a target with one replica waits for that replica
// to acknowledge END's offset: a failover to it cannot lose the batch. With
// two replicas the other may win, and asynchronous replication applies.
TEST(LossWindows, AnAtomicTakeoverWithOneReplicaPromisesTheBatch) {
  for (const int64_t replicas : {1, 2}) {
    Trace t(kAlways);
    t.State(0, 0, true, 1, "0-100");
    t.State(1, 0, true, 2, "101-200");
    const uint64_t d = t.Write(0, 1000, "k", "A", 100);
    t.Write(1, 2000, "k", "T", 5000, "dump");  // loaded by the import
    SlotMigrationRecord m;
    m.job = "j1";
    m.role = "import";
    m.peer = "n0";
    m.slots = "40-60";
    m.config_epoch = 3;
    m.end_offset = 5100;
    m.replicas = replicas;
    t.Emit(1, 2100, SlotMigrationRecord::kImportTakeover, m.Format());
    t.State(1, 2100, true, 3, "40-60,101-200");
    t.State(0, 2200, true, 1, "0-39,61-100");
    t.Promoted(2, 9000, 1, "T", 4000);  // had not processed the load
    t.State(2, 9000, true, 4, "40-60,101-200");
    std::string why;
    const std::string cause = t.windows().LossAllowed(t.Acked(0, "k", 50, d, 1000), &why);
    if (replicas == 1) {
      EXPECT_EQ(cause, "");
      EXPECT_NE(why.find("over atomically at 2100 ms with one replica attached"),
                std::string::npos)
          << why;
    } else {
      EXPECT_NE(cause.find("asynchronous replication"), std::string::npos) << cause;
    }
  }
}

TEST(LossWindows, ASlotThatMovesWithoutTheKeyIsAViolation) {
  Trace t(kAlways);
  t.State(0, 0, true, 1, "0-100");
  const uint64_t d = t.Write(0, 1000, "k", "A", 100);
  t.State(3, 5000, true, 7, "0-100");  // neither a replica of 0 nor a loader of k
  std::string why;
  EXPECT_EQ(t.windows().LossAllowed(t.Acked(0, "k", 50, d, 1000), &why), "");
  EXPECT_NE(why.find("by neither a promotion"), std::string::npos) << why;
}

}  // namespace
}  // namespace slotsim
