// "aof-fsync-policy-kept": a crash loses only what the appendfsync policy
// allows to be unsynced. The simulated disk, not the engine, says what a
// crash dropped (DiskUnsynced: the oldest write since the file's last
// fsync), so an engine that fsyncs less often than it claims, and traces
// its AofSynced markers faithfully, is still caught:
//   everysec: nothing older than 2 s (the one-second timer, plus Redis's
//     own margin: aof.c postpones a write up to 2 s behind a slow fsync);
//   no: nothing older than the OS write-back period plus 1 s.
// appendfsync always is judged by the replies instead (a write is never
// acknowledged before its pass's fsync: tests/aof_test.cc).
//
// Exempt, because its timer cannot run on time: a node that was paused,
// blocked in a synchronous read, or slowed by fsync latency at any time
// since the oldest unsynced write; and a node whose disk failed writes or
// fsyncs (or was full) since then (DiskFault .. DiskFaultEnded).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class AofFsyncBound : public TraceChecker {
 public:
  explicit AofFsyncBound(const CheckerSettings& settings);

  // Reads DiskUnsynced, Pause, Resume, BlockingRead(End|Timeout),
  // FsyncLatency, DiskFault(Ended) and Restart records.
  void OnTrace(const TraceRecord& r) override;
  const std::vector<Violation>& violations() const override { return violations_; }
  // -1 when the policy is not judged here (no AOF, or always).
  int64_t bound_us() const { return bound_us_; }

 private:
  static constexpr size_t kViolationsMax = 20;
  struct Machine {
    bool impaired = false;        // paused, blocked or slow right now
    int64_t impaired_until_us = -1;  // when it last stopped being so
    bool paused = false, blocked = false, slow = false;
    int disk_faults = 0;  // DiskFault windows open (writes, fsyncs, full)
  };
  void Update(Machine& m, int64_t now_us, int64_t busy_us = 0);

  int64_t bound_us_ = -1;
  const char* policy_ = "";
  std::map<int, Machine> machines_;
  std::vector<Violation> violations_;
};

}  // namespace slotsim
