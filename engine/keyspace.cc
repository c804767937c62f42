#include "engine/keyspace.h"

#include "engine/check.h"
#include "engine/resp.h"

namespace slotsim {

Value* Keyspace::Find(std::string_view key) {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

Value& Keyspace::Insert(std::string_view key, Value value) {
  auto [it, inserted] = slots_[KeyHashSlot(key)].emplace(std::string(key), std::move(value));
  SLOTSIM_CHECK(inserted);
  index_.emplace(it->first, it);
  ++size_;
  return it->second;
}

std::vector<std::string> Keyspace::KeysInSlotAfter(int slot, const std::string* after,
                                                   int64_t count) const {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots && count >= 0);
  std::vector<std::string> out;
  auto found = slots_.find(slot);
  if (found == slots_.end()) return out;
  const SlotMap& m = found->second;
  auto it = after == nullptr ? m.begin() : m.upper_bound(*after);
  for (; it != m.end() && static_cast<int64_t>(out.size()) < count; ++it) out.push_back(it->first);
  return out;
}

bool Keyspace::Contains(std::string_view key) const { return index_.count(key) != 0; }

Value& Keyspace::FindOrInsert(std::string_view key, Value init) {
  dirty_++;  // callers mutate what they get back
  if (Value* v = Find(key)) return *v;
  return Insert(key, std::move(init));
}

void Keyspace::SetString(std::string_view key, std::string value) {
  dirty_++;
  if (Value* v = Find(key)) v->data = std::move(value);
  else Insert(key, Value{std::move(value)});
}

bool Keyspace::Delete(std::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  dirty_++;
  const SlotMap::iterator entry = it->second;
  index_.erase(it);  // before the string it views goes
  auto slot = slots_.find(KeyHashSlot(key));
  SLOTSIM_CHECK(slot != slots_.end());
  slot->second.erase(entry);
  if (slot->second.empty()) slots_.erase(slot);
  --size_;
  SLOTSIM_CHECK(size_ >= 0);
  return true;
}

int64_t Keyspace::CountKeysInSlot(int slot) const {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots);
  auto found = slots_.find(slot);
  return found == slots_.end() ? 0 : static_cast<int64_t>(found->second.size());
}

std::vector<std::string> Keyspace::GetKeysInSlot(int slot,
                                                 int64_t count) const {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots && count >= 0);
  std::vector<std::string> keys;
  auto found = slots_.find(slot);
  if (found == slots_.end()) return keys;
  for (const auto& [k, v] : found->second) {
    if (static_cast<int64_t>(keys.size()) >= count) break;
    keys.push_back(k);
  }
  return keys;
}

int64_t Keyspace::DeleteSlot(int slot) {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots);
  auto found = slots_.find(slot);
  if (found == slots_.end()) return 0;
  const int64_t n = static_cast<int64_t>(found->second.size());
  dirty_++;
  for (const auto& [k, v] : found->second) index_.erase(k);
  slots_.erase(found);
  size_ -= n;
  return n;
}

}  // namespace slotsim

namespace slotsim {

void Keyspace::Clear() {
  index_.clear();
  slots_.clear();
  size_ = 0;
  dirty_++;
}

std::string Keyspace::SnapshotAsCommands() const {
  std::string out;
  for (const auto& [slot, m] : slots_) {
    for (const auto& [k, v] : m) {
      if (v.IsString()) {
        out += resp::EncodeCommand({"SET", k, v.str()});
      } else {
        std::vector<std::string> argv{"HSET", k};
        for (const auto& [f, fv] : v.hash()) {
          argv.push_back(f);
          argv.push_back(fv);
        }
        out += resp::EncodeCommand(argv);
      }
    }
  }
  return out;
}

}  // namespace slotsim
