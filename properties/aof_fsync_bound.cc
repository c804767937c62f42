#include "properties/aof_fsync_bound.h"

#include <algorithm>
#include <string>

#include "engine/aof.h"
#include "engine/check.h"
#include "engine/trace_records.h"

namespace slotsim {

AofFsyncBound::AofFsyncBound(const CheckerSettings& settings) {
  if (!settings.appendonly) return;
  if (settings.appendfsync == AofFsync::kEverySec) {
    bound_us_ = 2'000'000;
    policy_ = "everysec";
  } else if (settings.appendfsync == AofFsync::kNo) {
    bound_us_ = (settings.os_writeback_ms + 1000) * 1000;
    policy_ = "no";
  }
}

void AofFsyncBound::Update(Machine& m, int64_t now_us, int64_t busy_us) {
  const bool impaired = m.paused || m.blocked || m.slow || m.disk_faults > 0;
  if (m.impaired && !impaired) m.impaired_until_us = std::max(m.impaired_until_us, now_us);
  // Fsyncs charged before the disk got fast again still hold the thread.
  if (busy_us > 0) m.impaired_until_us = std::max(m.impaired_until_us, now_us + busy_us);
  m.impaired = impaired;
}

void AofFsyncBound::OnTrace(const TraceRecord& r) {
  if (bound_us_ < 0 || r.node < 0) return;
  const std::string& k = r.kind;
  Machine& m = machines_[r.node];
  if (k == "Pause" || k == "Resume") {
    m.paused = k == "Pause";
    Update(m, r.time_us);
  } else if (k == "BlockingRead" || k == "BlockingReadEnd" || k == "BlockingReadTimeout") {
    m.blocked = k == "BlockingRead";
    Update(m, r.time_us);
  } else if (k == "FsyncLatency") {
    DetailsReader d(r.details);
    auto us = d.Int("us"), busy = d.Int("busy_us");
    SLOTSIM_CHECK_MSG(d.ok(), d.error().c_str());
    m.slow = *us > 0;
    Update(m, r.time_us, *busy);
  } else if (k == "DiskFault" || k == "DiskFaultEnded") {
    // A disk that fails writes or fsyncs (or is full) cannot keep any
    // policy: what it leaves unsynced meanwhile is the disk's doing (read
    // errors do not count).
    DetailsReader d(r.details);
    if (d.OptionalStr("op") == "read") return;
    if (k == "DiskFault") ++m.disk_faults;
    else if (m.disk_faults > 0) --m.disk_faults;
    Update(m, r.time_us);
  } else if (k == "Restart") {
    // A new process: paused and blocked states died with the old one;
    // the disk's latency is the machine's and stays.
    m.paused = m.blocked = false;
    Update(m, r.time_us);
  } else if (k == "DiskUnsynced") {
    DetailsReader d(r.details);
    auto file = d.Str("file");
    auto since = d.Int("since_us"), bytes = d.Int("bytes");
    SLOTSIM_CHECK_MSG(d.ok(), d.error().c_str());
    if (*file != Aof::kFileName) return;
    const int64_t age = r.time_us - *since;
    if (age <= bound_us_ || m.impaired || m.impaired_until_us >= *since) return;
    if (violations_.size() >= kViolationsMax) return;
    violations_.push_back(
        {"aof-fsync-policy-kept",
         "node" + std::to_string(r.node) + " crashed at " + std::to_string(r.time_us / 1000) +
             " ms losing " + std::to_string(*bytes) + " bytes of " + *file +
             " written since " + std::to_string(*since / 1000) + " ms (" +
             std::to_string(age / 1000) + " ms unsynced) under appendfsync " + policy_ +
             " (bound " + std::to_string(bound_us_ / 1000) + " ms)",
         r.time_us,
         {r.seq}});
  }
}

}  // namespace slotsim
