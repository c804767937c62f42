#include "engine/trace_records.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TEST(TraceRecords, WriteRoundTripsAnyKeyBytes) {
  WriteRecord w;
  w.cmd = "set";
  w.key = "a key=with %odd\nbytes";
  w.replid = "0123abcd";
  w.offset = 8812;
  w.digest = ArgvDigest({"SET", w.key, "v"});
  std::string err;
  auto back = WriteRecord::Parse(w.Format(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->key, w.key);
  EXPECT_EQ(back->offset, 8812);
  EXPECT_EQ(back->digest, w.digest);
  EXPECT_EQ(w.Format().find('\n'), std::string::npos);
}

TEST(TraceRecords, AMissingOrMalformedFieldIsAnErrorNotZero) {
  std::string err;
  EXPECT_FALSE(WriteRecord::Parse("cmd=set key=k replid=r digest=00000000000000ff", &err));
  EXPECT_NE(err.find("missing field offset"), std::string::npos) << err;
  EXPECT_FALSE(WriteRecord::Parse("cmd=set key=k replid=r offset=12x digest=ff", &err));
  EXPECT_NE(err.find("offset is not an integer"), std::string::npos) << err;
  EXPECT_FALSE(AofSyncedRecord::Parse("replid=r ofset=5", &err));
  EXPECT_NE(err.find("AofSynced"), std::string::npos) << err;
  EXPECT_FALSE(NodeStateRecord::Parse(
      "role=leader current_epoch=1 config_epoch=1 last_vote_epoch=0 state=ok slots= "
      "known_nodes=3",
      &err));
  EXPECT_NE(err.find("role"), std::string::npos) << err;
  EXPECT_FALSE(AofSyncedRecord::Parse("replid=%zz offset=5", &err));
  EXPECT_FALSE(AofSyncedRecord::Parse("replid=abc% offset=5", &err));
}

