// Pub/Sub on simulated nodes: replies as Redis 7.0 gives them, PUBLISH
// across the cluster bus (and not across a partition), shard channels
// routed to their slot and dropped when the slot leaves the shard.
#include <gtest/gtest.h>

#include "engine/keyslot.h"
#include "engine/server.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using testing::RawConn;
using testing::StartNodes;

using testing::Quiet;

// ["kind", name, count] as Redis sends (un)subscribe confirmations.
void ExpectTriple(const RespValue& v, const std::string& kind, const std::string& name,
                  int64_t count) {
  ASSERT_EQ(v.elements.size(), 3u) << v.ToString();
  EXPECT_EQ(v.elements[0].str, kind);
  EXPECT_EQ(v.elements[1].str, name);
  EXPECT_EQ(v.elements[2].integer, count);
}

TEST(PubSub, RepliesAndSubscribedModeFollowRedis) {
  Simulation sim(Quiet());
  auto servers = StartNodes(sim, 1);
  ASSERT_EQ(servers.size(), 1u);
  RawConn sub(sim, "sub"), pub(sim, "pub");
  sub.Connect(7000);
  pub.Connect(7000);
  sub.SendCommand({"SUBSCRIBE", "a", "b"});
  auto r = sub.Replies();
  ASSERT_EQ(r.size(), 2u);
  ExpectTriple(r[0], "subscribe", "a", 1);
  ExpectTriple(r[1], "subscribe", "b", 2);
  ExpectTriple(sub.Call({"PSUBSCRIBE", "h*llo"}), "psubscribe", "h*llo", 3);
  EXPECT_EQ(sub.Call({"ECHO", "k"}).str,
            "ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context");
  RespValue pong = sub.Call({"PING"});
  ASSERT_EQ(pong.elements.size(), 2u);
  EXPECT_EQ(pong.elements[0].str, "pong");
  EXPECT_EQ(pong.elements[1].str, "");

  EXPECT_EQ(pub.Call({"PUBLISH", "a", "x"}).integer, 1);
  EXPECT_EQ(pub.Call({"PUBLISH", "hello", "y"}).integer, 1);  // the pattern
  EXPECT_EQ(pub.Call({"PUBLISH", "nobody", "z"}).integer, 0);
  r = sub.Replies();
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0].elements.size(), 3u);
  EXPECT_EQ(r[0].elements[0].str, "message");
  EXPECT_EQ(r[0].elements[2].str, "x");
  ASSERT_EQ(r[1].elements.size(), 4u);
  EXPECT_EQ(r[1].elements[0].str, "pmessage");
  EXPECT_EQ(r[1].elements[1].str, "h*llo");
  EXPECT_EQ(r[1].elements[2].str, "hello");

  RespValue numsub = pub.Call({"PUBSUB", "NUMSUB", "a", "zz"});
  ASSERT_EQ(numsub.elements.size(), 4u);
  EXPECT_EQ(numsub.elements[1].integer, 1);
  EXPECT_EQ(numsub.elements[3].integer, 0);
  EXPECT_EQ(pub.Call({"PUBSUB", "NUMPAT"}).integer, 1);
  EXPECT_EQ(pub.Call({"PUBSUB", "CHANNELS"}).elements.size(), 2u);
  EXPECT_EQ(pub.Call({"PUBSUB", "NOPE"}).str, "ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.");

  // UNSUBSCRIBE with no names drops every channel, in name order; the
  // pattern still counts, so the client stays subscribed.
  sub.SendCommand({"UNSUBSCRIBE"});
  r = sub.Replies();
  ASSERT_EQ(r.size(), 2u);
  ExpectTriple(r[0], "unsubscribe", "a", 2);
  ExpectTriple(r[1], "unsubscribe", "b", 1);
  ExpectTriple(sub.Call({"PUNSUBSCRIBE"}), "punsubscribe", "h*llo", 0);
  RespValue none = sub.Call({"UNSUBSCRIBE"});  // nothing left: a nil name
  ASSERT_EQ(none.elements.size(), 3u);
  EXPECT_EQ(none.elements[1].type, RespValue::Type::kNullBulk);
  EXPECT_EQ(sub.Call({"PING"}).str, "PONG");  // out of subscribed mode
  EXPECT_EQ(pub.Call({"PUBLISH", "a", "x"}).integer, 0);
}

