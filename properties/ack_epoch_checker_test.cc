#include "properties/ack_epoch_checker.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

TraceRecord State(int node, int64_t t, const char* role, uint64_t epoch) {
  static int64_t seq = 0;
  TraceRecord r;
  r.seq = seq++;
  r.time_us = t;
  r.node = node;
  r.kind = "NodeState";
  NodeStateRecord n;
  n.primary = std::string(role) == "primary";
  n.current_epoch = 9;
  n.config_epoch = static_cast<int64_t>(epoch);
  n.state_ok = true;
  n.slots = "0-16383";
  r.details = n.Format();
  return r;
}

void Ack(OpHistory* h, const char* node, int64_t t, const char* command = "SET") {
  OpRecord op;
  op.command = command;
  op.key = "key:1";  // one slot for every write here
  op.node = node;
  op.complete_us = t;
  op.outcome = OpOutcome::kOk;
  h->Add(op);
}

const std::map<std::string, int> kAddrs = {{"a:1", 0}, {"b:2", 1}};

TEST(AckEpochChecker, AFailoverToAHigherEpochIsFine) {
  AckEpochChecker c;
  c.OnTrace(State(0, 0, "primary", 3));
  c.OnTrace(State(1, 0, "replica", 3));
  c.OnTrace(State(1, 5000, "primary", 7));  // elected at epoch 7
  c.OnTrace(State(0, 6000, "replica", 3));
  OpHistory h;
  Ack(&h, "a:1", 1000);
  Ack(&h, "a:1", 5500);  // the old primary, not yet told: still epoch 3
  Ack(&h, "b:2", 5600);
  Ack(&h, "b:2", 7000, "GET");  // reads never count
  EXPECT_TRUE(c.Check(h, kAddrs, 9000).empty());
}

TEST(AckEpochChecker, FlagsTwoWritersOfOneSlotAtOneEpoch) {
  AckEpochChecker c;
  c.OnTrace(State(0, 0, "primary", 7));
  c.OnTrace(State(1, 100, "primary", 7));  // a second TAKEOVER at the same epoch
  OpHistory h;
  Ack(&h, "a:1", 200);
  Ack(&h, "b:2", 300, "INCR");
  const auto v = c.Check(h, kAddrs, 1000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "one-writer-per-slot-epoch");
  EXPECT_EQ(v[0].causes.size(), 2u);
  // A write answered by a node we know nothing about is not judged.
  OpHistory other;
  Ack(&other, "c:3", 300);
  EXPECT_TRUE(c.Check(other, kAddrs, 1000).empty());
}

}  // namespace
}  // namespace slotsim
