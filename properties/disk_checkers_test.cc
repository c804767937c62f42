// node-identity-kept and writes-resume-after-disk-recovers on fabricated
// traces: each passes the engine's correct reaction and fails the bug it
// guards against (a node back as a stranger; a node stuck refusing writes
// on a healthy disk).
#include <gtest/gtest.h>

#include "engine/trace_records.h"
#include "properties/disk_recovery.h"
#include "properties/epoch_checker.h"
#include "properties/identity_checker.h"

namespace slotsim {
namespace {

class Trace {
 public:
  void Emit(TraceChecker& c, int node, int64_t ms, std::string kind, std::string details = "") {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.time_us = ms * 1000;
    r.kind = std::move(kind);
    r.details = std::move(details);
    c.OnTrace(r);
  }

 private:
  int64_t seq_ = 0;
};

const std::string kA = "node=" + std::string(40, 'a') + " addr=127.0.0.1:7000@17000";
const std::string kB = "node=" + std::string(40, 'b') + " addr=127.0.0.1:7000@17000";

TEST(IdentityChecker, ARestartAsItselfPasses) {
  IdentityChecker c;
  Trace t;
  t.Emit(c, 0, 0, "NodeStart", kA);
  t.Emit(c, 0, 5000, "Crash");
  t.Emit(c, 0, 6000, "NodeRestart", kA);
  EXPECT_TRUE(c.violations().empty());
}

TEST(IdentityChecker, AFirstStartAfterAnIdentityFails) {
  IdentityChecker c;
  Trace t;
  t.Emit(c, 0, 0, "NodeStart", kA);
  t.Emit(c, 0, 6000, "NodeStart", kB);  // an unreadable nodes.conf taken for a first start
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "node-identity-kept");
}

TEST(IdentityChecker, ResetHardIsTheOneWayToANewName) {
  IdentityChecker c;
  Trace t;
  t.Emit(c, 0, 0, "NodeStart", kA);
  t.Emit(c, 0, 1000, "ResetHard", kB);
  t.Emit(c, 0, 6000, "NodeRestart", kB);
  EXPECT_TRUE(c.violations().empty());
  t.Emit(c, 0, 9000, "NodeRestart", kA);  // back to the old name from a stale file
  EXPECT_EQ(c.violations().size(), 1u);
}

TEST(DiskRecovery, RecoveringWithinTheBoundPasses) {
  DiskRecovery c;
  Trace t;
  t.Emit(c, 0, 10000, "DiskFault");
  t.Emit(c, 0, 10001, "AofWriteError");
  t.Emit(c, 0, 13000, "DiskFaultEnded");
  t.Emit(c, 0, 14000, "AofWriteRecovered");
  t.Emit(c, -1, 60000, "Mark");
  c.Finish(60'000'000);
  EXPECT_TRUE(c.violations().empty());
}

TEST(DiskRecovery, StillRefusingOnAHealthyDiskFails) {
  DiskRecovery c;
  Trace t;
  t.Emit(c, 0, 10000, "DiskFault");
  t.Emit(c, 0, 10001, "AofFsyncError");
  t.Emit(c, 0, 12000, "DiskFaultEnded");
  t.Emit(c, -1, 12000 + DiskRecovery::kResumeBoundUs / 1000 + 1, "Mark");
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "writes-resume-after-disk-recovers");
  c.Finish(60'000'000);
  EXPECT_EQ(c.violations().size(), 1u) << "one report per episode";
}

TEST(DiskRecovery, AFaultOrAPauseHoldsTheClockAndACrashEndsTheEpisode) {
  DiskRecovery c;
  Trace t;
  t.Emit(c, 0, 10000, "DiskFault");
  t.Emit(c, 0, 10001, "AofWriteError");
  t.Emit(c, -1, 40000, "Mark");  // the disk still fails: not judged
  t.Emit(c, 0, 40000, "Pause");
  t.Emit(c, 0, 40001, "DiskFaultEnded");
  t.Emit(c, -1, 60000, "Mark");  // paused: cannot retry
  t.Emit(c, 0, 60000, "Resume");
  t.Emit(c, 0, 61000, "Crash");  // the process is gone, and its error with it
  c.Finish(90'000'000);
  EXPECT_TRUE(c.violations().empty());
}

// current-epoch-monotonic: a node that exits because a save failed comes
// back with its last save; a power loss gives no such allowance (every
// raise is fsynced before anyone can see it).
TEST(EpochCheckerDisk, AnExitFallsBackToTheLastSaveAPowerLossDoesNot) {
  auto state = [](int64_t current) {
    NodeStateRecord n;
    n.primary = false;
    n.current_epoch = current;
    return n.Format();
  };
  for (const char* crash : {"cause=exit reason=Fatal", ""}) {
    EpochChecker c;
    Trace t;
    t.Emit(c, 6, 1000, std::string(NodeStateRecord::kKind), state(11));
    t.Emit(c, 6, 1000, "ConfigSaved", "fsync=1 current_epoch=11 last_vote_epoch=0");
    t.Emit(c, 6, 2000, std::string(NodeStateRecord::kKind), state(12));  // learned, not yet saved
    t.Emit(c, 6, 2000, "Crash", crash);
    t.Emit(c, 6, 3000, "Restart");
    t.Emit(c, 6, 3000, std::string(NodeStateRecord::kKind), state(11));
    EXPECT_EQ(c.violations().size(), std::string(crash).empty() ? 1u : 0u) << crash;
  }
}

}  // namespace
}  // namespace slotsim
