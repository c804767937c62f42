#include "properties/disk_recovery.h"

#include <string>

namespace slotsim {

void DiskRecovery::Judge(int machine, Machine& m, int64_t now_us) {
  if (!m.refusing || m.healthy_since_us < 0 || now_us - m.healthy_since_us <= kResumeBoundUs)
    return;
  if (violations_.size() < kViolationsMax) {
    violations_.emplace_back("writes-resume-after-disk-recovers",
                             "node " + std::to_string(machine) +
                                 " still refuses writes (-MISCONF) " +
                                 std::to_string((now_us - m.healthy_since_us) / 1000) +
                                 " ms after its disk recovered",
                             m.healthy_since_us + kResumeBoundUs,
                             std::vector<int64_t>{m.error_seq});
  }
  SetRefusing(m, false);  // one report per episode
}

void DiskRecovery::SetRefusing(Machine& m, bool refusing) {
  if (m.refusing != refusing) refusing_ += refusing ? 1 : -1;
  m.refusing = refusing;
}

void DiskRecovery::OnTrace(const TraceRecord& r) {
  // Every record moves time on: judge the open episodes first (rare: the
  // loop runs only while some node refuses writes).
  if (refusing_ > 0)
    for (auto& [machine, m] : machines_) Judge(machine, m, r.time_us);
  if (r.node < 0) return;
  const std::string_view k = r.kind;
  Machine& m = machines_[r.node];
  const bool was_healthy = m.active_faults == 0 && !m.paused;
  if (k == "AofWriteError" || k == "AofFsyncError") {
    if (!m.refusing) m.error_seq = r.seq;
    SetRefusing(m, true);
  } else if (k == "AofWriteRecovered" || k == "Crash" || k == "Restart") {
    SetRefusing(m, false);
    if (k != "AofWriteRecovered") m.paused = false;
  } else if (k == "DiskFault") {
    ++m.active_faults;
  } else if (k == "DiskFaultEnded") {
    if (m.active_faults > 0) --m.active_faults;
  } else if (k == "Pause") {
    m.paused = true;
  } else if (k == "Resume") {
    m.paused = false;
  } else {
    return;
  }
  const bool healthy = m.active_faults == 0 && !m.paused;
  if (!healthy) m.healthy_since_us = -1;
  else if (!was_healthy || m.healthy_since_us < 0) m.healthy_since_us = r.time_us;
}

void DiskRecovery::Finish(int64_t end_us) {
  for (auto& [machine, m] : machines_) Judge(machine, m, end_us);
}

}  // namespace slotsim
