#include "engine/slot_ranges.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

// The cluster bus's layout, as Redis's clusterNode.slots: slot j is bit
// j % 8 of byte j / 8.
TEST(SlotBitmapBytes, UseTheWireLayout) {
  SlotBitmap b;
  for (size_t j : {0u, 9u, 70u, 8191u, 16383u}) b.set(j);
  const std::string bytes = SlotBitmapToBytes(b);
  ASSERT_EQ(bytes.size(), static_cast<size_t>(kClusterSlots / 8));
  std::string want(kClusterSlots / 8, '\0');
  want[0] = 0x01;                          // slot 0
  want[1] = 0x02;                          // slot 9
  want[8] = 0x40;                          // slot 70
  want[1023] = static_cast<char>(0x80);    // slot 8191
  want[2047] = static_cast<char>(0x80);    // slot 16383
  EXPECT_EQ(bytes, want);
  EXPECT_EQ(SlotBitmapFromBytes(want), b);
}

TEST(SlotBitmapBytes, RoundTripEveryPattern) {
  uint64_t x = 88172645463325252ull;  // xorshift: patterns from sparse to full
  for (int round = 0; round < 50; ++round) {
    SlotBitmap b;
    const int density = round % 5;
    for (int j = 0; j < kClusterSlots; ++j) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      if (static_cast<int>(x % 4) < density) b.set(static_cast<size_t>(j));
    }
    if (round == 49) b.set();
    const std::string bytes = SlotBitmapToBytes(b);
    for (int j = 0; j < kClusterSlots; j += 97)
      ASSERT_EQ(((static_cast<unsigned char>(bytes[j / 8]) >> (j % 8)) & 1) != 0, b.test(j)) << j;
    ASSERT_EQ(SlotBitmapFromBytes(bytes), b) << "round " << round;
  }
}

TEST(SlotBitmapBytes, AWrongSizeDecodesAsNoSlots) {
  EXPECT_TRUE(SlotBitmapFromBytes(std::string(100, '\xff')).none());
  EXPECT_TRUE(SlotBitmapFromBytes("").none());
}

}  // namespace
}  // namespace slotsim
