// A simulated disk: one flat directory per machine with POSIX durability.
// Contents survive a crash only after SyncFile; names (creations, renames,
// deletions) only after SyncDir. Crash() applies exactly that loss.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/env.h"

namespace slotsim {

// The kinds of call a disk fault can hit.
enum class DiskOp {
  kWrite,  // write, append, rename
  kSync,   // fsync of a file or of the directory
  kRead,
};

// Damage a restart finds in a file (Step.damage_file).
enum class DiskDamage {
  kTruncate,  // cut at a random byte
  kCorrupt,   // one record's first byte overwritten: a format error
};

class SimDisk {
 public:
  // Writes at simulated time `now_us` (kept for UnsyncedSince).
  bool Write(const std::string& name, std::string_view data, int64_t now_us);
  bool Append(const std::string& name, std::string_view data, int64_t now_us);
  bool SyncFile(const std::string& name);
  bool Rename(const std::string& from, const std::string& to);
  bool SyncDir();
  bool Delete(const std::string& name);
  std::optional<std::string> Read(const std::string& name) const;

  // Power loss: every name reverts to its last SyncDir state and every
  // file's contents to its last SyncFile state.
  void Crash();
  // Power loss during a write-back: as Crash, except that in each file
  // whose last change was an append, every unsynced append before the last
  // reached the platter and the last is cut at a byte `random` picks.
  // Returns the files torn that way ("name:kept_bytes,...").
  std::string CrashTorn(uint64_t random);
  // Damages `name` as a restart will find it (the machine is down).
  // Returns what was done ("truncated 123 -> 80"), or "" if there is no
  // such file or it is too short to damage.
  std::string Damage(const std::string& name, DiskDamage kind, uint64_t random);

  // ---- Injected faults (the simulator's side of Env's IoStatus) -----------
  // Calls of kind `op` fail with EIO until simulated time `until_us`
  // (exclusive; -1 ends the fault). `once`: only the first such call in
  // the window fails, and the fault ends with it.
  void SetError(DiskOp op, int64_t until_us, bool once);
  // Writes that would make the files hold more than `bytes` fail with
  // ENOSPC (-1: no limit). Freed space (a smaller rewrite, a deletion)
  // is usable again at once.
  void SetFullAt(int64_t bytes) { full_at_bytes_ = bytes; }
  // What a call of kind `op` at `now_us` that adds `grows_by` bytes meets:
  // kOk, or the injected error (consuming a `once` fault).
  IoStatus Fault(DiskOp op, int64_t now_us, int64_t grows_by);
  // Bytes held by live files.
  int64_t used_bytes() const;
  // The size of `name` as reads see it (0 if missing).
  int64_t size_of(const std::string& name) const;

  // Each live file whose contents a crash would lose, with the time of
  // its oldest write since its last SyncFile: what the oracle holds an
  // fsync policy to (properties/aof_fsync_bound.h).
  struct Unsynced {
    std::string name;
    int64_t since_us;
    int64_t bytes;  // what a crash would drop (or 0 if only rewritten)
  };
  std::vector<Unsynced> UnsyncedFiles() const;

  int64_t bytes_written() const { return bytes_written_; }
  // Files kept, reachable or not: what CollectInodes bounds (for tests).
  size_t inode_count() const { return inodes_.size(); }
  int64_t syncs() const { return syncs_; }

 private:
  // What survives a crash is the first synced_len bytes of `data` while
  // synced_is_prefix (a sync, then only appends: an AOF), else `synced`
  // (a rewrite since the last sync). A sync is then O(1) rather than a
  // copy of the whole file (issue 16).
  struct Inode {
    std::string data;  // what reads see
    bool synced_is_prefix = true;
    size_t synced_len = 0;
    std::string synced;
    int64_t unsynced_since_us = -1;  // oldest write since the last sync
    // Where the last append since the last sync began (-1: none, or the
    // file was rewritten since): what CrashTorn cuts.
    int64_t last_append_at = -1;
    std::string_view Synced() const {
      return synced_is_prefix ? std::string_view(data).substr(0, synced_len)
                              : std::string_view(synced);
    }
  };
  int64_t NewInode();
  // Frees the inodes no name reaches, now or after a crash: a file
  // replaced by rename (every nodes.conf save) would otherwise be kept
  // for the whole run.
  void CollectInodes();

  struct ErrorWindow {
    int64_t until_us = -1;
    bool once = false;
  };
  ErrorWindow errors_[3];  // by DiskOp
  int64_t full_at_bytes_ = -1;

  std::map<std::string, int64_t> live_;     // name -> inode, as seen now
  std::map<std::string, int64_t> durable_;  // name -> inode, after a crash
  std::map<int64_t, Inode> inodes_;
  int64_t next_inode_ = 1;
  int64_t bytes_written_ = 0;
  int64_t syncs_ = 0;
};

}  // namespace slotsim
