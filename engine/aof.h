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
//
// Disk errors, as aof.c meets them:
//   - a failed write keeps the commands in a buffer (aof_buf) and puts the
//     log in error: the node refuses writes with -MISCONF until a retry
//     (each append, and once a second) gets them out; under always it
//     exits instead (flushAppendOnlyFile), since replies already owe them;
//   - a failed fsync under always exits (nothing unsynced is ever
//     acknowledged); under everysec it puts the log in error until a
//     later fsync succeeds (bio.c's aof_bio_fsync_status), and, as in
//     Redis 7.0, that later fsync only comes with a later write.
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

  // Replays appendonly.aof through `apply` (loadSingleAppendOnlyFile).
  // A log cut inside its last command (a torn write) loads up to the last
  // whole command, is cut back to it on disk and says so, as
  // aof-load-truncated yes does. Returns false with `*error` set, and the
  // node must not start, if the file cannot be read or is corrupt before
  // its end. `*commands` counts what was replayed.
  bool Load(const ApplyFn& apply, int64_t* commands, std::string* error);
  // Creates the log if missing and starts the fsync (or write-back) timer
  // once; call again after appendonly or appendfsync changed. False with
  // `*error` if the log cannot be created.
  bool Start(std::string* error = nullptr);
  // Appends one write (to the buffer, then the file). With always it is
  // synced by the next Flush(), which the owner runs before any reply
  // acknowledging it leaves (sync_pending() says one is owed).
  void Append(const std::vector<std::string>& argv);
  // appendfsync always with appended writes not yet fsynced.
  bool sync_pending() const {
    return config_.appendfsync == AofFsync::kAlways && (unsynced_ || !buffer_.empty());
  }
  // Replaces the log with `commands` (startAppendOnly's rewrite),
  // atomically and durably. A rewrite that worked clears any error (the
  // log was reopened); one that failed leaves the old log as it was.
  IoStatus Rewrite(const std::string& commands);
  // A replica's full sync: Rewrite, retried kRestartAfterSyncTries times
  // with the node's thread asleep kRestartAfterSyncPauseUs in between, and
  // exit if none works, as restartAOFAfterSYNC does (the old log lacks the
  // snapshot).
  void RewriteAfterSync(const std::string& commands);
  static constexpr int kRestartAfterSyncTries = 10;
  static constexpr int64_t kRestartAfterSyncPauseUs = 1'000'000;
  bool enabled() const { return config_.appendonly; }
  // Makes every appended write durable now: the end of an event-loop pass
  // under always, or a clean shutdown.
  void Flush();
  // stopAppendOnly: what was appended is synced even though the log is
  // now off (appendonly was just set to no).
  void SyncAfterStop();
  // writeCommandsDeniedByDiskError: kOk, or the error that makes the
  // node refuse writes (-MISCONF Errors writing to the AOF file: <it>).
  IoStatus write_error() const;
  // Where the node's replication stream stands (replid, offset): traced
  // with each completed fsync (AofSynced) so the oracle knows what a crash
  // may lose.
  using PositionFn = std::function<std::pair<std::string, int64_t>()>;
  void set_position(PositionFn fn) { position_ = std::move(fn); }

 private:
  void ScheduleSync();
  void TraceSynced();
  // Writes the buffer out (flushAppendOnlyFile's write half). False if
  // the write failed; under always that exits the process.
  bool WriteBuffer();
  // A background fsync (everysec's bio job) or the OS's write-back.
  void SyncInBackground();
  // env_.Exit with `reason`; the node is gone when it returns.
  void Die(const std::string& reason);

  PositionFn position_;
  Env& env_;
  const EngineConfig& config_;
  bool unsynced_ = false;
  bool timer_armed_ = false;  // the aofSync timer re-arms itself
  // Commands not yet written (aof_buf): non-empty only after a failed write.
  std::string buffer_;
  static constexpr size_t kBufferMaxBytes = size_t{1} << 30;
  IoStatus last_write_status_ = IoStatus::kOk;  // aof_last_write_status/errno
  IoStatus bio_fsync_status_ = IoStatus::kOk;   // aof_bio_fsync_status/errno
};

}  // namespace slotsim
