#include "engine/keyslot.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

// Values from Redis's documentation and `CLUSTER KEYSLOT` on a real
// Redis 7 server.
TEST(KeySlot, MatchesRedis) {
  EXPECT_EQ(KeyHashSlot("foo"), 12182);
  EXPECT_EQ(KeyHashSlot("bar"), 5061);
  EXPECT_EQ(KeyHashSlot("hello"), 866);
  EXPECT_EQ(KeyHashSlot("somekey"), 11058);
  EXPECT_EQ(KeyHashSlot("key:0"), 2592);
  EXPECT_EQ(KeyHashSlot(""), 0);
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), 3443);
  EXPECT_EQ(KeyHashSlot("foo{{bar}}zap"), 4015);
  EXPECT_EQ(KeyHashSlot("123456789"), 12739);
}

TEST(KeySlot, Crc16CheckValue) {
  // The XMODEM check value from the CRC catalogue.
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

TEST(KeySlot, HashTags) {
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), KeyHashSlot("user1000"));
  EXPECT_EQ(KeyHashSlot("{user1000}.followers"), KeyHashSlot("user1000"));
  // Only the first { and the first } after it count.
  EXPECT_EQ(KeyHashSlot("foo{bar}{zap}"), KeyHashSlot("bar"));
  EXPECT_EQ(KeyHashSlot("foo{{bar}}zap"), KeyHashSlot("{bar"));
  // An empty tag hashes the whole key.
  EXPECT_EQ(KeyHashSlot("foo{}{bar}"), Crc16("foo{}{bar}") & 16383);
  // No closing brace: whole key.
  EXPECT_EQ(KeyHashSlot("foo{bar"), Crc16("foo{bar") & 16383);
}

}  // namespace
}  // namespace slotsim
