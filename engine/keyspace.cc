#include "engine/keyspace.h"

#include "engine/check.h"
#include "engine/resp.h"

namespace slotsim {

Keyspace::Entry* Keyspace::FindEntry(std::string_view key) {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

const Keyspace::Entry* Keyspace::FindEntry(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

Value* Keyspace::Find(std::string_view key) {
  Entry* e = FindEntry(key);
  return e == nullptr ? nullptr : &e->value;
}

const Value* Keyspace::Find(std::string_view key) const {
  const Entry* e = FindEntry(key);
  return e == nullptr ? nullptr : &e->value;
}

Keyspace::Entry* Keyspace::LookupEntry(std::string_view key) {
  Entry* e = FindEntry(key);
  if (e == nullptr) return nullptr;
  // The fast path of every key without a TTL: no clock, no mode.
  if (e->expire_ms < 0 || mode_ == ExpireMode::kKeep || now_ms_ <= e->expire_ms) return e;
  if (mode_ == ExpireMode::kDelete) DeleteExpired(key);
  return nullptr;
}

Value* Keyspace::Lookup(std::string_view key) {
  Entry* e = LookupEntry(key);
  return e == nullptr ? nullptr : &e->value;
}

Value& Keyspace::Insert(std::string_view key, Value value) {
  auto [it, inserted] = slots_[KeyHashSlot(key)].emplace(std::string(key), Entry{std::move(value)});
  SLOTSIM_CHECK(inserted);
  index_.emplace(it->first, it);
  ++size_;
  return it->second.value;
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
  if (Value* v = Lookup(key)) return *v;
  // A key hidden as expired (kHide) is replaced, as a write replaces it;
  // writes do not run in that mode, this keeps the map consistent if one did.
  DeleteKey(key, /*dirty=*/true);
  return Insert(key, std::move(init));
}

void Keyspace::SetString(std::string_view key, std::string value, bool keep_ttl) {
  dirty_++;
  // setKey looks the key up for writing first: an expired one is deleted
  // (and its DEL propagated) before the new value arrives.
  // One index lookup on the hot path (a plain SET of a key without a TTL).
  if (Entry* e = LookupEntry(key)) {
    e->value.data = std::move(value);
    if (!keep_ttl) RemoveExpireOf(*e);
  } else {
    // A key hidden as expired, as in FindOrInsert (only kHide leaves one).
    if (mode_ == ExpireMode::kHide) DeleteKey(key, /*dirty=*/true);
    Insert(key, Value{std::move(value)});
  }
}

bool Keyspace::Delete(std::string_view key) { return DeleteKey(key, /*dirty=*/true); }

bool Keyspace::DeleteKey(std::string_view key, bool dirty) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  if (dirty) dirty_++;
  const SlotMap::iterator entry = it->second;
  if (entry->second.expire_ms >= 0) DropExpire(entry->second);
  index_.erase(it);  // before the string it views goes
  auto slot = slots_.find(KeyHashSlot(key));
  SLOTSIM_CHECK(slot != slots_.end());
  slot->second.erase(entry);
  if (slot->second.empty()) slots_.erase(slot);
  --size_;
  SLOTSIM_CHECK(size_ >= 0);
  return true;
}

// ---- Expire times -------------------------------------------------------------

int64_t Keyspace::GetExpire(std::string_view key) const {
  const Entry* e = FindEntry(key);
  return e == nullptr ? -1 : e->expire_ms;
}

void Keyspace::SetExpire(std::string_view key, int64_t when_ms) {
  Entry* e = FindEntry(key);
  SLOTSIM_CHECK_MSG(e != nullptr, "setExpire on a missing key");
  dirty_++;
  if (e->expire_ms < 0) {
    auto it = index_.find(key);
    e->volatile_pos = volatile_keys_.size();
    volatile_keys_.push_back(&it->second->first);
    if (volatile_keys_.size() == 1 && on_first_expire_) on_first_expire_();
  }
  // A negative time (EXPIREAT in 1969, kept on a replica) still means
  // "has a TTL": the entry stays volatile with the smallest stored value.
  e->expire_ms = when_ms < 0 ? 0 : when_ms;
}

bool Keyspace::RemoveExpire(std::string_view key) {
  Entry* e = FindEntry(key);
  return e != nullptr && RemoveExpireOf(*e);
}

bool Keyspace::RemoveExpireOf(Entry& e) {
  if (e.expire_ms < 0) return false;
  dirty_++;
  DropExpire(e);
  return true;
}

void Keyspace::DropExpire(Entry& e) {
  SLOTSIM_CHECK(e.expire_ms >= 0 && e.volatile_pos < volatile_keys_.size());
  const size_t pos = e.volatile_pos;
  const std::string* last = volatile_keys_.back();
  volatile_keys_[pos] = last;
  FindEntry(*last)->volatile_pos = pos;
  volatile_keys_.pop_back();
  e.expire_ms = -1;
}

const std::string& Keyspace::VolatileKeyAt(uint64_t r) const {
  SLOTSIM_CHECK(!volatile_keys_.empty());
  return *volatile_keys_[r % volatile_keys_.size()];
}

bool Keyspace::KeyIsExpired(std::string_view key) const {
  const Entry* e = FindEntry(key);
  // keyIsExpired: strictly after the expire time.
  return e != nullptr && e->expire_ms >= 0 && mode_ != ExpireMode::kKeep && now_ms_ > e->expire_ms;
}

void Keyspace::DeleteExpired(std::string_view key) {
  const std::string k(key);  // the map's string goes with the entry
  if (!DeleteKey(k, /*dirty=*/false)) return;
  if (on_expired_) on_expired_(k);
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
  for (auto& [k, e] : found->second) {
    if (e.expire_ms >= 0) DropExpire(e);
    index_.erase(k);
  }
  slots_.erase(found);
  size_ -= n;
  return n;
}

void Keyspace::Clear() {
  index_.clear();
  slots_.clear();
  volatile_keys_.clear();
  size_ = 0;
  dirty_++;
}

std::string Keyspace::SnapshotAsCommands() const {
  std::string out;
  std::vector<std::string> argv;
  for (const auto& [slot, m] : slots_) {
    for (const auto& [k, e] : m) {
      const Value& v = e.value;
      if (v.IsString()) {
        out += resp::EncodeCommand({"SET", k, v.str()});
      } else if (v.IsHash()) {
        argv = {"HSET", k};
        for (const auto& [f, fv] : v.hash()) {
          argv.push_back(f);
          argv.push_back(fv);
        }
        out += resp::EncodeCommand(argv);
      } else {
        argv = {"RPUSH", k};
        argv.insert(argv.end(), v.list().begin(), v.list().end());
        out += resp::EncodeCommand(argv);
      }
      if (e.expire_ms >= 0)
        out += resp::EncodeCommand({"PEXPIREAT", k, std::to_string(e.expire_ms)});
    }
  }
  return out;
}

}  // namespace slotsim
