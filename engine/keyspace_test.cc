#include "engine/keyspace.h"

#include <gtest/gtest.h>

#include "engine/resp.h"

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

// The set of keys with a TTL follows every way a key can go.
TEST(Keyspace, ExpiresFollowDeletes) {
  Keyspace ks;
  ks.SetString("{a}1", "x");
  ks.SetString("{a}2", "y");
  ks.SetString("b", "z");
  ks.SetExpire("{a}1", 10);
  ks.SetExpire("{a}2", 20);
  ks.SetExpire("b", 30);
  EXPECT_EQ(ks.expires(), 3);
  EXPECT_TRUE(ks.RemoveExpire("{a}2"));
  EXPECT_FALSE(ks.RemoveExpire("{a}2"));
  ks.SetExpire("{a}2", 20);
  EXPECT_EQ(ks.DeleteSlot(KeyHashSlot("a")), 2);
  EXPECT_EQ(ks.expires(), 1);
  EXPECT_EQ(ks.VolatileKeyAt(0), "b");
  EXPECT_EQ(ks.VolatileKeyAt(7), "b");
  ks.SetString("b", "new");  // setKey drops the TTL
  EXPECT_EQ(ks.expires(), 0);
  EXPECT_EQ(ks.GetExpire("b"), -1);
  ks.SetExpire("b", 5);
  EXPECT_TRUE(ks.Delete("b"));
  EXPECT_EQ(ks.expires(), 0);
  ks.SetString("c", "v");
  ks.SetExpire("c", 5);
  ks.Clear();
  EXPECT_EQ(ks.expires(), 0);
}

TEST(Keyspace, FirstExpireHookFiresOnlyFromNone) {
  Keyspace ks;
  int fired = 0;
  ks.set_on_first_expire([&] { ++fired; });
  ks.SetString("a", "1");
  ks.SetString("b", "1");
  ks.SetExpire("a", 1);
  ks.SetExpire("a", 2);
  ks.SetExpire("b", 2);
  EXPECT_EQ(fired, 1);
  ks.Delete("a");
  ks.Delete("b");
  ks.SetString("a", "1");
  ks.SetExpire("a", 3);
  EXPECT_EQ(fired, 2);
}

TEST(Keyspace, SnapshotCarriesListsAndExpireTimes) {
  Keyspace ks;
  ks.FindOrInsert("l", Value{ListValue{"a", "b"}});
  ks.SetString("s", "v");
  ks.SetExpire("s", 1234);
  EXPECT_EQ(ks.SnapshotAsCommands(),
            // In slot order: "s" comes before "l".
            resp::EncodeCommand({"SET", "s", "v"}) + resp::EncodeCommand({"PEXPIREAT", "s", "1234"}) +
                resp::EncodeCommand({"RPUSH", "l", "a", "b"}));
  ASSERT_LT(KeyHashSlot("s"), KeyHashSlot("l"));
}

}  // namespace
}  // namespace slotsim
