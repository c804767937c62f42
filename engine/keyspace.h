// The keyspace: strings, hashes and lists, stored per hash slot (as
// Valkey's kvstore does) so that slot-wide operations (COUNTKEYSINSLOT,
// GETKEYSINSLOT, migration, dirty-slot deletion) never scan the whole
// database. Ordered maps keep every iteration deterministic.
//
// It is also Redis's redisDb in the other sense: each key may carry an
// absolute expire time (ms on the node's clock, db->expires), and a
// command looks keys up through Lookup(), which applies expireIfNeeded
// the way the server's current command context says (ExpireMode).
#pragma once

#include <cstdint>
#include <deque>
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
// A list (Redis's quicklist): pushes and pops at both ends.
using ListValue = std::deque<std::string>;

struct Value {
  // Exactly one alternative is live; the type is the alternative.
  std::variant<std::string, HashValue, ListValue> data;

  bool IsString() const { return data.index() == 0; }
  bool IsHash() const { return data.index() == 1; }
  bool IsList() const { return data.index() == 2; }
  std::string& str() { return std::get<0>(data); }
  HashValue& hash() { return std::get<1>(data); }
  ListValue& list() { return std::get<2>(data); }
  const std::string& str() const { return std::get<0>(data); }
  const HashValue& hash() const { return std::get<1>(data); }
  const ListValue& list() const { return std::get<2>(data); }
  // The fields or elements of a collection, 0 for a string (what the cost
  // model charges per element).
  size_t elements() const {
    return IsHash() ? hash().size() : IsList() ? list().size() : 0;
  }
  // TYPE's answer.
  const char* TypeName() const { return IsString() ? "string" : IsHash() ? "hash" : "list"; }
};

// What a command's lookup does with a key whose expire time has passed
// (db.c's expireIfNeeded, by who is asking).
enum class ExpireMode {
  // A primary serving a client: the key is deleted, and the deletion is
  // reported (the server propagates it as DEL), as deleteExpiredKeyAndPropagate.
  kDelete,
  // A replica serving a client, or a primary while clients are paused:
  // the key reads as missing but stays. A replica waits for its primary's
  // DEL; a paused primary keeps its data set still
  // (checkClientPauseTimeoutAndReturnIfPaused).
  kHide,
  // Applying the primary's stream or loading from disk: nothing is ever
  // expired (expireIfNeeded returns 0 for the master client, keyIsExpired
  // while loading), so the replica stays an exact copy.
  kKeep,
};

class Keyspace {
 public:
  Keyspace() = default;
  // index_ points into slots_: a copy would point into the original.
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // The value stored at key, or nullptr, whether or not it has expired
  // (dictFind: for the engine's own use and DEBUG, not for commands).
  Value* Find(std::string_view key);
  const Value* Find(std::string_view key) const;
  bool Contains(std::string_view key) const;
  // lookupKey: the value a command sees at key. A key whose expire time
  // has passed is handled as the current ExpireMode says, and reads as
  // missing unless the mode is kKeep.
  Value* Lookup(std::string_view key);
  // The value at key (looked up as Lookup does), creating it from `init`
  // if absent. The caller checks the type of an existing value.
  Value& FindOrInsert(std::string_view key, Value init);
  // setKey: stores a string, replacing any value of any type, and drops
  // the key's expire time unless `keep_ttl` (SET KEEPTTL, and INCR, which
  // overwrites in place).
  void SetString(std::string_view key, std::string value, bool keep_ttl = false);
  // Removes key (and its expire time); returns whether it existed.
  bool Delete(std::string_view key);

  // ---- Expire times (db->expires) -----------------------------------------
  // The key's absolute expire time in ms, or -1 if it has none (getExpire).
  int64_t GetExpire(std::string_view key) const;
  // Sets an existing key's expire time (setExpire). `when_ms` may be in
  // the past: such a key is expired at its next lookup or active cycle.
  void SetExpire(std::string_view key, int64_t when_ms);
  // Drops the key's expire time; returns whether it had one (removeExpire).
  bool RemoveExpire(std::string_view key);
  // Keys that have an expire time (INFO keyspace's expires=).
  int64_t expires() const { return static_cast<int64_t>(volatile_keys_.size()); }
  // The key with an expire time at position `r` modulo expires(): a
  // uniform sample for the active expire cycle when `r` is uniform.
  // expires() > 0.
  const std::string& VolatileKeyAt(uint64_t r) const;
  // Whether the key's expire time has passed at the command clock's now
  // (keyIsExpired: never in kKeep mode).
  bool KeyIsExpired(std::string_view key) const;
  // deleteExpiredKeyAndPropagate: deletes a key that expired and reports
  // it to the expired hook. Not a client's write: dirty() does not move,
  // so the command that met the key is not propagated for it.
  void DeleteExpired(std::string_view key);
  // Called with every key DeleteExpired removes (the server propagates
  // DEL to replicas and the AOF).
  void set_on_expired(std::function<void(const std::string&)> fn) { on_expired_ = std::move(fn); }
  // Called when the first key gets an expire time (expires() goes from 0
  // to 1): the server starts its active expire cycle only then, so a node
  // without TTLs never draws a random number or sets a timer for them.
  void set_on_first_expire(std::function<void()> fn) { on_first_expire_ = std::move(fn); }

