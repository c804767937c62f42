// election-won-in-time on fabricated traces: a win within the election's
// lifetime passes, a win after it expired fails, a clock-faulted node is
// exempt.
#include "properties/election_timing.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

void Emit(ElectionTiming& c, int node, int64_t ms, const char* kind) {
  static int64_t seq = 0;
  TraceRecord r;
  r.seq = seq++;
  r.node = node;
  r.time_us = ms * 1000;
  r.kind = kind;
  c.OnTrace(r);
}

TEST(ElectionTiming, AWinWithinTheElectionsLifetimePasses) {
  ElectionTiming c(5000);
  Emit(c, 3, 10'000, "ElectionStarted");
  Emit(c, 3, 19'900, "ElectionWon");  // 9.9 s < 10 s
  EXPECT_TRUE(c.violations().empty());
}

TEST(ElectionTiming, AWinAfterTheElectionExpiredFails) {
  ElectionTiming c(2000);
  Emit(c, 3, 10'000, "ElectionStarted");
  Emit(c, 3, 15'000, "ElectionWon");  // expired after 4 s
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "election-won-in-time");
  EXPECT_NE(c.violations()[0].message.find("5000 ms later"), std::string::npos)
      << c.violations()[0].message;
}

TEST(ElectionTiming, AClockFaultedNodeIsExempt) {
  ElectionTiming c(2000);
  Emit(c, 3, 1'000, "ClockJump");
  Emit(c, 3, 10'000, "ElectionStarted");
  Emit(c, 3, 15'000, "ElectionWon");
  EXPECT_TRUE(c.violations().empty());
}

}  // namespace
}  // namespace slotsim
