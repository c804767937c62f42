// Per-node accounting of the engine's temporary allocations, so that a
// leak shows as bytes that stay charged to a node (INFO memory, and the
// "no-memory-leak" checker at the end of a run) instead of hiding in the
// one process that hosts every simulated node. A Block is the allocation
// itself: it charges the account for its lifetime, and a leaked Block
// (the bug zoo's "getkeysinslot-leak") leaks real heap memory too, which
// a sanitizer build reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/check.h"

namespace slotsim {

class MemoryAccount {
 public:
  // A temporary allocation of `bytes`, charged to the account until the
  // Block is destroyed.
  class Block {
   public:
    Block(MemoryAccount& account, size_t bytes)
        : account_(&account), bytes_(bytes), data_(new char[bytes > 0 ? bytes : 1]) {
      account_->transient_bytes_ += static_cast<int64_t>(bytes_);
      account_->allocations_++;
      if (account_->transient_bytes_ > account_->peak_transient_bytes_)
        account_->peak_transient_bytes_ = account_->transient_bytes_;
    }
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    ~Block() {
      if (account_ == nullptr) return;
      account_->transient_bytes_ -= static_cast<int64_t>(bytes_);
      SLOTSIM_CHECK(account_->transient_bytes_ >= 0);
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

  // Bytes held by Blocks that are alive (or leaked). Between commands
  // nothing temporary is alive, so a quiet node should show 0.
  int64_t transient_bytes() const { return transient_bytes_; }
  int64_t peak_transient_bytes() const { return peak_transient_bytes_; }
  int64_t allocations() const { return allocations_; }

 private:
  int64_t transient_bytes_ = 0;
  int64_t peak_transient_bytes_ = 0;
  int64_t allocations_ = 0;
};

}  // namespace slotsim
