#include "properties/config_rollback.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

class Trace {
 public:
  ConfigRollbacks& rollbacks() { return r_; }
  void State(int node, const std::string& slots, const std::string& open = "") {
    NodeStateRecord n;
    n.primary = true;
    n.state_ok = true;
    n.slots = slots;
    n.open = open;
    Emit(node, std::string(NodeStateRecord::kKind), n.Format());
  }
  void Saved(int node, bool fsync) { Emit(node, "ConfigSaved", fsync ? "fsync=1" : "fsync=0"); }
  void Crash(int node) { Emit(node, "Crash", ""); }
  void Restart(int node) { Emit(node, "Restart", "incarnation=1"); }
  bool Open(int node, int slot) {
    std::string why;
    const bool explained = r_.ExplainsOpenSlot(node, slot, &why);
    EXPECT_EQ(explained, !why.empty());
    return explained;
  }
  bool Claim(int node, int slot) {
    std::string why;
    return r_.ExplainsClaim(node, slot, &why);
  }

 private:
  void Emit(int node, const std::string& kind, const std::string& details) {
    TraceRecord r;
    r.seq = seq_++;
    r.time_us = seq_ * 1000;
    r.node = node;
    r.kind = kind;
    r.details = details;
    r_.OnTrace(r);
  }
  ConfigRollbacks r_;
  int64_t seq_ = 0;
};

const std::string kOpen5 = "[5->-" + std::string(40, 'a') + "]";

// explore --profile all, seed 45: SETSLOT NODE closed slot 5 and saved
// without fsync; a power loss brought the slot back MIGRATING.
TEST(ConfigRollbacks, ALostUnsyncedSaveExplainsASlotOpenAgain) {
  Trace t;
  t.State(1, "0-99");
  t.Saved(1, true);
  t.State(1, "6-99", kOpen5);
  t.Saved(1, false);
  t.State(1, "6-99");
  t.Crash(1);
  t.Restart(1);
  t.State(1, "6-99", kOpen5);
  EXPECT_TRUE(t.Open(1, 5));
  EXPECT_FALSE(t.Open(1, 6));
  EXPECT_FALSE(t.Open(0, 5));
}

// The planted bug: a checker that forgave every open slot after a crash.
TEST(ConfigRollbacks, ASyncedSaveExplainsNothing) {
  Trace t;
  t.State(1, "6-99", kOpen5);
  t.Saved(1, false);
  t.State(1, "6-99");
  t.Saved(1, true);  // the close reached the disk
  t.Crash(1);
  t.Restart(1);
  t.State(1, "6-99", kOpen5);
  EXPECT_FALSE(t.Open(1, 5));
}

TEST(ConfigRollbacks, ASlotOpenBeforeTheCrashTooIsNotExplained) {
  Trace t;
  t.State(1, "0-99", kOpen5);
  t.Saved(1, false);
  t.Crash(1);
  t.Restart(1);
  t.State(1, "0-99", kOpen5);
  EXPECT_FALSE(t.Open(1, 5));
}

TEST(ConfigRollbacks, AnExplanationEndsOnceTheSlotClosesAndIsNotRenewedByALaterOpen) {
  Trace t;
  t.State(1, "6-99");
  t.Saved(1, false);
  t.Crash(1);
  t.Restart(1);
  t.State(1, "6-99", kOpen5);
  EXPECT_TRUE(t.Open(1, 5));
  t.State(1, "6-99");
  t.State(1, "6-99", kOpen5);  // a new migration opened it: its own problem
  EXPECT_FALSE(t.Open(1, 5));
}

// explore --profile all, seed 6: SETSLOT NODE gave node 1 slot 1 without a
// new configEpoch (its epoch was already the highest) and saved without
// fsync; after the power loss node 1 no longer claims it.
TEST(ConfigRollbacks, ALostClaimIsExplainedWhileTheClaimStaysAsRestored) {
  Trace t;
  t.State(1, "0,5461-10922");
  t.Saved(1, true);
  t.State(1, "0-1,5461-10922");
  t.Saved(1, false);
  t.Crash(1);
  t.Restart(1);
  t.State(1, "0,5461-10922");
  EXPECT_TRUE(t.Claim(1, 1));
  EXPECT_FALSE(t.Claim(1, 0));
  EXPECT_FALSE(t.Claim(1, 2));
  t.State(1, "0-1,5461-10922");  // it got slot 1 back
  EXPECT_FALSE(t.Claim(1, 1));
}

TEST(ConfigRollbacks, ACrashWithoutAnUnsyncedSaveExplainsNoClaim) {
  Trace t;
  t.State(1, "0-1");
  t.Saved(1, true);
  t.Crash(1);
  t.Restart(1);
  t.State(1, "0");  // whatever else made it drop the slot
  EXPECT_FALSE(t.Claim(1, 1));
}

}  // namespace
}  // namespace slotsim
