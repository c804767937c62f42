#include "sim/disk.h"

#include <set>

namespace slotsim {

int64_t SimDisk::NewInode() {
  int64_t id = next_inode_++;
  inodes_[id] = Inode{};
  return id;
}

bool SimDisk::Write(const std::string& name, std::string_view data) {
  auto it = live_.find(name);
  int64_t ino = it != live_.end() ? it->second : (live_[name] = NewInode());
  inodes_[ino].data.assign(data);
  bytes_written_ += static_cast<int64_t>(data.size());
  return true;
}

bool SimDisk::Append(const std::string& name, std::string_view data) {
  auto it = live_.find(name);
  int64_t ino = it != live_.end() ? it->second : (live_[name] = NewInode());
  inodes_[ino].data.append(data);
  bytes_written_ += static_cast<int64_t>(data.size());
  return true;
}

bool SimDisk::SyncFile(const std::string& name) {
  auto it = live_.find(name);
  if (it == live_.end()) return false;
  Inode& in = inodes_[it->second];
  in.synced = in.data;
  syncs_++;
  return true;
}

bool SimDisk::Rename(const std::string& from, const std::string& to) {
  auto it = live_.find(from);
  if (it == live_.end()) return false;
  int64_t ino = it->second;
  live_.erase(it);
  live_[to] = ino;
  return true;
}

bool SimDisk::SyncDir() {
  durable_ = live_;
  syncs_++;
  return true;
}

bool SimDisk::Delete(const std::string& name) {
  return live_.erase(name) > 0;
}

std::optional<std::string> SimDisk::Read(const std::string& name) const {
  auto it = live_.find(name);
  if (it == live_.end()) return std::nullopt;
  return inodes_.at(it->second).data;
}

void SimDisk::Crash() {
  live_ = durable_;
  std::set<int64_t> reachable;
  for (const auto& [name, ino] : durable_) reachable.insert(ino);
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    if (!reachable.count(it->first)) {
      it = inodes_.erase(it);
    } else {
      it->second.data = it->second.synced;
      ++it;
    }
  }
}

}  // namespace slotsim
