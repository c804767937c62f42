// Same seed + same build = byte-identical trace; different seeds explore
// different runs. Checked over 20 seeds of the bootstrap scenario.
#include <gtest/gtest.h>

#include <set>

#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

struct Lines : TraceSink {
  std::vector<std::string> lines;
  void OnTrace(const TraceRecord& r) override { lines.push_back(CanonicalTraceLine(r)); }
};

TEST(Determinism, TwentySeedsReplayIdenticallyAndDiffer) {
  auto loaded = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/bootstrap.textproto");
  ASSERT_TRUE(loaded.ok) << loaded.error;
  auto sc = loaded.scenario;
  sc.set_duration_ms(20000);  // long enough to converge and serve traffic
  sc.mutable_workload()->set_end_ms(20000);
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Lines a, b;
    RunOptions o;
    o.seed = seed;
    o.sinks = {&a};
    RunResult r1 = RunScenario(sc, o);
    o.sinks = {&b};
    RunResult r2 = RunScenario(sc, o);
    ASSERT_EQ(r1.trace_hash, r2.trace_hash) << "seed " << seed;
    ASSERT_EQ(a.lines, b.lines) << "seed " << seed;
    EXPECT_GT(r1.events, 10000);
    hashes.insert(r1.trace_hash);
  }
  EXPECT_EQ(hashes.size(), 20u);
}

// The migration machinery (cost model, blocking reads, triggered faults,
// admin fibers, atomic jobs) replays identically too.
TEST(Determinism, MigrationWithFailoversReplaysIdentically) {
  for (const char* name : {"failover-during-atomic-migration",
                           "failover-during-native-migration-target"}) {
    auto loaded =
        LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/" + name + ".textproto");
    ASSERT_TRUE(loaded.ok) << loaded.error;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      Lines a, b;
      RunOptions o;
      o.seed = seed;
      o.sinks = {&a};
      RunResult r1 = RunScenario(loaded.scenario, o);
      o.sinks = {&b};
      RunResult r2 = RunScenario(loaded.scenario, o);
      ASSERT_EQ(r1.trace_hash, r2.trace_hash) << name << " seed " << seed;
      ASSERT_EQ(a.lines, b.lines) << name << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace slotsim
