#include "engine/keyspace.h"

#include "engine/check.h"

namespace slotsim {

Value* Keyspace::Find(std::string_view key) {
  auto& m = slots_[KeyHashSlot(key)];
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

Value& Keyspace::FindOrInsert(std::string_view key, Value init) {
  auto& m = slots_[KeyHashSlot(key)];
  auto it = m.find(key);
  if (it != m.end()) return it->second;
  ++size_;
  return m.emplace(std::string(key), std::move(init)).first->second;
}

void Keyspace::SetString(std::string_view key, std::string value) {
  auto& m = slots_[KeyHashSlot(key)];
  auto it = m.find(key);
  if (it == m.end()) {
    m.emplace(std::string(key), Value{std::move(value)});
    ++size_;
  } else {
    it->second.data = std::move(value);
  }
}

bool Keyspace::Delete(std::string_view key) {
  auto& m = slots_[KeyHashSlot(key)];
  auto it = m.find(key);
  if (it == m.end()) return false;
  m.erase(it);
  --size_;
  SLOTSIM_CHECK(size_ >= 0);
  return true;
}

int64_t Keyspace::CountKeysInSlot(int slot) const {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots);
  return static_cast<int64_t>(slots_[slot].size());
}

std::vector<std::string> Keyspace::GetKeysInSlot(int slot,
                                                 int64_t count) const {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots && count >= 0);
  std::vector<std::string> keys;
  for (const auto& [k, v] : slots_[slot]) {
    if (static_cast<int64_t>(keys.size()) >= count) break;
    keys.push_back(k);
  }
  return keys;
}

int64_t Keyspace::DeleteSlot(int slot) {
  SLOTSIM_CHECK(slot >= 0 && slot < kClusterSlots);
  int64_t n = static_cast<int64_t>(slots_[slot].size());
  slots_[slot].clear();
  size_ -= n;
  return n;
}

}  // namespace slotsim
