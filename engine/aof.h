// The append-only data log (Redis's aof.c, single file, no rewrite
// scheduling): every write is appended as a RESP command; appendfsync
// decides when it becomes durable. On restart the log is replayed.
//
//   always:   fsync before the write is acknowledged, once per event-loop
//             pass (flushAppendOnlyFile in beforeSleep): a pass's writes
//             share one fsync, and their replies wait for it
//   everysec: fsync once a second (up to ~1-2 s of writes can be lost)
//   no:       never fsync; the simulated OS writes back every
//             os_writeback_ms, so a crash loses what came since
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/env.h"

namespace slotsim {

class Aof {
 public:
  using ApplyFn = std::function<void(const std::vector<std::string>&)>;
  // The log's file name (the oracle holds its fsyncs to the policy).
  static constexpr const char* kFileName = "appendonly.aof";
  Aof(Env& env, const EngineConfig& config);

  // Replays appendonly.aof through `apply`. A torn last command (a crash
  // mid-append) is dropped, as aof-load-truncated does; returns the number
  // of commands replayed.
  int64_t Load(const ApplyFn& apply);
  // Creates the log if missing and starts the fsync (or write-back) timer
  // once; call again after appendonly or appendfsync changed.
  void Start();
  // Appends one write. With always it is synced by the next Flush(),
  // which the owner runs before any reply acknowledging it leaves
  // (sync_pending() says one is owed).
  void Append(const std::vector<std::string>& argv);
  // appendfsync always with appended writes not yet fsynced.
  bool sync_pending() const {
    return config_.appendfsync == AofFsync::kAlways && unsynced_;
  }
  // Replaces the log with `commands` (a full resync's snapshot),
  // atomically and durably.
  void Rewrite(const std::string& commands);
  bool enabled() const { return config_.appendonly; }
  // Makes every appended write durable now: the end of an event-loop pass
  // under always, or a clean shutdown.
  void Flush();
  // stopAppendOnly: what was appended is synced even though the log is
  // now off (appendonly was just set to no).
  void SyncAfterStop();
  // Where the node's replication stream stands (replid, offset): traced
  // with each completed fsync (AofSynced) so the oracle knows what a crash
  // may lose.
  using PositionFn = std::function<std::pair<std::string, int64_t>()>;
  void set_position(PositionFn fn) { position_ = std::move(fn); }

 private:
  void ScheduleSync();
  void TraceSynced();
  PositionFn position_;
  Env& env_;
  const EngineConfig& config_;
  bool unsynced_ = false;
  bool timer_armed_ = false;  // the aofSync timer re-arms itself
};

}  // namespace slotsim
