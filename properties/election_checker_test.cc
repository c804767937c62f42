#include "properties/election_checker.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TraceRecord Rec(int node, const char* kind, std::string details) {
  static int64_t seq = 100;
  TraceRecord r;
  r.seq = seq++;
  r.node = node;
  r.kind = kind;
  r.details = std::move(details);
  return r;
}

TEST(ElectionChecker, AcceptsOneVotePerVoterPerEpoch) {
  ElectionChecker c;
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=aaa count=1"));
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=bbb count=2"));
  c.OnTrace(Rec(6, "VoteReceived", "epoch=8 voter=aaa count=1"));
  c.OnTrace(Rec(3, "ElectionWon", "epoch=7 votes=2 size=3"));
  EXPECT_TRUE(c.violations().empty());
  EXPECT_EQ(c.votes_seen(), 3);
}

TEST(ElectionChecker, FlagsAWinWithoutAMajority) {
  ElectionChecker c;
  // Two votes of four primaries is half, not a majority; the same voter
  // counted twice does not help.
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=aaa count=1"));
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=aaa count=2"));
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=bbb count=3"));
  c.OnTrace(Rec(3, "ElectionWon", "epoch=7 votes=3 size=4"));
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "election-won-by-majority");
  // Linked to the three votes received and the win.
  EXPECT_EQ(c.violations()[0].causes.size(), 4u);
  // One vote of a two-primary cluster: the split-brain of seeds/002.
  ElectionChecker d;
  d.OnTrace(Rec(2, "VoteReceived", "epoch=3 voter=aaa count=1"));
  d.OnTrace(Rec(2, "ElectionWon", "epoch=3 votes=1 size=2"));
  ASSERT_EQ(d.violations().size(), 1u);
  // Three of four is a majority.
  ElectionChecker e;
  for (const char* v : {"a", "b", "c"})
    e.OnTrace(Rec(1, "VoteReceived", std::string("epoch=9 voter=") + v + " count=1"));
  e.OnTrace(Rec(1, "ElectionWon", "epoch=9 votes=3 size=4"));
  EXPECT_TRUE(e.violations().empty());
}

TEST(ElectionChecker, FlagsADoubleVoteAndTwoWinners) {
  ElectionChecker c;
  const TraceRecord first = Rec(3, "VoteReceived", "epoch=7 voter=aaa count=1");
  const TraceRecord second = Rec(6, "VoteReceived", "epoch=7 voter=aaa count=1");
  c.OnTrace(first);
  c.OnTrace(second);
  c.OnTrace(Rec(3, "ElectionWon", "epoch=7 votes=2"));
  c.OnTrace(Rec(6, "ElectionWon", "epoch=7 votes=2"));
  ASSERT_EQ(c.violations().size(), 2u);
  EXPECT_EQ(c.violations()[0].id, "one-vote-per-epoch");
  EXPECT_EQ(c.violations()[0].causes, (std::vector<int64_t>{first.seq, second.seq}));
  EXPECT_EQ(c.violations()[1].id, "one-winner-per-epoch");
}

TEST(DetailValue, FindsWholeKeysOnly) {
  EXPECT_EQ(DetailValue("epoch=7 voter=abc", "voter"), "abc");
  EXPECT_EQ(DetailValue("xepoch=1 epoch=2", "epoch"), "2");
  EXPECT_EQ(DetailValue("a=1", "b"), "");
}

}  // namespace
}  // namespace slotsim
