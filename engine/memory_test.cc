// The memory account follows its Charges exactly: per kind, through moves
// and destruction, with holders counting the non-empty ones.
#include "engine/memory.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace slotsim {
namespace {

TEST(MemoryAccount, ChargesFollowTheirOwnersPerKind) {
  MemoryAccount m;
  {
    MemoryAccount::Charge a(m, MemoryKind::kQueryBuffer, 100);
    MemoryAccount::Charge b(m, MemoryKind::kQueryBuffer);
    MemoryAccount::Charge c(m, MemoryKind::kMigrateKeys, 7);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).bytes, 100);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).holders, 1);  // b holds nothing yet
    b.Set(50);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).bytes, 150);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).holders, 2);
    a.Set(0);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).bytes, 50);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).holders, 1);
    EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).peak_bytes, 150);
    EXPECT_EQ(m.total_bytes(), 57);
  }
  EXPECT_EQ(m.total_bytes(), 0);
  EXPECT_EQ(m.stats(MemoryKind::kQueryBuffer).holders, 0);
  EXPECT_EQ(m.stats(MemoryKind::kMigrateKeys).holders, 0);
}

TEST(MemoryAccount, AMovedChargeIsReleasedOnceByItsLastOwner) {
  MemoryAccount m;
  std::map<int, MemoryAccount::Charge> owners;
  {
    MemoryAccount::Charge c(m, MemoryKind::kReplicaState, 64);
    owners[1] = std::move(c);
    EXPECT_EQ(c.bytes(), 0);
  }  // the moved-from Charge releases nothing
  EXPECT_EQ(m.stats(MemoryKind::kReplicaState).bytes, 64);
  std::vector<MemoryAccount::Charge> grown;
  for (int i = 0; i < 100; ++i) grown.emplace_back(m, MemoryKind::kSlotChunks, 1);  // reallocates
  EXPECT_EQ(m.stats(MemoryKind::kSlotChunks).bytes, 100);
  EXPECT_EQ(m.stats(MemoryKind::kSlotChunks).holders, 100);
  grown.clear();
  owners[1] = MemoryAccount::Charge(m, MemoryKind::kReplicaState, 8);  // replaces: old released
  EXPECT_EQ(m.stats(MemoryKind::kReplicaState).bytes, 8);
  owners.clear();
  EXPECT_EQ(m.total_bytes(), 0);
}

TEST(MemoryAccount, ALeakedBlockStaysCharged) {
  MemoryAccount m;
  { MemoryAccount::Block b(m, 32); }
  EXPECT_EQ(m.transient_bytes(), 0);
  {
    MemoryAccount::Block b(m, 32);
    b.Leak();
  }
  EXPECT_EQ(m.transient_bytes(), 32);
  EXPECT_EQ(m.stats(MemoryKind::kTemporary).holders, 1);
  EXPECT_EQ(m.allocations(), 2);
}

TEST(MemoryAccountDeathTest, SetOnADetachedChargeIsABug) {
  MemoryAccount::Charge detached;
  EXPECT_DEATH(detached.Set(1), "detached");
}

}  // namespace
}  // namespace slotsim
