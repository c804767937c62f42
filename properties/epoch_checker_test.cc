#include "properties/epoch_checker.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

TraceRecord State(int node, int current, int config, int vote) {
  TraceRecord r;
  r.node = node;
  r.kind = "NodeState";
  NodeStateRecord n;
  n.primary = true;
  n.current_epoch = current;
  n.config_epoch = config;
  n.last_vote_epoch = vote;
  n.state_ok = true;
  r.details = n.Format();
  return r;
}

TEST(EpochChecker, AcceptsGrowingEpochs) {
  EpochChecker c;
  c.OnTrace(State(0, 1, 1, 0));
  c.OnTrace(State(0, 5, 1, 4));
  c.OnTrace(State(1, 5, 5, 0));
  EXPECT_TRUE(c.violations().empty());
  EXPECT_EQ(c.states_seen(), 3);
}

TEST(EpochChecker, FlagsEachInvariant) {
  EpochChecker c;
  c.OnTrace(State(0, 5, 2, 4));
  c.OnTrace(State(0, 4, 2, 3));  // a restart that lost both
  c.OnTrace(State(1, 3, 4, 0));  // configEpoch above currentEpoch
  ASSERT_EQ(c.violations().size(), 3u);
  EXPECT_EQ(c.violations()[0].id, "current-epoch-monotonic");
  EXPECT_EQ(c.violations()[1].id, "last-vote-epoch-monotonic");
  EXPECT_EQ(c.violations()[2].id, "config-epoch-le-current");
}

}  // namespace
}  // namespace slotsim
