// The keyspace: strings and hashes, stored per hash slot (as Valkey's
// kvstore does) so that slot-wide operations (COUNTKEYSINSLOT,
// GETKEYSINSLOT, migration, dirty-slot deletion) never scan the whole
// database. Ordered maps keep every iteration deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/keyslot.h"

namespace slotsim {

using HashValue = std::map<std::string, std::string, std::less<>>;

struct Value {
  // Exactly one alternative is live; the type is the alternative.
  std::variant<std::string, HashValue> data;

  bool IsString() const { return data.index() == 0; }
  bool IsHash() const { return data.index() == 1; }
  std::string& str() { return std::get<0>(data); }
  HashValue& hash() { return std::get<1>(data); }
  const std::string& str() const { return std::get<0>(data); }
  const HashValue& hash() const { return std::get<1>(data); }
  // The fields of a collection, 0 for a string (what the cost model
  // charges per element).
  size_t elements() const { return IsHash() ? hash().size() : 0; }
};

class Keyspace {
 public:
  Keyspace() = default;
  // index_ points into slots_: a copy would point into the original.
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // The value stored at key, or nullptr.
  Value* Find(std::string_view key);
  bool Contains(std::string_view key) const;
  // The value at key, creating it from `init` if absent. The caller checks
  // the type of an existing value.
  Value& FindOrInsert(std::string_view key, Value init);
  // Stores a string, replacing any value of any type.
  void SetString(std::string_view key, std::string value);
  // Removes key; returns whether it existed.
  bool Delete(std::string_view key);

  int64_t size() const { return size_; }
  int64_t CountKeysInSlot(int slot) const;
  // Up to `count` keys of `slot`, in key order.
  std::vector<std::string> GetKeysInSlot(int slot, int64_t count) const;
  // Up to `count` keys of `slot` sorting after *after (all if null), in
  // key order: a cursor for streaming a slot.
  std::vector<std::string> KeysInSlotAfter(int slot, const std::string* after,
                                           int64_t count) const;
  // Deletes every key in `slot`; returns how many.
  int64_t DeleteSlot(int slot);
  // Deletes everything.
  void Clear();
  // Calls fn(key, value) for every key, in slot then key order.
  void ForEach(const std::function<void(const std::string&, const Value&)>& fn) const {
    for (const auto& [slot, keys] : slots_)
      for (const auto& [key, value] : keys) fn(key, value);
  }
  // The whole keyspace as RESP commands that recreate it (SET, HSET), in
  // slot then key order: the full-sync snapshot format.
  std::string SnapshotAsCommands() const;
  // Counts every mutation; a command that changed it must be propagated.
  uint64_t dirty() const { return dirty_; }
  // For commands that change a value in place through Find().
  void MarkDirty() { dirty_++; }

 private:
  using SlotMap = std::map<std::string, Value, std::less<>>;
  // Inserts into the slot's ordered map and the point-lookup index.
  Value& Insert(std::string_view key, Value value);
  // Each slot's keys in key order: what iterates (GETKEYSINSLOT, the
  // migration cursor, snapshots), deterministically. Only slots with keys
  // have an entry: 16384 empty maps per node were 0.8 MB of every node,
  // keys or not (issue 16); Redis 7.0's slots_to_keys is 256 KB.
  std::map<int, SlotMap> slots_;
  // Every key -> its map entry, for point lookups: one hash probe instead
  // of a tree walk whose every step dereferences a stored key (Redis
  // looks keys up in a hash table too). Keys view the map's own strings,
  // which never move; the index is never iterated, so its order cannot
  // leak into behaviour.
  std::unordered_map<std::string_view, SlotMap::iterator> index_;
  int64_t size_ = 0;
  uint64_t dirty_ = 0;
};

}  // namespace slotsim
