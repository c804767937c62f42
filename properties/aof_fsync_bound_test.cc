#include "properties/aof_fsync_bound.h"

#include <gtest/gtest.h>

#include <string>

namespace slotsim {
namespace {

class Trace {
 public:
  explicit Trace(AofFsync policy) : c_(Settings(policy)) {}
  AofFsyncBound& checker() { return c_; }

  // A crash at `ms` that drops the AOF's writes since `since_ms`.
  void CrashLosing(int node, int64_t ms, int64_t since_ms, const char* file = "appendonly.aof") {
    Emit(node, ms, "DiskUnsynced",
         std::string("file=") + file + " since_us=" + std::to_string(since_ms * 1000) +
             " bytes=100");
    Emit(node, ms, "Crash", "");
  }
  void Event(int node, int64_t ms, const std::string& kind, std::string details = "") {
    Emit(node, ms, kind, std::move(details));
  }

 private:
  static CheckerSettings Settings(AofFsync policy) {
    CheckerSettings s;
    s.appendonly = true;
    s.appendfsync = policy;
    s.os_writeback_ms = 30'000;
    return s;
  }
  void Emit(int node, int64_t ms, const std::string& kind, std::string details) {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.time_us = ms * 1000;
    r.kind = kind;
    r.details = std::move(details);
    c_.OnTrace(r);
  }
  AofFsyncBound c_;
  int64_t seq_ = 0;
};

TEST(AofFsyncBound, EverysecMayLoseTwoSecondsAndNoMore) {
  Trace ok(AofFsync::kEverySec), late(AofFsync::kEverySec);
  ok.CrashLosing(0, 10'000, 8'100);
  EXPECT_TRUE(ok.checker().violations().empty());
  late.CrashLosing(0, 10'000, 7'000);
  ASSERT_EQ(late.checker().violations().size(), 1u);
  const Violation& v = late.checker().violations()[0];
  EXPECT_EQ(v.id, "aof-fsync-policy-kept");
  EXPECT_NE(v.message.find("3000 ms unsynced"), std::string::npos) << v.message;
}

TEST(AofFsyncBound, NoFsyncIsBoundByTheOsWriteBack) {
  Trace ok(AofFsync::kNo), late(AofFsync::kNo);
  ok.CrashLosing(0, 40'000, 15'000);
  late.CrashLosing(0, 40'000, 8'000);
  EXPECT_TRUE(ok.checker().violations().empty());
  EXPECT_EQ(late.checker().violations().size(), 1u);
}

TEST(AofFsyncBound, OtherFilesAndOtherPoliciesAreNotJudgedHere) {
  Trace other(AofFsync::kEverySec), always(AofFsync::kAlways);
  other.CrashLosing(0, 10'000, 1'000, "nodes.conf.tmp");
  always.CrashLosing(0, 10'000, 1'000);
  EXPECT_TRUE(other.checker().violations().empty());
  EXPECT_TRUE(always.checker().violations().empty());
  EXPECT_LT(always.checker().bound_us(), 0);
}

// A node whose timer could not run on time since the oldest unsynced
// write is exempt; one impaired only before that write is not.
TEST(AofFsyncBound, PausedBlockedOrSlowNodesAreExempt) {
  Trace paused(AofFsync::kEverySec), blocked(AofFsync::kEverySec), slow(AofFsync::kEverySec),
      busy(AofFsync::kEverySec), earlier(AofFsync::kEverySec);
  paused.Event(0, 6'000, "Pause");
  paused.Event(0, 8'000, "Resume");
  blocked.Event(0, 6'000, "BlockingRead");
  blocked.Event(0, 6'500, "BlockingReadTimeout");
  slow.Event(0, 4'000, "FsyncLatency", "us=500000 busy_us=0");
  busy.Event(0, 4'000, "FsyncLatency", "us=500000 busy_us=0");
  busy.Event(0, 5'000, "FsyncLatency", "us=0 busy_us=1500000");  // blocked to 6.5 s
  earlier.Event(0, 1'000, "Pause");
  earlier.Event(0, 2'000, "Resume");
  for (Trace* t : {&paused, &blocked, &slow, &busy, &earlier}) t->CrashLosing(0, 10'000, 6'000);
  for (Trace* t : {&paused, &blocked, &slow, &busy})
    EXPECT_TRUE(t->checker().violations().empty()) << t->checker().violations()[0].message;
  EXPECT_EQ(earlier.checker().violations().size(), 1u);
}

// A disk that fails fsyncs (or writes, or is full) cannot keep the policy:
// a crash during or after such a fault, losing what it left unsynced, is
// the disk's doing. A read fault is no excuse, nor a fault that ended
// before the oldest lost write.
TEST(AofFsyncBound, FailedFsyncsExemptAndReadFaultsDoNot) {
  Trace fsync(AofFsync::kEverySec), read(AofFsync::kEverySec), before(AofFsync::kEverySec);
  fsync.Event(0, 5'000, "DiskFault", "op=fsync error=EIO duration_us=3000000 once=0");
  fsync.CrashLosing(0, 10'000, 6'000);
  EXPECT_TRUE(fsync.checker().violations().empty());
  read.Event(0, 5'000, "DiskFault", "op=read error=EIO duration_us=9000000 once=0");
  read.CrashLosing(0, 10'000, 6'000);
  EXPECT_EQ(read.checker().violations().size(), 1u);
  before.Event(0, 1'000, "DiskFault", "op=write error=EIO duration_us=1000000 once=0");
  before.Event(0, 2'000, "DiskFaultEnded", "op=write error=EIO");
  before.CrashLosing(0, 10'000, 6'000);
  EXPECT_EQ(before.checker().violations().size(), 1u);
}

}  // namespace
}  // namespace slotsim
