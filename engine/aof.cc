#include "engine/aof.h"

#include "engine/check.h"
#include "engine/resp.h"
#include "engine/trace_records.h"

#include <tuple>

namespace slotsim {
namespace {
constexpr const char* kAofFile = Aof::kFileName;
constexpr const char* kAofTemp = "appendonly.aof.tmp";
}  // namespace

Aof::Aof(Env& env, const EngineConfig& config) : env_(env), config_(config) {}

int64_t Aof::Load(const ApplyFn& apply) {
  if (!enabled()) return 0;
  std::optional<std::string> data = env_.ReadFile(kAofFile);
  if (!data) return 0;
  RequestParser parser;
  parser.Feed(*data);
  std::vector<std::string> argv;
  int64_t n = 0;
  ParseStatus st;
  while ((st = parser.Next(&argv)) == ParseStatus::kOk) {
    apply(argv);
    ++n;
  }
  const bool torn = st == ParseStatus::kError || parser.buffered() > 0;
  if (torn) env_.HitProbe(Probe::kAofTornTailDropped);
  env_.Trace({"AofLoaded", "", "",
              "commands=" + std::to_string(n) + (torn ? " torn_tail=1" : "")});
  return n;
}

void Aof::Start() {
  if (!enabled()) return;
  // A new file's name is durable only after a directory fsync; without
  // it a crash loses the whole log, however often the file is fsynced.
  if (!env_.ReadFile(kAofFile)) {
    bool ok = env_.WriteFile(kAofFile, "") && env_.SyncFile(kAofFile) && env_.SyncDir();
    SLOTSIM_CHECK_MSG(ok, "cannot create the aof");
  }
  if (config_.appendfsync != AofFsync::kAlways && !timer_armed_) ScheduleSync();
}

void Aof::ScheduleSync() {
  const int64_t period = config_.appendfsync == AofFsync::kEverySec ? 1000 : config_.os_writeback_ms;
  timer_armed_ = true;
  env_.AddTimer(period, "aofSync", [this] {
    timer_armed_ = false;
    if (unsynced_) {
      SLOTSIM_CHECK_MSG(env_.SyncFile(kAofFile), "aof fsync failed");
      unsynced_ = false;
      TraceSynced();
      if (env_.BugInjected("aof-everysec-timer-not-rearmed")) return;
    }
    ScheduleSync();
  });
}

void Aof::Append(const std::vector<std::string>& argv) {
  if (!enabled()) return;
  SLOTSIM_CHECK_MSG(env_.AppendFile(kAofFile, resp::EncodeCommand(argv)), "aof write failed");
  unsynced_ = true;
}

void Aof::Flush() {
  if (!enabled() || !unsynced_) return;
  SLOTSIM_CHECK_MSG(env_.SyncFile(kAofFile), "aof fsync failed");
  unsynced_ = false;
  if (config_.appendfsync != AofFsync::kAlways) TraceSynced();
}

void Aof::SyncAfterStop() {
  if (!unsynced_) return;
  SLOTSIM_CHECK_MSG(env_.SyncFile(kAofFile), "aof fsync failed");
  unsynced_ = false;
}

void Aof::TraceSynced() {
  // Every append happens in the same event as the replication offset it
  // advances, so "synced now" covers the stream up to the current offset.
  // With appendfsync always each append is synced before its reply leaves,
  // and nothing is traced: the oracle knows the policy.
  if (!env_.TraceEnabled() || !position_) return;
  AofSyncedRecord r;
  std::tie(r.replid, r.offset) = position_();
  env_.Trace({AofSyncedRecord::kKind, "", "", r.Format()});
}

void Aof::Rewrite(const std::string& commands) {
  if (!enabled()) return;
  bool ok = env_.WriteFile(kAofTemp, commands) && env_.SyncFile(kAofTemp) &&
            env_.RenameFile(kAofTemp, kAofFile) && env_.SyncDir();
  SLOTSIM_CHECK_MSG(ok, "aof rewrite failed");
  unsynced_ = false;
}

}  // namespace slotsim
