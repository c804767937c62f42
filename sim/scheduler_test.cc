#include <gtest/gtest.h>

#include "sim/simulation.h"

namespace slotsim {
namespace {

// Fibers that interleave at every step; the order they reach each step is
// what the seeded scheduler decides.
std::string Interleaving(uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  Simulation sim(o);
  std::string order;
  for (int f = 0; f < 5; ++f) {
    sim.Spawn("f" + std::to_string(f), [&, f] {
      for (int step = 0; step < 10; ++step) {
        order += static_cast<char>('a' + f);
        boost::this_fiber::yield();
      }
    });
  }
  sim.RunUntil(0);
  return order;
}

TEST(FiberScheduler, SameSeedSameInterleaving) {
  for (uint64_t seed = 1; seed <= 20; ++seed)
    EXPECT_EQ(Interleaving(seed), Interleaving(seed)) << seed;
}

TEST(FiberScheduler, SeedsExploreDifferentInterleavings) {
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 20; ++seed) seen.insert(Interleaving(seed));
  EXPECT_GT(seen.size(), 10u);
  for (const auto& s : seen) EXPECT_EQ(s.size(), 50u);
}

TEST(Simulation, SleepAdvancesVirtualTimeOnly) {
  Simulation sim(SimOptions{});
  std::vector<int64_t> wakeups;
  sim.Spawn("sleeper", [&] {
    for (int i = 0; i < 3; ++i) {
      sim.SleepUs(1'000'000);
      wakeups.push_back(sim.now_us());
    }
  });
  sim.RunUntil(10'000'000);
  EXPECT_EQ(wakeups, (std::vector<int64_t>{1'000'000, 2'000'000, 3'000'000}));
  EXPECT_EQ(sim.now_us(), 10'000'000);
}

TEST(Simulation, ShutdownStopsBlockedFibers) {
  bool unwound = false;
  {
    Simulation sim(SimOptions{});
    sim.Spawn("forever", [&] {
      struct Guard {
        bool* flag;
        ~Guard() { *flag = true; }
      } g{&unwound};
      while (true) sim.SleepUs(1000);
    });
    sim.RunUntil(5000);
    EXPECT_FALSE(unwound);
  }
  EXPECT_TRUE(unwound);
}

TEST(Simulation, CrashDropsPendingTimers) {
  Simulation sim(SimOptions{});
  int m = sim.AddMachine("n0");
  int fired = 0;
  sim.env(m).AddTimer(10, "t", [&] { fired++; });
  sim.Crash(m);
  sim.RunUntil(1'000'000);
  EXPECT_EQ(fired, 0);
  sim.Restart(m);
  sim.env(m).AddTimer(10, "t", [&] { fired++; });
  sim.RunUntil(2'000'000);
  EXPECT_EQ(fired, 1);
}

TEST(Simulation, NamedStreamsAreIndependent) {
  // Drawing from one stream never shifts another.
  Prng a1 = Prng::Stream(7, "client/0");
  Prng b = Prng::Stream(7, "client/1");
  b.Next();
  Prng a2 = Prng::Stream(7, "client/0");
  EXPECT_EQ(a1.Next(), a2.Next());
  EXPECT_NE(Prng::Stream(7, "x").Next(), Prng::Stream(8, "x").Next());
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

TEST(Simulation, PausedMachineQueuesTimersInOrder) {
  Simulation sim(SimOptions{});
  int m = sim.AddMachine("n0");
  std::vector<std::pair<int, int64_t>> fired;
  for (int i = 0; i < 3; ++i)
    sim.env(m).AddTimer(10 * (i + 1), "t", [&, i] { fired.emplace_back(i, sim.now_us()); });
  sim.RunUntil(5'000);
  sim.Pause(m);
  sim.RunUntil(100'000);
  EXPECT_TRUE(fired.empty());
  sim.Resume(m);
  sim.RunUntil(100'000);
  ASSERT_EQ(fired.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fired[i].first, i);
    EXPECT_EQ(fired[i].second, 100'000);  // all ran at resume time
  }
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

TEST(TraceHash, EqualsTheHashOfTheCanonicalLine) {
  TraceRecord r;
  r.seq = 12;
  r.time_us = -5;
  r.node = 3;
  r.kind = "Send";
  r.peer = -1;
  r.msg_type = "PING";
  r.details = "conn=4 bytes=99";
  EXPECT_EQ(HashTraceRecord(r, 77), Fnv1a64(CanonicalTraceLine(r), 77));
  r.details.clear();
  r.msg_type.clear();
  EXPECT_EQ(HashTraceRecord(r, 77), Fnv1a64(CanonicalTraceLine(r), 77));
}

}  // namespace
}  // namespace slotsim
