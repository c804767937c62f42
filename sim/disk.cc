#include "sim/disk.h"

#include <set>

namespace slotsim {

int64_t SimDisk::NewInode() {
  int64_t id = next_inode_++;
  inodes_[id] = Inode{};
  return id;
}

bool SimDisk::Write(const std::string& name, std::string_view data, int64_t now_us) {
  auto it = live_.find(name);
  int64_t ino = it != live_.end() ? it->second : (live_[name] = NewInode());
  Inode& in = inodes_[ino];
  if (in.synced_is_prefix) {  // the synced bytes are about to be overwritten
    in.synced.assign(in.Synced());
    in.synced_is_prefix = false;
  }
  in.data.assign(data);
  if (in.unsynced_since_us < 0) in.unsynced_since_us = now_us;
  bytes_written_ += static_cast<int64_t>(data.size());
  return true;
}

bool SimDisk::Append(const std::string& name, std::string_view data, int64_t now_us) {
  auto it = live_.find(name);
  int64_t ino = it != live_.end() ? it->second : (live_[name] = NewInode());
  Inode& in = inodes_[ino];
  in.data.append(data);
  if (in.unsynced_since_us < 0) in.unsynced_since_us = now_us;
  bytes_written_ += static_cast<int64_t>(data.size());
  return true;
}

bool SimDisk::SyncFile(const std::string& name) {
  auto it = live_.find(name);
  if (it == live_.end()) return false;
  Inode& in = inodes_[it->second];
  in.synced_is_prefix = true;
  in.synced_len = in.data.size();
  std::string().swap(in.synced);
  in.unsynced_since_us = -1;
  syncs_++;
  return true;
}

bool SimDisk::Rename(const std::string& from, const std::string& to) {
  auto it = live_.find(from);
  if (it == live_.end()) return false;
  int64_t ino = it->second;
  live_.erase(it);
  live_[to] = ino;
  CollectInodes();
  return true;
}

bool SimDisk::SyncDir() {
  durable_ = live_;
  syncs_++;
  CollectInodes();
  return true;
}

bool SimDisk::Delete(const std::string& name) {
  const bool existed = live_.erase(name) > 0;
  CollectInodes();
  return existed;
}

void SimDisk::CollectInodes() {
  // A handful of files per node: scanning both tables is cheap.
  std::set<int64_t> reachable;
  for (const auto* names : {&live_, &durable_})
    for (const auto& [name, ino] : *names) reachable.insert(ino);
  for (auto it = inodes_.begin(); it != inodes_.end();)
    it = reachable.count(it->first) ? std::next(it) : inodes_.erase(it);
}

std::optional<std::string> SimDisk::Read(const std::string& name) const {
  auto it = live_.find(name);
  if (it == live_.end()) return std::nullopt;
  return inodes_.at(it->second).data;
}

std::vector<SimDisk::Unsynced> SimDisk::UnsyncedFiles() const {
  std::vector<Unsynced> out;
  for (const auto& [name, ino] : live_) {
    const Inode& in = inodes_.at(ino);
    const std::string_view synced = in.Synced();
    if (in.unsynced_since_us < 0 || in.data == synced) continue;
    const bool appended = in.data.size() > synced.size() &&
                          std::string_view(in.data).substr(0, synced.size()) == synced;
    out.push_back({name, in.unsynced_since_us,
                   appended ? static_cast<int64_t>(in.data.size() - synced.size()) : 0});
  }
  return out;
}

void SimDisk::Crash() {
  live_ = durable_;
  CollectInodes();
  for (auto& [ino, in] : inodes_) {
    if (in.synced_is_prefix) {
      in.data.resize(in.synced_len);
    } else {
      in.data = std::move(in.synced);
      in.synced.clear();
    }
    in.synced_is_prefix = true;
    in.synced_len = in.data.size();
    in.unsynced_since_us = -1;
  }
}

}  // namespace slotsim