  // ---- The current command's context ---------------------------------------
  // Redis reads server.mstime, server.masterhost and server.loading while
  // a command runs; the server sets their equivalents here around each
  // command (CommandScope) and restores the previous ones after.
  int64_t now_ms() const { return now_ms_; }
  ExpireMode expire_mode() const { return mode_; }
  // checkAlreadyExpired: whether an expire time given to a command means
  // the key must go at once. False on a replica and while loading, which
  // keep such keys until their primary's DEL.
  bool AlreadyExpired(int64_t when_ms) const {
    return when_ms <= now_ms_ && mode_ == ExpireMode::kDelete;
  }
  class CommandScope {
   public:
    CommandScope(Keyspace& ks, int64_t now_ms, ExpireMode mode)
        : ks_(ks), now_ms_(ks.now_ms_), mode_(ks.mode_), propagate_as_(std::move(ks.propagate_as_)) {
      ks.now_ms_ = now_ms;
      ks.mode_ = mode;
      ks.propagate_as_.clear();
    }
    ~CommandScope() {
      ks_.now_ms_ = now_ms_;
      ks_.mode_ = mode_;
      ks_.propagate_as_ = std::move(propagate_as_);
    }
    CommandScope(const CommandScope&) = delete;
    CommandScope& operator=(const CommandScope&) = delete;

   private:
    Keyspace& ks_;
    int64_t now_ms_;
    ExpireMode mode_;
    std::vector<std::string> propagate_as_;
  };
  // rewriteClientCommandVector: the command that just ran is to reach
  // replicas and the AOF as `argv` (a relative expire made absolute, an
  // EXPIRE in the past as DEL). The server takes it after the command.
  void PropagateAs(std::vector<std::string> argv) { propagate_as_ = std::move(argv); }
  // The rewritten form, or empty if the command goes out as it came;
  // clears it.
  std::vector<std::string> TakePropagateAs() { return std::move(propagate_as_); }

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
      for (const auto& [key, entry] : keys) fn(key, entry.value);
  }
  // The whole keyspace as RESP commands that recreate it (SET, HSET,
  // RPUSH, each followed by PEXPIREAT if the key has an expire time, as
  // rewriteAppendOnlyFileRio writes them), in slot then key order: the
  // full-sync snapshot, AOF rewrite and SAVE format. Keys that have
  // expired are included: whoever loads it decides (a replica keeps them).
  std::string SnapshotAsCommands() const;
  // Counts every mutation; a command that changed it must be propagated.
  uint64_t dirty() const { return dirty_; }
  // For commands that change a value in place through Find().
  void MarkDirty() { dirty_++; }

 private:
  struct Entry {
    Value value;
    // Absolute expire time in ms, or -1; with one, the key sits at
    // volatile_keys_[volatile_pos].
    int64_t expire_ms = -1;
    size_t volatile_pos = 0;
  };
  using SlotMap = std::map<std::string, Entry, std::less<>>;
  // Inserts into the slot's ordered map and the point-lookup index.
  Value& Insert(std::string_view key, Value value);
  Entry* FindEntry(std::string_view key);
  const Entry* FindEntry(std::string_view key) const;
  // Lookup's entry: nullptr for a missing key or one hidden as expired
  // (deleted first in ExpireMode::kDelete).
  Entry* LookupEntry(std::string_view key);
  // RemoveExpire on an entry already found: false if it had no TTL.
  bool RemoveExpireOf(Entry& e);
  // Forgets an entry's expire time (swap-remove from volatile_keys_).
  void DropExpire(Entry& e);
  // Removes key; `dirty`: counts as a client's write.
  bool DeleteKey(std::string_view key, bool dirty);
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
  // The keys that have an expire time, in no meaningful but deterministic
  // order (set by the sequence of operations alone, never by hashing):
  // the sampling pool of the active expire cycle. Each points at its map
  // entry's key, which never moves.
  std::vector<const std::string*> volatile_keys_;
  std::function<void(const std::string&)> on_expired_;
  std::function<void()> on_first_expire_;
  int64_t now_ms_ = 0;
  ExpireMode mode_ = ExpireMode::kKeep;
  std::vector<std::string> propagate_as_;
};

}  // namespace slotsim
