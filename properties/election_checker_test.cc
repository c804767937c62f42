#include "properties/election_checker.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TraceRecord Rec(int node, const char* kind, std::string details) {
  TraceRecord r;
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
  c.OnTrace(Rec(3, "ElectionWon", "epoch=7 votes=2"));
  EXPECT_TRUE(c.violations().empty());
  EXPECT_EQ(c.votes_seen(), 3);
}

TEST(ElectionChecker, FlagsADoubleVoteAndTwoWinners) {
  ElectionChecker c;
  c.OnTrace(Rec(3, "VoteReceived", "epoch=7 voter=aaa count=1"));
  c.OnTrace(Rec(6, "VoteReceived", "epoch=7 voter=aaa count=1"));
  c.OnTrace(Rec(3, "ElectionWon", "epoch=7 votes=2"));
  c.OnTrace(Rec(6, "ElectionWon", "epoch=7 votes=2"));
  ASSERT_EQ(c.violations().size(), 2u);
  EXPECT_EQ(c.violations()[0].id, "one-vote-per-epoch");
  EXPECT_EQ(c.violations()[1].id, "one-winner-per-epoch");
}

TEST(DetailValue, FindsWholeKeysOnly) {
  EXPECT_EQ(DetailValue("epoch=7 voter=abc", "voter"), "abc");
  EXPECT_EQ(DetailValue("xepoch=1 epoch=2", "epoch"), "2");
  EXPECT_EQ(DetailValue("a=1", "b"), "");
}

}  // namespace
}  // namespace slotsim
