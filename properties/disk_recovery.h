// "writes-resume-after-disk-recovers": a node that refuses writes because
// its disk failed (-MISCONF after an AOF write or fsync error) takes them
// again once the disk works: Redis retries a failed write every second
// (serverCron) and clears the error with the first write that gets
// through. A node stuck refusing writes on a healthy disk is an outage the
// disk no longer explains (Redis 7.0.15's everysec fsync error is one:
// engine/bug_zoo.h, fsync-error-not-retried).
//
// Judged from the trace: an AofWriteError or AofFsyncError opens an
// episode on the machine, AofWriteRecovered, a crash or a restart closes
// it. Once no disk fault is active on the machine (DiskFault ..
// DiskFaultEnded) and it is not paused, the episode must close within
// kResumeBoundUs; one still open then, or at the end of the run past that
// bound, is a violation.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "properties/checker.h"

namespace slotsim {

class DiskRecovery : public TraceChecker {
 public:
  // One write-back tick to retry in (1 s), one for the retry's fsync, and
  // a margin for a thread busy with a slow fsync or a long command.
  static constexpr int64_t kResumeBoundUs = 4'000'000;

  // Reads AofWriteError, AofFsyncError, AofWriteRecovered, DiskFault,
  // DiskFaultEnded, Pause, Resume, Crash and Restart records.
  void OnTrace(const TraceRecord& r) override;
  void Finish(int64_t end_us) override;
  const std::vector<Violation>& violations() const override { return violations_; }

 private:
  static constexpr size_t kViolationsMax = 20;
  struct Machine {
    bool refusing = false;
    int64_t error_seq = -1;
    int active_faults = 0;
    bool paused = false;
    // When the disk last became healthy (or the node last resumed): the
    // bound counts from here. -1 while a fault or a pause lasts.
    int64_t healthy_since_us = -1;
  };
  // Reports the machine's open episode if its bound passed by `now_us`.
  void Judge(int machine, Machine& m, int64_t now_us);
  void SetRefusing(Machine& m, bool refusing);

  std::map<int, Machine> machines_;
  int refusing_ = 0;  // machines with an open episode
  std::vector<Violation> violations_;
};

}  // namespace slotsim
