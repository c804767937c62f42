// Failover in the middle of a slot migration, over several seeds: the
// native design loses its open-slot state (redis #6339) and the checkers
// name it; atomic migration aborts cleanly and the admin driver completes
// the move after the failover.
#include <gtest/gtest.h>

#include <set>

#include "properties/election_checker.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

// Collects what the admin drivers and fault triggers report.
struct AdminLog : TraceSink {
  std::vector<std::string> admin_steps;
  int triggered = 0;
  void OnTrace(const TraceRecord& r) override {
    if (r.kind == "AdminStep" && r.details.rfind("step=migrate", 0) == 0)
      admin_steps.push_back(r.details);
    if (r.kind == "StepTriggered") triggered++;
  }
};

struct Outcome {
  std::set<std::string> violations;
  std::vector<std::string> messages;
  AdminLog log;
  std::string outcome;
};

Outcome RunLibraryScenario(const std::string& name, uint64_t seed) {
  auto loaded = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/" + name +
                                 ".textproto");
  EXPECT_TRUE(loaded.error.empty()) << loaded.error;
  Outcome o;
  RunOptions opt;
  opt.seed = seed;
  opt.sinks.push_back(&o.log);
  RunResult r = RunScenario(loaded.scenario, opt);
  for (const auto& v : r.violations) {
    o.violations.insert(v.id);
    o.messages.push_back(v.id + ": " + v.message);
  }
  o.outcome = r.outcome;
  return o;
}

constexpr uint64_t kSeeds = 4;

TEST(MigrationFailover, NativeSourceFailoverLeavesTheSlotOpenAndKeysStranded) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Outcome o = RunLibraryScenario("failover-during-native-migration-source", seed);
    EXPECT_EQ(o.log.triggered, 1) << "the crash did not land mid-migration";
    ASSERT_EQ(o.log.admin_steps.size(), 1u);
    EXPECT_NE(o.log.admin_steps[0].find("ok=0"), std::string::npos)
        << "redis-cli's reshard should stop at the error";
    EXPECT_TRUE(o.violations.count("no-open-slots"));
    // The keys MIGRATE moved sit on the target, which does not own the
    // slot: every client is sent elsewhere.
    EXPECT_TRUE(o.violations.count("no-stray-keys"));
    // And the target, still importing from the dead source, never sees its
    // slot change hands: it reports the cluster down (faithful to
    // clusterUpdateSlotsConfigWith's importing-slot rule).
    EXPECT_TRUE(o.violations.count("converged-in-time"));
  }
}

TEST(MigrationFailover, NativeTargetFailoverLeavesAskRedirectsToNowhere) {
  int seeds_with_stuck_clients = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Outcome o = RunLibraryScenario("failover-during-native-migration-target", seed);
    EXPECT_EQ(o.log.triggered, 1);
    // The source still sends ASK to the old target, which now replicates
    // a primary that knows nothing of the slot.
    bool source_migrating = false;
    for (const auto& m : o.messages)
      source_migrating |= m.rfind("no-open-slots", 0) == 0 && m.find("MIGRATING to") != std::string::npos;
    EXPECT_TRUE(source_migrating);
    EXPECT_TRUE(o.violations.count("no-stray-keys"));
    // Whether a client touches the stranded keys after convergence depends
    // on the workload's draw; most seeds show it.
    seeds_with_stuck_clients += o.violations.count("ops-succeed-after-convergence") ? 1 : 0;
  }
  EXPECT_GE(seeds_with_stuck_clients, 1) << "no client ever met the ASK to nowhere";
}

TEST(MigrationFailover, AtomicMigrationAbortsCleanlyAndCompletesAfterFailover) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Outcome o = RunLibraryScenario("failover-during-atomic-migration", seed);
    EXPECT_EQ(o.log.triggered, 2) << "a crash did not land mid-migration";
    EXPECT_EQ(o.outcome, "pass");
    EXPECT_TRUE(o.violations.empty()) << *o.violations.begin();
    ASSERT_EQ(o.log.admin_steps.size(), 2u);
    for (const auto& s : o.log.admin_steps)
      EXPECT_NE(s.find("slots_moved=1000 ok=1"), std::string::npos) << s;
  }
}

// Without faults, both designs move 1000 slots under load and lose
// nothing: acked-writes-survive, no-stray-keys and no-open-slots all hold.
TEST(MigrationUnderLoad, BothModesLoseNothingAndLeaveNothingBehind) {
  for (const char* name : {"native-migration-under-load", "atomic-migration-under-load"}) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      SCOPED_TRACE(std::string(name) + " seed " + std::to_string(seed));
      Outcome o = RunLibraryScenario(name, seed);
      EXPECT_EQ(o.outcome, "pass");
      EXPECT_TRUE(o.violations.empty()) << *o.violations.begin();
      ASSERT_EQ(o.log.admin_steps.size(), 1u);
      EXPECT_NE(o.log.admin_steps[0].find("slots_moved=1000 ok=1"), std::string::npos)
          << o.log.admin_steps[0];
    }
  }
}

// The seed outage / redis #2969, pinned as a found bug of the faithful
// engine: see scenarios/simultaneous-import-and-export.textproto.
TEST(SimultaneousImportExport, NativeEndsWithDivergentSlotMapsAtomicDoesNot) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Outcome native = RunLibraryScenario("simultaneous-import-and-export", seed);
    EXPECT_EQ(native.violations.count("converged-in-time"), 1u)
        << "has the epoch race changed?";
    Outcome atomic = RunLibraryScenario("simultaneous-import-and-export-atomic", seed);
    EXPECT_EQ(atomic.outcome, "pass");
    EXPECT_TRUE(atomic.violations.empty()) << *atomic.violations.begin();
    ASSERT_EQ(atomic.log.admin_steps.size(), 2u);
    for (const auto& s : atomic.log.admin_steps)
      EXPECT_NE(s.find("slots_moved=500 ok=1"), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace slotsim
