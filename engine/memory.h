// Per-node accounting of the engine's allocations that can outlive the
// request that made them, so that a leak shows as bytes that stay charged
// to a node (INFO memory, and the "no-memory-leak" checker) instead of
// hiding in the one process that hosts every simulated node.
//
// Two ways in:
//   - a Block is a command's temporary allocation itself (GETKEYSINSLOT's
//     key array): it charges kTemporary for its lifetime, and a leaked
//     Block (the bug zoo's "getkeysinslot-leak") leaks real heap memory
//     too, which a sanitizer build reports (tests/sanitizers/lsan.supp
//     lets scripts/test-all.sh --sanitize expect it);
//   - a Charge is a member of the structure that owns the memory (a
//     client's query buffer, a MIGRATE in flight, a cached socket...): it
//     follows the structure's size with Set() and releases on destruction,
//     so the account is exactly what the live structures hold, per kind.
// The checkers judge the kinds against what a quiet node may hold
// (properties/data_checker.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "engine/check.h"

namespace slotsim {

enum class MemoryKind : uint8_t {
  kTemporary,      // a command's scratch: freed before the command returns
  kQueryBuffer,    // a client's input not parsed yet (querybuf)
  kHeldReplies,    // replies waiting for the pass's fsync (appendfsync always)
  kMigrateKeys,    // a MIGRATE in flight: the keys sent and those accepted
  kMigrateSocket,  // a cached MIGRATE connection (migrateCachedSocket)
  kSlotChunks,     // an atomic migration's commands awaiting the target's reply
  kReplBacklog,    // the replication backlog (repl_backlog)
  kReplicaState,   // a primary's record of one replica (or one waiting for a sync)
  kReplLink,       // a replica's unparsed input from its primary
  kCount,
};
inline constexpr size_t kMemoryKinds = static_cast<size_t>(MemoryKind::kCount);

// The name INFO memory and the checkers print.
constexpr std::string_view MemoryKindName(MemoryKind k) {
  switch (k) {
    case MemoryKind::kTemporary: return "temporary";
    case MemoryKind::kQueryBuffer: return "query_buffers";
    case MemoryKind::kHeldReplies: return "held_replies";
    case MemoryKind::kMigrateKeys: return "migrate_keys";
    case MemoryKind::kMigrateSocket: return "migrate_sockets";
    case MemoryKind::kSlotChunks: return "slot_migration_chunks";
    case MemoryKind::kReplBacklog: return "repl_backlog";
    case MemoryKind::kReplicaState: return "replica_state";
    case MemoryKind::kReplLink: return "repl_link_buffer";
    case MemoryKind::kCount: break;
  }
  return "?";
}

class MemoryAccount {
 public:
  struct KindStats {
    int64_t bytes = 0;
    int64_t holders = 0;  // live Charges (and Blocks) holding more than 0 bytes
    int64_t peak_bytes = 0;
  };

  // A temporary allocation of `bytes`, charged to kTemporary until the
  // Block is destroyed.
  class Block {
   public:
    Block(MemoryAccount& account, size_t bytes)
        : account_(&account), bytes_(bytes), data_(new char[bytes > 0 ? bytes : 1]) {
      account_->Add(MemoryKind::kTemporary, 0, static_cast<int64_t>(bytes_));
      account_->allocations_++;
    }
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    ~Block() {
      if (account_ != nullptr) account_->Add(MemoryKind::kTemporary, static_cast<int64_t>(bytes_), 0);
    }
    char* data() { return data_.get(); }
    // Forgets the allocation without freeing it (a missing zfree): the
    // bytes stay charged and the heap memory is lost.
    void Leak() {
      (void)data_.release();
      account_ = nullptr;
    }

   private:
    MemoryAccount* account_;
    size_t bytes_;
    std::unique_ptr<char[]> data_;
  };

  // What one owning structure holds of one kind, for the structure's
  // lifetime. Movable with its owner (a map entry, a unique_ptr'd link);
  // a moved-from Charge holds nothing. A default Charge is detached and
  // must be assigned one from an account before Set().
  class Charge {
   public:
    Charge() = default;
    Charge(MemoryAccount& account, MemoryKind kind, size_t bytes = 0)
        : account_(&account), kind_(kind) {
      Set(bytes);
    }
    Charge(const Charge&) = delete;
    Charge& operator=(const Charge&) = delete;
    Charge(Charge&& o) noexcept
        : account_(std::exchange(o.account_, nullptr)), kind_(o.kind_),
          bytes_(std::exchange(o.bytes_, 0)) {}
    Charge& operator=(Charge&& o) noexcept {
      if (this != &o) {
        Release();
        account_ = std::exchange(o.account_, nullptr);
        kind_ = o.kind_;
        bytes_ = std::exchange(o.bytes_, 0);
      }
      return *this;
    }
    ~Charge() { Release(); }

    // The owner now holds `bytes` of its kind.
    void Set(size_t bytes) {
      SLOTSIM_CHECK_MSG(account_ != nullptr, "Set on a detached memory Charge");
      account_->Add(kind_, bytes_, static_cast<int64_t>(bytes));
      bytes_ = static_cast<int64_t>(bytes);
    }
    int64_t bytes() const { return bytes_; }

   private:
    void Release() {
      if (account_ != nullptr) account_->Add(kind_, bytes_, 0);
      bytes_ = 0;
    }
    MemoryAccount* account_ = nullptr;
    MemoryKind kind_ = MemoryKind::kTemporary;
    int64_t bytes_ = 0;
  };

  const KindStats& stats(MemoryKind k) const { return kinds_[static_cast<size_t>(k)]; }
  // Bytes held by Blocks that are alive (or leaked). Between commands
  // nothing temporary is alive, so a quiet node should show 0.
  int64_t transient_bytes() const { return stats(MemoryKind::kTemporary).bytes; }
  int64_t peak_transient_bytes() const { return stats(MemoryKind::kTemporary).peak_bytes; }
  int64_t allocations() const { return allocations_; }
  // Every kind's bytes together.
  int64_t total_bytes() const {
    int64_t sum = 0;
    for (const auto& k : kinds_) sum += k.bytes;
    return sum;
  }

 private:
  // A holder of `kind` goes from `old_bytes` to `new_bytes`.
  void Add(MemoryKind kind, int64_t old_bytes, int64_t new_bytes) {
    SLOTSIM_CHECK(old_bytes >= 0 && new_bytes >= 0);
    KindStats& k = kinds_[static_cast<size_t>(kind)];
    k.bytes += new_bytes - old_bytes;
    k.holders += (new_bytes > 0) - (old_bytes > 0);
    SLOTSIM_CHECK(k.bytes >= 0 && k.holders >= 0);
    if (k.bytes > k.peak_bytes) k.peak_bytes = k.bytes;
  }

  std::array<KindStats, kMemoryKinds> kinds_{};
  int64_t allocations_ = 0;
};

}  // namespace slotsim
