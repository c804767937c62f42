// The election rules on fabricated traces: each rule fails on the record
// that breaks it and passes on the same record within the rule. Real runs
// are judged by the library suite (tests/library_suite_test, and the
// scenarios that pin the bugs these rules were written for).
#include "properties/election_rules.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

class ElectionRulesTest : public ::testing::Test {
 protected:
  ElectionRulesTest() : rules_(Settings()) {}
  static CheckerSettings Settings() {
    CheckerSettings s;
    s.node_timeout_ms = 2000;
    s.repl_ping_period_ms = 10'000;
    s.replica_validity_factor = 10;  // data may be 30 s old, after 2 s discounted
    return s;
  }
  void Emit(int node, int64_t ms, std::string_view kind, std::string details = "") {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.time_us = ms * 1000;
    r.kind = std::string(kind);
    r.details = std::move(details);
    rules_.OnTrace(r);
  }
  void Schedule(int node, int64_t ms, int64_t rank, int64_t offset,
                std::vector<std::pair<std::string, int64_t>> siblings, bool manual = false,
                std::string_view kind = ElectionRankRecord::kScheduledKind) {
    ElectionRankRecord e;
    e.delay_ms = 700;
    e.rank = rank;
    e.offset = offset;
    e.manual = manual;
    e.siblings = std::move(siblings);
    Emit(node, ms, kind, e.Format());
  }
  void Grant(int voter, int64_t ms, int64_t local_ms, std::string to, std::string primary,
             int64_t claim = 3, int64_t owner = 3) {
    VoteGrantedRecord g;
    g.epoch = 7;
    g.to = std::move(to);
    g.primary = std::move(primary);
    g.local_ms = local_ms;
    g.claim_epoch = claim;
    g.owner_epoch = owner;
    Emit(voter, ms, VoteGrantedRecord::kKind, g.Format());
  }
  std::vector<std::string> Found() const {
    std::vector<std::string> ids;
    for (const auto& v : rules_.violations()) ids.push_back(v.id);
    return ids;
  }
  void SyncedAt(int node, int64_t ms) { Emit(node, ms, "ReplLinkUp", "mode=full offset=1"); }

  ElectionRules rules_;
  int64_t seq_ = 0;
};

using Ids = std::vector<std::string>;