// Two primaries on machines 0 and 1: node 0 owns the slot of "ch"
// (13271), node 1 the other half.
class ShardPubSubTest : public ::testing::Test {
 protected:
  ShardPubSubTest()
      : sim_(Quiet()), servers_(StartNodes(sim_, 2, 2000)), a_(sim_, "a"), b_(sim_, "b") {
    a_.Connect(7000);
    b_.Connect(7001);
    slot_ = KeyHashSlot("ch");
    EXPECT_EQ(a_.Call({"CLUSTER", "ADDSLOTSRANGE", "8192", "16383"}).str, "OK");
    EXPECT_EQ(b_.Call({"CLUSTER", "ADDSLOTSRANGE", "0", "8191"}).str, "OK");
    EXPECT_EQ(a_.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
    a_.Replies(3000);
  }
  Simulation sim_;
  std::vector<std::unique_ptr<Server>> servers_;
  RawConn a_, b_;
  int slot_ = 0;
};

TEST_F(ShardPubSubTest, PublishCrossesTheBusButNotAPartition) {
  RawConn sub(sim_, "sub");
  sub.Connect(7001);
  ExpectTriple(sub.Call({"SUBSCRIBE", "news"}), "subscribe", "news", 1);
  // Node 0 has no subscriber: 0 receivers, but node 1 delivers it.
  EXPECT_EQ(a_.Call({"PUBLISH", "news", "one"}).integer, 0);
  auto r = sub.Replies(100);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].elements[2].str, "one");

  // Cut apart, the message does not reach node 1's subscriber.
  sim_.network().SetPartitioned(0, 1, true);
  EXPECT_EQ(a_.Call({"PUBLISH", "news", "two"}).integer, 0);
  EXPECT_TRUE(sub.Replies(500).empty());
  sim_.network().SetPartitioned(0, 1, false);
  a_.Replies(3000);
  EXPECT_EQ(a_.Call({"PUBLISH", "news", "three"}).integer, 0);
  r = sub.Replies(500);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.back().elements[2].str, "three");
}

TEST_F(ShardPubSubTest, ShardChannelsRouteToTheirSlotAndGoWithIt) {
  ASSERT_GE(slot_, 8192);  // "ch" is node 0's
  ASSERT_NE(KeyHashSlot("other-slot-channel"), slot_);
  RawConn sub(sim_, "sub"), wrong(sim_, "wrong");
  sub.Connect(7000);
  wrong.Connect(7001);
  ExpectTriple(sub.Call({"SSUBSCRIBE", "ch"}), "ssubscribe", "ch", 1);
  EXPECT_EQ(wrong.Call({"SSUBSCRIBE", "ch"}).str,
            "MOVED " + std::to_string(slot_) + " 127.0.0.1:7000");
  // Channels of two slots in one call: CROSSSLOT, as keys would be.
  EXPECT_EQ(sub.Call({"SSUBSCRIBE", "ch", "other-slot-channel"}).str.rfind("CROSSSLOT", 0), 0u);
  EXPECT_EQ(a_.Call({"SPUBLISH", "ch", "hi"}).integer, 1);
  auto r = sub.Replies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].elements[0].str, "smessage");
  EXPECT_EQ(r[0].elements[2].str, "hi");
  // Shard and classic channels do not overlap.
  EXPECT_EQ(a_.Call({"PUBLISH", "ch", "classic"}).integer, 0);
  EXPECT_TRUE(sub.Replies().empty());

  // While the slot migrates, a shard channel is no key: no ASK for it.
  const std::string b_id = b_.Call({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(a_.Call({"CLUSTER", "SETSLOT", std::to_string(slot_), "MIGRATING", b_id}).str, "OK");
  EXPECT_EQ(a_.Call({"SPUBLISH", "ch", "still"}).integer, 1);
  EXPECT_EQ(sub.Replies().size(), 1u);
  EXPECT_EQ(a_.Call({"CLUSTER", "SETSLOT", std::to_string(slot_), "STABLE"}).str, "OK");

  // The slot leaves node 0: its subscriber is told (removeChannelsInSlot).
  EXPECT_EQ(a_.Call({"CLUSTER", "DELSLOTS", std::to_string(slot_)}).str, "OK");
  r = sub.Replies();
  ASSERT_EQ(r.size(), 1u);
  ExpectTriple(r[0], "sunsubscribe", "ch", 0);
  EXPECT_EQ(a_.Call({"PUBSUB", "SHARDCHANNELS"}).elements.size(), 0u);
}

}  // namespace
}  // namespace slotsim
