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
  in.last_append_at = -1;
  if (in.unsynced_since_us < 0) in.unsynced_since_us = now_us;
  bytes_written_ += static_cast<int64_t>(data.size());
  return true;
}

bool SimDisk::Append(const std::string& name, std::string_view data, int64_t now_us) {
  auto it = live_.find(name);
  int64_t ino = it != live_.end() ? it->second : (live_[name] = NewInode());
  Inode& in = inodes_[ino];
  if (in.synced_is_prefix) in.last_append_at = static_cast<int64_t>(in.data.size());
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
  in.last_append_at = -1;
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

std::string SimDisk::CrashTorn(uint64_t random) {
  // What write-back got out before the power went: every append but the
  // last in full, the last cut at a byte (never whole, never none, when it
  // is longer than one byte).
  std::string torn;
  for (const auto& [name, ino] : durable_) {
    auto live = live_.find(name);
    if (live == live_.end() || live->second != ino) continue;  // renamed or deleted since
    Inode& in = inodes_.at(ino);
    if (!in.synced_is_prefix || in.last_append_at < 0) continue;
    const auto start = static_cast<size_t>(in.last_append_at);
    const size_t len = in.data.size() - start;
    if (len == 0) continue;
    const size_t cut = len > 1 ? 1 + random % (len - 1) : 0;
    in.synced_len = start + cut;
    if (!torn.empty()) torn += ',';
    torn += name + ":" + std::to_string(in.synced_len);
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  Crash();
  return torn;
}

std::string SimDisk::Damage(const std::string& name, DiskDamage kind, uint64_t random) {
  auto it = live_.find(name);
  if (it == live_.end()) return "";
  // A damaged file is damaged on the platter: both what reads see and
  // what a later crash keeps.
  Inode& in = inodes_.at(it->second);
  std::string& data = in.data;
  const size_t size = data.size();
  std::string what;
  if (kind == DiskDamage::kTruncate) {
    if (size < 2) return "";
    const size_t keep = 1 + random % (size - 1);
    data.resize(keep);
    what = "truncated " + std::to_string(size) + " -> " + std::to_string(keep);
  } else {
    // Record starts: RESP commands ('*') in an AOF, lines elsewhere. The
    // first record is spared so a corrupt file is never mistaken for an
    // empty one.
    const bool resp = name.size() > 4 && name.compare(name.size() - 4, 4, ".aof") == 0;
    std::vector<size_t> starts;
    for (size_t i = 1; i < size; ++i)
      if (data[i - 1] == '\n' && (!resp || data[i] == '*')) starts.push_back(i);
    if (starts.empty()) return "";
    const size_t at = starts[random % starts.size()];
    data[at] = '!';
    what = "corrupted byte " + std::to_string(at) + " of " + std::to_string(size);
  }
  in.synced_is_prefix = true;
  in.synced_len = data.size();
  std::string().swap(in.synced);
  in.unsynced_since_us = -1;
  in.last_append_at = -1;
  return what;
}

void SimDisk::SetError(DiskOp op, int64_t until_us, bool once) {
  errors_[static_cast<int>(op)] = ErrorWindow{until_us, once};
}

IoStatus SimDisk::Fault(DiskOp op, int64_t now_us, int64_t grows_by) {
  ErrorWindow& w = errors_[static_cast<int>(op)];
  if (w.until_us >= 0 && now_us < w.until_us) {
    if (w.once) w = ErrorWindow{};
    return IoStatus::kIoError;
  }
  if (op == DiskOp::kWrite && full_at_bytes_ >= 0 && grows_by > 0 &&
      used_bytes() + grows_by > full_at_bytes_)
    return IoStatus::kNoSpace;
  return IoStatus::kOk;
}

int64_t SimDisk::used_bytes() const {
  int64_t used = 0;
  for (const auto& [name, ino] : live_) used += static_cast<int64_t>(inodes_.at(ino).data.size());
  return used;
}

int64_t SimDisk::size_of(const std::string& name) const {
  auto it = live_.find(name);
  return it == live_.end() ? 0 : static_cast<int64_t>(inodes_.at(it->second).data.size());
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
    in.last_append_at = -1;
  }
}

}  // namespace slotsim
