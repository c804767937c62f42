#include "properties/loss_windows.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TraceRecord State(int node, int64_t ms, bool primary, const std::string& slots) {
  TraceRecord r;
  r.node = node;
  r.time_us = ms * 1000;
  r.kind = "NodeState";
  r.details = std::string("role=") + (primary ? "primary" : "replica") +
              " current_epoch=1 config_epoch=1 slots=" + slots;
  return r;
}

TraceRecord Event(int node, int64_t ms, const std::string& kind) {
  TraceRecord r;
  r.node = node;
  r.time_us = ms * 1000;
  r.kind = kind;
  return r;
}

TEST(LossWindows, NoFaultNoWindow) {
  LossWindows w(false);
  w.OnTrace(State(0, 0, true, "0-100"));
  w.OnTrace(State(1, 0, false, ""));
  EXPECT_EQ(w.LossAllowed(0, 50, 5'000'000), "");
}

TEST(LossWindows, DemotionAfterTheAckOpensAWindowBeforeItDoesNot) {
  LossWindows w(true);
  w.OnTrace(State(0, 0, true, "0-100"));
  w.OnTrace(State(0, 10'000, false, ""));  // failed over at 10 s
  EXPECT_NE(w.LossAllowed(0, 50, 9'000'000), "");
  EXPECT_EQ(w.LossAllowed(0, 50, 11'000'000), "");
  // A write acknowledged by the new owner after the hand-off.
  w.OnTrace(State(1, 10'000, true, "0-100"));
  EXPECT_EQ(w.LossAllowed(1, 50, 11'000'000), "");
}

TEST(LossWindows, LaterHolderOfTheSlotCounts) {
  LossWindows w(true);
  w.OnTrace(State(0, 0, true, "0-100"));
  w.OnTrace(State(1, 0, true, "101-200"));
  // Slot 50 migrates to node 1 at 5 s; node 1 is failed over at 8 s.
  w.OnTrace(State(0, 5'000, true, "0-49,51-100"));
  w.OnTrace(State(1, 5'000, true, "50,101-200"));
  w.OnTrace(State(1, 8'000, false, ""));
  EXPECT_NE(w.LossAllowed(0, 50, 1'000'000), "");  // acked by 0, lost on 1
  EXPECT_EQ(w.LossAllowed(0, 60, 1'000'000), "");  // slot 60 never moved
}

TEST(LossWindows, CrashNeedsANonDurableRestartOrNoRestart) {
  LossWindows durable(true), lossy(false);
  for (LossWindows* w : {&durable, &lossy}) {
    w->OnTrace(State(0, 0, true, "0-100"));
    w->OnTrace(Event(0, 5'000, "Crash"));
    w->OnTrace(Event(0, 6'000, "Restart"));
  }
  EXPECT_EQ(durable.LossAllowed(0, 1, 4'000'000), "");
  EXPECT_NE(lossy.LossAllowed(0, 1, 4'000'000), "");
  EXPECT_EQ(lossy.LossAllowed(0, 1, 7'000'000), "");  // acked after the restart
  LossWindows gone(true);
  gone.OnTrace(State(0, 0, true, "0-100"));
  gone.OnTrace(Event(0, 5'000, "Crash"));
  EXPECT_NE(gone.LossAllowed(0, 1, 4'000'000), "");
}

}  // namespace
}  // namespace slotsim
