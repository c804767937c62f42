#include "properties/election_checker.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

class Trace {
 public:
  ElectionChecker& checker() { return c_; }
  // A slot-owning primary (or a replica: no slots).
  void Primary(int node, int64_t epoch, const std::string& slots) {
    NodeStateRecord n;
    n.primary = !slots.empty();
    n.current_epoch = n.config_epoch = epoch;
    n.state_ok = true;
    n.slots = slots;
    Emit(node, -1, std::string(NodeStateRecord::kKind), n.Format());
  }
  int64_t Grant(int voter, int candidate, int64_t epoch) {
    return Emit(voter, candidate, std::string(VoteGrantedRecord::kKind),
                VoteGrantedRecord{epoch, "cand" + std::to_string(candidate), "prim", 0, 0, 0}
                    .Format());
  }
  int64_t Won(int node, int64_t epoch, int64_t votes, int64_t size) {
    return Emit(node, -1, std::string(ElectionWonRecord::kKind),
                ElectionWonRecord{epoch, votes, size}.Format());
  }

 private:
  int64_t Emit(int node, int peer, const std::string& kind, std::string details) {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.peer = peer;
    r.kind = kind;
    r.details = std::move(details);
    c_.OnTrace(r);
    return r.seq;
  }
  ElectionChecker c_;
  int64_t seq_ = 0;
};

// Primaries 0, 1, 2 own a third each; 3 is 0's replica.
void ThreeShards(Trace& t) {
  t.Primary(0, 1, "0-5460");
  t.Primary(1, 2, "5461-10922");
  t.Primary(2, 3, "10923-16383");
  t.Primary(3, 0, "");
}

TEST(ElectionChecker, AcceptsAMajorityOfGrants) {
  Trace t;
  ThreeShards(t);
  t.Grant(1, 3, 4);
  t.Grant(2, 3, 4);
  t.Won(3, 4, 2, 3);
  EXPECT_TRUE(t.checker().violations().empty()) << t.checker().violations()[0].message;
  EXPECT_EQ(t.checker().votes_seen(), 2);
}

// A double vote is seen on the voter, even when the first ACK never
// reached its candidate (no VoteReceived anywhere).
TEST(ElectionChecker, FlagsADoubleGrantWhoseFirstAckWasLost) {
  Trace t;
  ThreeShards(t);
  const int64_t first = t.Grant(1, 3, 4);
  const int64_t second = t.Grant(1, 4, 4);
  ASSERT_EQ(t.checker().violations().size(), 1u);
  EXPECT_EQ(t.checker().violations()[0].id, "one-vote-per-epoch");
  EXPECT_EQ(t.checker().violations()[0].causes, (std::vector<int64_t>{first, second}));
  // A vote in another epoch of the voter is fine.
  t.Grant(1, 4, 5);
  EXPECT_EQ(t.checker().violations().size(), 1u);
}

// The winner's own count and size are not trusted: it claims 2 of 3, but
// only one primary granted it, and the other "vote" came from a replica.
TEST(ElectionChecker, RecountsTheWinnersVotesAndTheClusterSize) {
  Trace t;
  ThreeShards(t);
  t.Primary(4, 0, "");  // a replica
  t.Grant(1, 3, 4);
  t.Grant(4, 3, 4);     // not a slot-owning primary: does not count
  t.Won(3, 4, /*votes=*/2, /*size=*/3);
  ASSERT_EQ(t.checker().violations().size(), 1u);
  const Violation& v = t.checker().violations()[0];
  EXPECT_EQ(v.id, "election-won-by-majority");
  EXPECT_NE(v.message.find("grants from 1 of 3"), std::string::npos) << v.message;
  // The winner reporting a smaller cluster does not lower the bar.
  Trace u;
  ThreeShards(u);
  u.Primary(5, 7, "100-200");  // a fourth owner (slots moved to it at epoch 7)
  u.Grant(1, 3, 8);
  u.Grant(2, 3, 8);
  u.Won(3, 8, 2, /*size=*/3);
  ASSERT_EQ(u.checker().violations().size(), 1u);
  EXPECT_NE(u.checker().violations()[0].message.find("2 of 4"), std::string::npos)
      << u.checker().violations()[0].message;
}

// A primary whose slots were all taken over at a higher epoch (a stale
// claimant) is not a slot owner any more.
TEST(ElectionChecker, StaleClaimantsDoNotCountAsPrimaries) {
  Trace t;
  ThreeShards(t);
  t.Primary(3, 9, "0-5460");  // 3 replaced 0 at epoch 9; 0 still claims at 1
  t.Primary(5, 0, "");
  t.Grant(1, 5, 10);
  t.Grant(2, 5, 10);
  t.Won(5, 10, 2, 3);
  EXPECT_TRUE(t.checker().violations().empty()) << t.checker().violations()[0].message;
}

TEST(ElectionChecker, FlagsTwoWinnersOfOneEpochForTheSameSlots) {
  Trace t;
  ThreeShards(t);
  t.Primary(4, 0, "");
  for (int v : {0, 1}) t.Grant(v, 3, 4);
  t.Grant(2, 4, 4);
  t.Grant(1, 4, 4);  // a double vote lets node 4 win too
  t.Won(3, 4, 2, 3);
  t.Primary(3, 4, "0-5460");
  t.Won(4, 4, 2, 3);
  t.Primary(4, 4, "0-5460");  // both replaced node 0
  bool two_winners = false;
  for (const auto& v : t.checker().violations()) two_winners |= v.id == "one-winner-per-epoch";
  EXPECT_TRUE(two_winners);
}

// Explore seed 798, faithful to Redis 7.0.15: node 3 won epoch 8 for node
// 0's slots and, promoted, granted its own epoch-8 vote to node 5, which
// replaces node 2. Two winners of epoch 8, for disjoint slots.
TEST(ElectionChecker, TwoWinnersOfOneEpochForDisjointSlotsAreRedisBehaviour) {
  Trace t;
  ThreeShards(t);
  t.Primary(5, 0, "");
  t.Grant(0, 3, 8);
  t.Grant(1, 3, 8);
  t.Won(3, 8, 2, 3);
  t.Primary(3, 8, "0-5460");
  t.Primary(0, 1, "");  // follows node 3
  t.Grant(2, 5, 8);
  t.Grant(3, 5, 8);  // node 3, now a primary, never voted in epoch 8
  t.Won(5, 8, 2, 3);
  t.Primary(5, 8, "10923-16383");
  EXPECT_TRUE(t.checker().violations().empty()) << t.checker().violations()[0].message;
}

}  // namespace
}  // namespace slotsim