TEST_F(ElectionRulesTest, TheRankCountsTheSiblingsAhead) {
  SyncedAt(3, 1000);
  Schedule(3, 10'000, 1, 500, {{"a", 600}, {"b", 400}});
  Schedule(3, 10'500, 2, 500, {{"a", 600}, {"b", 700}}, false,
           ElectionRankRecord::kRankRaisedKind);
  Schedule(4, 11'000, 0, 500, {{"a", 600}}, /*manual=*/true);
  SyncedAt(4, 1000);
  EXPECT_TRUE(rules_.violations().empty()) << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, AnInvertedRankFails) {
  SyncedAt(3, 1000);
  Schedule(3, 10'000, 1, 500, {{"a", 400}, {"b", 500}});  // nobody is ahead
  ASSERT_EQ(Found(), Ids{"replica-rank-follows-offsets"});
  EXPECT_NE(rules_.violations()[0].message.find("0 of its 2 siblings"), std::string::npos)
      << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, AManualFailoverWithARankFails) {
  SyncedAt(3, 1000);
  Schedule(3, 10'000, 1, 500, {{"a", 600}}, /*manual=*/true);
  EXPECT_EQ(Found(), Ids{"replica-rank-follows-offsets"});
}

TEST_F(ElectionRulesTest, DataWithinTheValidityFactorMayRun) {
  SyncedAt(3, 1000);
  Emit(3, 10'000, "ReplLinkDown", "reason=closed");
  Schedule(3, 41'000, 0, 500, {});  // 31 s down, 29 s after the discount
  Emit(3, 42'000, "ElectionStarted", "epoch=5");
  EXPECT_TRUE(rules_.violations().empty()) << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, StaleDataMayNotRun) {
  SyncedAt(3, 1000);
  Emit(3, 10'000, "ReplLinkDown", "reason=closed");
  Schedule(3, 43'000, 0, 500, {});  // 31 s after the discount
  ASSERT_EQ(Found(), Ids{"candidate-data-fresh"});
  EXPECT_NE(rules_.violations()[0].message.find("31000 ms old"), std::string::npos)
      << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, AReplicaThatNeverSyncedMayNotRunEvenWithAClockFault) {
  Emit(3, 500, "ClockJump", "delta_us=-1000000");
  Schedule(3, 5'000, 0, 0, {});
  EXPECT_EQ(Found(), Ids{"candidate-data-fresh"});
}

TEST_F(ElectionRulesTest, ARestartOrAPromotionForgetsTheSync) {
  SyncedAt(3, 1000);
  Emit(3, 2000, "Restart", "incarnation=1");
  Emit(3, 3000, "ElectionStarted", "epoch=5");
  SyncedAt(4, 1000);
  Emit(4, 2000, ReplPromotedRecord::kKind, "");
  Emit(4, 3000, "ElectionStarted", "epoch=6");
  EXPECT_EQ(Found(), (Ids{"candidate-data-fresh", "candidate-data-fresh"}));
}

TEST_F(ElectionRulesTest, ManualFailoversAndClockFaultedNodesAreExemptFromTheAge) {
  SyncedAt(3, 1000);
  Emit(3, 2000, "ReplLinkDown", "reason=closed");
  Schedule(3, 60'000, 0, 500, {}, /*manual=*/true);
  Emit(3, 60'000, "ElectionStarted", "epoch=5");
  SyncedAt(4, 1000);
  Emit(4, 2000, "ReplLinkDown", "reason=closed");
  Emit(4, 3000, "ClockDrift", "ppm=100");
  Emit(4, 60'000, "ElectionStarted", "epoch=6");
  EXPECT_TRUE(rules_.violations().empty()) << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, SiblingVotesWithinTwiceTheNodeTimeoutFail) {
  Grant(0, 10'000, 5'000, "r1", "p");
  Grant(0, 11'000, 6'000, "r2", "p");
  ASSERT_EQ(Found(), Ids{"votes-for-siblings-spaced"});
  EXPECT_EQ(rules_.violations()[0].causes.size(), 2u);
}

TEST_F(ElectionRulesTest, SiblingVotesSpacedOnTheVotersClockPass) {
  Grant(0, 10'000, 5'000, "r1", "p");
  Grant(0, 14'000, 9'000, "r2", "p");   // 4 s later on both clocks
  Grant(0, 15'000, 10'000, "s1", "q");  // another primary's replica
  Grant(1, 15'000, 10'000, "r2", "p");  // another voter
  EXPECT_TRUE(rules_.violations().empty()) << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, AClockSetBackShortensNothing) {
  Grant(0, 10'000, 50'000, "r1", "p");
  Grant(0, 20'000, 45'000, "r2", "p");  // 10 s later, but the clock went back
  EXPECT_EQ(Found(), Ids{"votes-for-siblings-spaced"});
}

TEST_F(ElectionRulesTest, ARestartedVoterForgetsWhenItVoted) {
  Grant(0, 10'000, 5'000, "r1", "p");
  Emit(0, 10'500, "Restart", "incarnation=1");
  Grant(0, 11'000, 6'000, "r2", "p");
  EXPECT_TRUE(rules_.violations().empty()) << rules_.violations()[0].message;
}

TEST_F(ElectionRulesTest, AVoteForAClaimBelowTheKnownOwnerFails) {
  Grant(0, 10'000, 5'000, "r1", "p", /*claim=*/4, /*owner=*/4);
  EXPECT_TRUE(rules_.violations().empty());
  Grant(1, 10'000, 5'000, "r1", "p", /*claim=*/4, /*owner=*/6);
  EXPECT_EQ(Found(), Ids{"vote-refuses-stale-slot-claims"});
}

}  // namespace
}  // namespace slotsim
