#include "properties/ownership_checker.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

#include "engine/slot_ranges.h"

namespace slotsim {
namespace {

TraceRecord State(int node, const std::string& role, uint64_t config_epoch,
                  const std::string& slots) {
  static int64_t seq = 0;
  TraceRecord r;
  r.seq = seq++;
  r.node = node;
  r.kind = "NodeState";
  NodeStateRecord n;
  n.primary = role == "primary";
  n.current_epoch = 9;
  n.config_epoch = static_cast<int64_t>(config_epoch);
  n.state_ok = true;
  n.slots = slots;
  n.known_nodes = 3;
  r.details = n.Format();
  return r;
}

TEST(SlotRanges, ParseIsTheInverseOfFormat) {
  SlotBitmap b;
  for (int j : {0, 1, 2, 7, 100, 16383}) b.set(j);
  const auto parsed = ParseSlotRanges(FormatSlotRanges(b, ","));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, b);
  EXPECT_TRUE(ParseSlotRanges("")->none());
  for (const char* bad : {"5-3", "16384", "1,,2", "a", "1-", "-1", "123456"})
    EXPECT_FALSE(ParseSlotRanges(bad).has_value()) << bad;
}

TEST(OwnershipChecker, AcceptsAssignmentFailoverAndMigrationUpward) {
  OwnershipChecker c;
  c.OnTrace(State(0, "primary", 0, "0-99"));    // ADDSLOTS
  c.OnTrace(State(0, "primary", 1, "0-99"));    // SET-CONFIG-EPOCH
  c.OnTrace(State(1, "primary", 2, "100-199"));
  c.OnTrace(State(2, "primary", 5, "0-99"));    // replica 2 won epoch 5
  c.OnTrace(State(0, "replica", 1, ""));        // the old primary follows
  c.OnTrace(State(1, "primary", 6, "50,100-199"));  // SETSLOT NODE with a bump
  c.OnTrace(State(2, "primary", 5, "0-49,51-99"));
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0].message;
  EXPECT_EQ(c.moves_seen(), 101);
}

TEST(OwnershipChecker, FlagsAClaimThatDoesNotBeatThePreviousEpoch) {
  OwnershipChecker c;
  TraceRecord a = State(0, "primary", 3, "0-99"), b = State(1, "primary", 1, "100-199"),
              m = State(1, "primary", 1, "5,100-199");
  a.seq = 0, b.seq = 1, m.seq = 2;
  c.OnTrace(a);
  c.OnTrace(b);
  // SETSLOT NODE without the bump: node 1 takes slot 5 at epoch 1 < 3.
  c.OnTrace(m);
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "ownership-moves-to-higher-epoch");
  EXPECT_NE(c.violations()[0].message.find("slot 5"), std::string::npos);
  // Linked to the old claim's record and the new one's.
  EXPECT_EQ(c.violations()[0].causes, (std::vector<int64_t>{0, 2}));
}

// Redis 7.0 saves SETSLOT NODE without fsync: a source that crashes
// right after handing a slot over comes back claiming it at its old
// epoch. That stale claim is not a move; the same claim without a
// restart is one.
TEST(OwnershipChecker, AClaimFromAnOlderNodesConfAfterRestartIsNotAMove) {
  for (bool restart : {true, false}) {
    OwnershipChecker c;
    c.OnTrace(State(0, "primary", 1, "0-99"));
    c.OnTrace(State(1, "primary", 2, "100-199"));
    c.OnTrace(State(1, "primary", 9, "99-199"));  // SETSLOT NODE with a bump
    c.OnTrace(State(0, "primary", 1, "0-98"));
    TraceRecord crash_restart;
    crash_restart.node = 0;
    crash_restart.kind = "Restart";
    if (restart) c.OnTrace(crash_restart);
    c.OnTrace(State(0, "primary", 1, "0-99"));  // from an older nodes.conf
    EXPECT_EQ(c.violations().empty(), restart);
    // Either way, node 1 stays the claimant: node 0 taking it back
    // later at a low epoch is a move down.
    c.OnTrace(State(0, "primary", 1, "0-98"));
    c.OnTrace(State(0, "primary", 1, "0-99"));
    EXPECT_FALSE(c.violations().empty());
  }
}

// Explore seed 1747: a TAKEOVER queued on a paused replica runs after
// another replica won the same slots; both end at configEpoch 13 until
// the collision rule moves one. Without the TAKEOVER it is a violation.
TEST(OwnershipChecker, ATakeoverMayTieAnEpochWonMeanwhile) {
  for (bool takeover : {true, false}) {
    OwnershipChecker c;
    c.OnTrace(State(1, "primary", 2, "4096-8191"));
    c.OnTrace(State(5, "primary", 13, "4096-8191"));  // won epoch 13
    TraceRecord t;
    t.node = 9;
    t.kind = "ManualFailoverTakeover";
    if (takeover) c.OnTrace(t);
    c.OnTrace(State(9, "primary", 13, "4096-8191"));
    EXPECT_EQ(c.violations().empty(), takeover);
  }
}

TEST(OwnershipChecker, AStaleClaimAfterRestartIsNotAMove) {
  OwnershipChecker c;
  c.OnTrace(State(0, "primary", 1, "0-99"));
  c.OnTrace(State(3, "primary", 4, "0-99"));  // node 0's replica took over
  // Node 0 restarts from its old config, still claiming 0-99 at epoch 1.
  c.OnTrace(State(0, "primary", 1, "0-99"));
  EXPECT_TRUE(c.violations().empty());
  // It learns and follows; node 3's later epochs keep the slots.
  c.OnTrace(State(0, "replica", 1, ""));
  c.OnTrace(State(3, "primary", 7, "0-99"));
  EXPECT_TRUE(c.violations().empty());
}

}  // namespace
}  // namespace slotsim
