#include "engine/aof.h"

#include "engine/check.h"
#include "engine/commands.h"
#include "engine/resp.h"
#include "engine/trace_records.h"

#include <tuple>

namespace slotsim {
namespace {
constexpr const char* kAofFile = Aof::kFileName;
constexpr const char* kAofTemp = "appendonly.aof.tmp";

std::string Errno(IoStatus st) { return IoStatusText(st); }
}  // namespace

Aof::Aof(Env& env, const EngineConfig& config) : env_(env), config_(config) {}

bool Aof::Load(const ApplyFn& apply, int64_t* commands, std::string* error) {
  *commands = 0;
  if (!enabled()) return true;
  std::string data;
  const IoStatus st = env_.ReadFile(kAofFile, &data);
  if (st == IoStatus::kNotFound) return true;  // a first start
  if (st != IoStatus::kOk) {
    // loadSingleAppendOnlyFile's fopen / readerr.
    *error = std::string("Unrecoverable error reading the append only file ") + kAofFile + ": " +
             Errno(st);
    return false;
  }
  RequestParser parser;
  parser.Feed(data);
  std::vector<std::string> argv;
  size_t valid_up_to = 0;  // the end of the last whole command
  auto format_error = [&](const std::string& what) {
    *error = what + " reading the append only file " + kAofFile + " (at byte " +
             std::to_string(valid_up_to) +
             "): make a backup of your AOF file, then use ./redis-check-aof --fix <filename>";
    return false;
  };
  // Bounded by the file's commands.
  for (;;) {
    valid_up_to = data.size() - parser.buffered();
    if (valid_up_to == data.size()) break;
    // Every command is a multibulk of at least one argument; anything
    // else (an inline command, "*0", which the request parser takes or
    // skips) is damage: loadSingleAppendOnlyFile's fmterr.
    if (data[valid_up_to] != '*' ||
        (valid_up_to + 1 < data.size() && (data[valid_up_to + 1] == '0' || data[valid_up_to + 1] == '-')))
      return format_error("Bad file format");
    const ParseStatus parsed = parser.Next(&argv);
    if (parsed == ParseStatus::kError) return format_error("Bad file format");
    if (parsed != ParseStatus::kOk) break;  // incomplete: a torn tail
    // loadSingleAppendOnlyFile's lookupCommand. Redis runs whatever it
    // finds without checking arity; a wrong count is refused here, since
    // a command would read past its arguments.
    const CommandSpec* cmd = LookupCommand(argv[0]);
    if (cmd == nullptr) return format_error("Unknown command '" + argv[0] + "'");
    if (cmd != nullptr && !cmd->ArityOk(argv.size()))
      return format_error("Wrong number of arguments for '" + argv[0] + "'");
    apply(argv);
    ++*commands;
  }
  const bool torn = valid_up_to < data.size();
  if (torn) {
    // uxeof with aof-load-truncated yes: cut the log back to its last whole
    // command, or later appends would follow the torn bytes and turn a
    // torn tail into damage in the middle. Synced, unlike Redis's
    // truncate(2), so a crash cannot bring the torn bytes back under them.
    env_.HitProbe(Probe::kAofTornTailDropped);
    IoStatus cut = env_.WriteFile(kAofFile, std::string_view(data).substr(0, valid_up_to));
    if (cut == IoStatus::kOk) cut = env_.SyncFile(kAofFile);
    if (cut != IoStatus::kOk) {
      *error = std::string("Error truncating the AOF file ") + kAofFile + ": " + Errno(cut);
      return false;
    }
  }
  DetailsWriter d;
  d.Add("commands", *commands);
  if (torn) {
    d.Add("torn_tail", 1).Add("truncated_at", static_cast<int64_t>(valid_up_to));
    d.Add("message", std::string("AOF ") + kAofFile +
                         " loaded anyway because aof-load-truncated is enabled");
  }
  env_.Trace({"AofLoaded", "", "", d.Take()});
  return true;
}

bool Aof::Start(std::string* error) {
  if (!enabled()) return true;
  // A new file's name is durable only after a directory fsync; without
  // it a crash loses the whole log, however often the file is fsynced.
  std::string existing;
  IoStatus st = env_.ReadFile(kAofFile, &existing);
  if (st == IoStatus::kNotFound) {
    st = env_.WriteFile(kAofFile, "");
    if (st == IoStatus::kOk) st = env_.SyncFile(kAofFile);
    if (st == IoStatus::kOk) st = env_.SyncDir();
  }
  if (st != IoStatus::kOk) {
    // openNewIncrAofForAppend / loadDataFromDisk: a log that cannot be
    // opened stops the start.
    const std::string why =
        std::string("Can't open the append-only file ") + kAofFile + ": " + Errno(st);
    if (error != nullptr) *error = why;
    else Die(why);
    return false;
  }
  if (config_.appendfsync != AofFsync::kAlways && !timer_armed_) ScheduleSync();
  return true;
}

void Aof::ScheduleSync() {
  const int64_t period = config_.appendfsync == AofFsync::kEverySec ? 1000 : config_.os_writeback_ms;
  timer_armed_ = true;
  env_.AddTimer(period, "aofSync", [this] {
    timer_armed_ = false;
    // serverCron's run_with_period(1000): a log in write error retries.
    if (!buffer_.empty() && !WriteBuffer()) {
      ScheduleSync();
      return;
    }
    if (unsynced_) {
      SyncInBackground();
      if (env_.BugInjected("aof-everysec-timer-not-rearmed")) return;
    }
    ScheduleSync();
  });
}

void Aof::SyncInBackground() {
  const IoStatus st = env_.SyncFile(kAofFile);
  if (config_.appendfsync == AofFsync::kNo) {
    // The OS's write-back, not Redis: an error there reaches nobody (it
    // would surface at an fsync appendfsync no never makes), and the
    // data stays unsynced for the next write-back.
    if (st == IoStatus::kOk) {
      unsynced_ = false;
      TraceSynced();
    }
    return;
  }
  // bio.c's BIO_AOF_FSYNC job. Redis 7.0.15 marks the offset fsynced when
  // it submits the job (flushAppendOnlyFile sets aof_last_incr_fsync_offset),
  // so a failed fsync is retried only with a later write; but the node
  // refuses client writes meanwhile (-MISCONF), and with nothing else to
  // log it never recovers. Here the data stays unsynced, and the next tick
  // retries the fsync; the bug-zoo switch brings Redis's order back.
  const bool retry = !env_.BugInjected("fsync-error-not-retried");
  unsynced_ = false;
  if (st != IoStatus::kOk && !env_.BugInjected("fsync-error-ignored")) {
    unsynced_ = retry;
    if (bio_fsync_status_ == IoStatus::kOk)
      env_.Trace({"AofFsyncError", "", "",
                  DetailsWriter()
                      .Add("error", IoStatusText(st))
                      .Add("message", std::string("Fail to fsync the AOF file: ") + Errno(st))
                      .Take()});
    bio_fsync_status_ = st;
    return;
  }
  if (bio_fsync_status_ != IoStatus::kOk) {
    bio_fsync_status_ = IoStatus::kOk;
    env_.Trace({"AofWriteRecovered", "", "", "what=fsync"});
  }
  TraceSynced();
}

void Aof::Append(const std::vector<std::string>& argv) {
  if (!enabled()) return;
  buffer_ += resp::EncodeCommand(argv);
  // A node refuses client writes while the log is in error, but its own
  // writes (expiry, migration, a primary's stream) still come: bounded by
  // the memory a node may hold, as aof_buf is.
  SLOTSIM_CHECK_MSG(buffer_.size() < kBufferMaxBytes, "aof buffer limit");
  WriteBuffer();
}

bool Aof::WriteBuffer() {
  if (buffer_.empty()) return true;
  const IoStatus st = env_.AppendFile(kAofFile, buffer_);
  if (st != IoStatus::kOk) {
    // flushAppendOnlyFile's write error.
    if (config_.appendfsync == AofFsync::kAlways) {
      Die("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      return false;
    }
    if (last_write_status_ == IoStatus::kOk)
      env_.Trace({"AofWriteError", "", "",
                  DetailsWriter()
                      .Add("error", IoStatusText(st))
                      .Add("message", std::string("Error writing to the AOF file: ") + Errno(st))
                      .Take()});
    last_write_status_ = st;
    return false;
  }
  buffer_.clear();
  unsynced_ = true;
  if (last_write_status_ != IoStatus::kOk) {
    last_write_status_ = IoStatus::kOk;
    env_.Trace({"AofWriteRecovered", "", "",
                "what=write message=\"AOF write error looks solved, Redis can write again.\""});
  }
  return true;
}

IoStatus Aof::write_error() const {
  if (!enabled()) return IoStatus::kOk;
  if (last_write_status_ != IoStatus::kOk) return last_write_status_;
  return bio_fsync_status_;
}

void Aof::Flush() {
  if (!enabled()) return;
  if (!WriteBuffer()) return;
  if (!unsynced_) return;
  const IoStatus st = env_.SyncFile(kAofFile);
  if (st != IoStatus::kOk && !env_.BugInjected("fsync-error-ignored")) {
    if (config_.appendfsync == AofFsync::kAlways) {
      Die("Can't persist AOF for fsync error when the AOF fsync policy is 'always': " +
          Errno(st) + ". Exiting...");
      return;
    }
    // A clean shutdown's fsync (prepareForShutdown logs and goes on).
    return;
  }
  unsynced_ = false;
  if (config_.appendfsync != AofFsync::kAlways) TraceSynced();
}

void Aof::SyncAfterStop() {
  WriteBuffer();
  if (!unsynced_) return;
  // stopAppendOnly: redis_fsync, its result ignored.
  if (env_.SyncFile(kAofFile) == IoStatus::kOk) unsynced_ = false;
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

IoStatus Aof::Rewrite(const std::string& commands) {
  if (!enabled()) return IoStatus::kOk;
  IoStatus st = env_.WriteFile(kAofTemp, commands);
  if (st == IoStatus::kOk) st = env_.SyncFile(kAofTemp);
  if (st == IoStatus::kOk) st = env_.RenameFile(kAofTemp, kAofFile);
  if (st == IoStatus::kOk) st = env_.SyncDir();
  if (st != IoStatus::kOk) {
    // The old log stays; the caller decides (a replica exits, CONFIG SET
    // leaves the log off).
    (void)env_.DeleteFile(kAofTemp);
    env_.Trace({"AofRewriteFailed", "", "", DetailsWriter().Add("error", IoStatusText(st)).Take()});
    return st;
  }
  buffer_.clear();
  unsynced_ = false;
  // The log was reopened (startAppendOnly): earlier errors no longer hold.
  if (last_write_status_ != IoStatus::kOk || bio_fsync_status_ != IoStatus::kOk) {
    last_write_status_ = bio_fsync_status_ = IoStatus::kOk;
    env_.Trace({"AofWriteRecovered", "", "", "what=rewrite"});
  }
  return IoStatus::kOk;
}

void Aof::RewriteAfterSync(const std::string& commands) {
  // restartAOFAfterSYNC: up to ten tries, the thread asleep for a second
  // between them (each failure traces AofRewriteFailed), then exit.
  for (int tries = 0; tries < kRestartAfterSyncTries; ++tries) {
    if (tries > 0) env_.Sleep(kRestartAfterSyncPauseUs);
    if (Rewrite(commands) == IoStatus::kOk) return;
  }
  Die("FATAL: this replica instance finished the synchronization with its master, but the AOF "
      "can't be turned on. Exiting now.");
}

void Aof::Die(const std::string& reason) {
  env_.Trace({"AofFatal", "", "", DetailsWriter().Add("message", reason).Take()});
  env_.Exit(reason);
}

}  // namespace slotsim