TEST(TraceRecords, ClientOpAndNetMessageRoundTripAndFailLoudly) {
  ClientOpRecord op;
  op.client = 3;
  op.key = "key with spaces";
  op.outcome = "error";
  op.latency_us = 1250;
  op.redirects = 2;
  op.asks = 1;
  op.retries = 4;
  op.tryagain = 3;
  op.reply = "-MOVED 12 127.0.0.1:7001 and=more";
  std::string err;
  auto back = ClientOpRecord::Parse(op.Format(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->key, op.key);
  EXPECT_EQ(back->reply, op.reply);
  EXPECT_EQ(back->asks, 1);
  EXPECT_EQ(back->tryagain, 3);
  EXPECT_EQ(back->clusterdown, 0);
  std::string renamed = op.Format();
  renamed.replace(renamed.find("latency_us="), 11, "latency_ms=");
  EXPECT_FALSE(ClientOpRecord::Parse(renamed, &err));
  EXPECT_NE(err.find("missing field latency_us"), std::string::npos) << err;
  std::string bad_outcome = op.Format();
  bad_outcome.replace(bad_outcome.find("outcome=error"), 13, "outcome=maybe");
  EXPECT_FALSE(ClientOpRecord::Parse(bad_outcome, &err));

  NetMessageRecord m{12, 340, 99};
  auto mback = NetMessageRecord::Parse(m.Format(), &err);
  ASSERT_TRUE(mback) << err;
  EXPECT_EQ(mback->msg, 99);
  EXPECT_EQ(mback->bytes, 340);
  EXPECT_FALSE(NetMessageRecord::Parse("conn=12 bytes=340", &err));
  EXPECT_NE(err.find("msg"), std::string::npos) << err;
}

TEST(TraceRecords, ViolationKeepsItsCausesAndAnyMessage) {
  std::string err;
  ViolationRecord v{"acked-writes-survive", {12, 40}, "key k=1 lost at 3 ms: 100% sure"};
  auto back = ViolationRecord::Parse(v.Format(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->message, v.message);
  EXPECT_EQ(back->causes, (std::vector<int64_t>{12, 40}));
  auto none = ViolationRecord::Parse(ViolationRecord{"x", {}, "m"}.Format(), &err);
  ASSERT_TRUE(none) << err;
  EXPECT_TRUE(none->causes.empty());
  EXPECT_FALSE(ViolationRecord::Parse("id=x causes=1,,2 message=m", &err));
  EXPECT_NE(err.find("causes"), std::string::npos) << err;
  EXPECT_FALSE(ViolationRecord::Parse("id=x causes=1 mesage=m", &err));
  EXPECT_FALSE(MachineAddedRecord::Parse("nam=n0", &err));
}

TEST(TraceRecords, NodeStateKeepsItsTextFormat) {
  // The viewer and SQL by hand read these rows; the typed form must not
  // change the text the engine always wrote.
  const std::string text =
      "role=replica primary=abc current_epoch=7 config_epoch=3 last_vote_epoch=6 "
      "state=fail slots= known_nodes=6";
  std::string err;
  auto n = NodeStateRecord::Parse(text, &err);
  ASSERT_TRUE(n) << err;
  EXPECT_FALSE(n->primary);
  EXPECT_EQ(n->primary_name, "abc");
  EXPECT_EQ(n->current_epoch, 7);
  EXPECT_FALSE(n->state_ok);
  EXPECT_EQ(n->Format(), text);
}

TEST(TraceRecords, SlotMigrationKeepsItsOptionalFieldsAndRefusesBadOnes) {
  SlotMigrationRecord m;
  m.job = "j1";
  m.role = "import";
  m.peer = "n2";
  m.slots = "0-99,200";
  m.keys = 3;
  m.bytes = 90;
  m.reason = "the source's link was lost = gone";
  std::string err;
  auto back = SlotMigrationRecord::Parse(m.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->slots, "0-99,200");
  EXPECT_EQ(back->reason, m.reason);
  EXPECT_FALSE(back->target_epoch.has_value());
  m.reason.reset();
  m.target_epoch = 7;
  back = SlotMigrationRecord::Parse(m.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->target_epoch, 7);
  EXPECT_FALSE(SlotMigrationRecord::Parse("job=j1 role=both peer=n slots=1 keys=0 bytes=0", &err));
  EXPECT_NE(err.find("role"), std::string::npos) << err;
  EXPECT_FALSE(SlotMigrationRecord::Parse(
      "job=j1 role=import peer=n slots=1 keys=0 bytes=0 target_epoch=x", &err));
  EXPECT_NE(err.find("target_epoch"), std::string::npos) << err;
}

TEST(TraceRecords, LinkFaultKeepsItsOptionalFieldsAndRefusesAMissingEnd) {
  LinkFaultRecord l;
  l.from = 3;
  l.to = 5;
  std::string err;
  auto back = LinkFaultRecord::Parse(l.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->from, 3);
  EXPECT_EQ(back->to, 5);
  EXPECT_FALSE(back->held.has_value());
  EXPECT_FALSE(back->extra_us.has_value());
  l.held = 12;
  l.extra_us = 0;
  back = LinkFaultRecord::Parse(l.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->held, 12);
  EXPECT_EQ(back->extra_us, 0);
  EXPECT_FALSE(LinkFaultRecord::Parse("from=3", &err));
  EXPECT_NE(err.find("to"), std::string::npos) << err;
  EXPECT_FALSE(LinkFaultRecord::Parse("from=3 to=4 held=many", &err));
  EXPECT_NE(err.find("held"), std::string::npos) << err;
}

TEST(TraceRecords, ElectionRankListsTheSiblingsAndRefusesAMalformedList) {
  ElectionRankRecord e;
  e.delay_ms = -20;
  e.rank = 1;
  e.offset = 500;
  e.siblings = {{"aa", 600}, {"bb", 400}};
  std::string err;
  auto back = ElectionRankRecord::Parse(e.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->siblings, e.siblings);
  EXPECT_EQ(back->delay_ms, -20);
  e.siblings.clear();
  back = ElectionRankRecord::Parse(e.Format(), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_TRUE(back->siblings.empty());
  EXPECT_FALSE(ElectionRankRecord::Parse(
      "delay_ms=1 rank=0 offset=5 manual=0 siblings=aa:1,bb", &err));
  EXPECT_NE(err.find("siblings"), std::string::npos) << err;
  EXPECT_FALSE(ElectionRankRecord::Parse("delay_ms=1 rank=0 offset=5 manual=2 siblings=", &err));
}

TEST(TraceRecords, ArgvDigestSeesArgumentBoundaries) {
  EXPECT_NE(ArgvDigest({"ab", "c"}), ArgvDigest({"a", "bc"}));
  EXPECT_EQ(ArgvDigest({"SET", "k", "v"}), ArgvDigest({"SET", "k", "v"}));
}

}  // namespace
}  // namespace slotsim
