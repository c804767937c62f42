#include "engine/keyspace.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TEST(Keyspace, PerSlotIndex) {
  Keyspace ks;
  ks.SetString("{a}1", "x");
  ks.SetString("{a}2", "y");
  ks.SetString("b", "z");
  const int slot = KeyHashSlot("a");
  EXPECT_EQ(ks.size(), 3);
  EXPECT_EQ(ks.CountKeysInSlot(slot), 2);
  EXPECT_EQ(ks.GetKeysInSlot(slot, 10),
            (std::vector<std::string>{"{a}1", "{a}2"}));
  EXPECT_EQ(ks.GetKeysInSlot(slot, 1), (std::vector<std::string>{"{a}1"}));
  EXPECT_EQ(ks.DeleteSlot(slot), 2);
  EXPECT_EQ(ks.size(), 1);
  EXPECT_EQ(ks.Find("{a}1"), nullptr);
  ASSERT_NE(ks.Find("b"), nullptr);
  EXPECT_TRUE(ks.Delete("b"));
  EXPECT_FALSE(ks.Delete("b"));
  EXPECT_EQ(ks.size(), 0);
}

TEST(Keyspace, SetReplacesAnyType) {
  Keyspace ks;
  ks.FindOrInsert("h", Value{HashValue{{"f", "v"}}});
  ASSERT_TRUE(ks.Find("h")->IsHash());
  ks.SetString("h", "s");
  ASSERT_TRUE(ks.Find("h")->IsString());
  EXPECT_EQ(ks.size(), 1);
}

}  // namespace
}  // namespace slotsim
