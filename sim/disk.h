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

namespace slotsim {

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

  std::map<std::string, int64_t> live_;     // name -> inode, as seen now
  std::map<std::string, int64_t> durable_;  // name -> inode, after a crash
  std::map<int64_t, Inode> inodes_;
  int64_t next_inode_ = 1;
  int64_t bytes_written_ = 0;
  int64_t syncs_ = 0;
};

}  // namespace slotsim
