#include "scenarios/loader.h"

#include <gtest/gtest.h>

#ifndef SLOTSIM_SOURCE_DIR
#error "SLOTSIM_SOURCE_DIR must be defined"
#endif

namespace slotsim {
namespace {

const char* kMinimal = R"(name: "t"
topology { primaries: 3 }
duration_ms: 1000
)";

TEST(Loader, AppliesDefaults) {
  auto r = ParseScenario("t.textproto", kMinimal);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.scenario.topology().base_port(), 7000);
  EXPECT_EQ(r.scenario.engine().node_timeout_ms(), 15000);
  EXPECT_TRUE(r.scenario.engine().require_full_coverage());
  EXPECT_EQ(r.scenario.workload().end_ms(), 1000);
  EXPECT_EQ(r.scenario.workload().mix().get(), 40);
}

TEST(Loader, SyntaxErrorHasLineAndColumn) {
  auto r = ParseScenario("bad.textproto", "name: \"t\"\ntopology { primaries: }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("bad.textproto:2:", 0), 0u) << r.error;
}

TEST(Loader, UnknownFieldIsNamed) {
  auto r = ParseScenario("x.textproto", "name: \"t\"\n  primaries: 3\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("x.textproto:2:3:", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("primaries"), std::string::npos) << r.error;
}

TEST(Loader, RangeErrorPointsAtTheField) {
  auto r = ParseScenario("r.textproto",
                         "name: \"t\"\ntopology {\n  primaries: 0\n}\nduration_ms: 10\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "r.textproto:3:3: primaries must be in [1, 500], got 0");
}

// Redis Cluster is specified for up to 1000 nodes: so are scenarios.
TEST(Loader, AtMostAThousandNodes) {
  auto ok = ParseScenario("k.textproto", "name: \"k\"\ntopology { primaries: 500 replicas_per_primary: 1 }\n"
                                         "duration_ms: 1000\nconvergence_bound_ms: 1000\n");
  EXPECT_TRUE(ok.ok) << ok.error;
  auto big = ParseScenario("k.textproto", "name: \"k\"\ntopology { primaries: 500 replicas_per_primary: 2 }\n"
                                          "duration_ms: 1000\nconvergence_bound_ms: 1000\n");
  EXPECT_FALSE(big.ok);
  EXPECT_NE(big.error.find("1500 nodes"), std::string::npos) << big.error;
  EXPECT_NE(big.error.find("at most 1000"), std::string::npos) << big.error;
}

TEST(Loader, NestedRangeErrorInEngine) {
  auto r = ParseScenario(
      "e.textproto",
      "name: \"t\"\ntopology { primaries: 1 }\nduration_ms: 10\nengine { node_timeout_ms: 5 }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("e.textproto:4:10:", 0), 0u) << r.error;
}

TEST(Loader, MissingRequiredParts) {
  EXPECT_NE(ParseScenario("m", "duration_ms: 5").error.find("name is required"),
            std::string::npos);
  EXPECT_NE(ParseScenario("m", "name: \"a\" duration_ms: 5").error.find("topology is required"),
            std::string::npos);
}

TEST(Loader, MissingFile) {
  auto r = LoadScenarioFile("/nonexistent/nope.textproto");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/nonexistent/nope.textproto:1:1: cannot read file");
}

TEST(Loader, ShippedScenariosLoad) {
  auto r = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) +
                            "/scenarios/bootstrap.textproto");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.scenario.topology().primaries(), 3);
  EXPECT_EQ(r.scenario.duration_ms(), 60000);
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

const char* kBase = "name: \"f\"\ntopology { primaries: 3 replicas_per_primary: 1 }\nduration_ms: 60000\n";

TEST(LoaderSteps, AcceptsAConsistentFaultSchedule) {
  auto r = ParseScenario("f.textproto", std::string(kBase) +
                                            "steps { at_ms: 1000 crash: 0 }\n"
                                            "steps { at_ms: 2000 restart: 0 }\n"
                                            "steps { at_ms: 3000 partition { side_a: [1] side_b: [2, 3] } }\n"
                                            "steps { at_ms: 4000 heal: true }\n"
                                            "phases { liveness_from_ms: 4000 }\n");
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(LoaderSteps, RejectsImpossibleSequencesWithTheirLocation) {
  auto r = ParseScenario("f.textproto", std::string(kBase) +
                                            "steps { at_ms: 1000 restart: 0 }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "f.textproto:4:1: restart node 0 at 1000 ms, but it is up");
  r = ParseScenario("f.textproto", std::string(kBase) + "steps { at_ms: 1000 crash: 9 }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "f.textproto:4:1: crash names node 9; nodes are 0..5");
  r = ParseScenario("f.textproto", std::string(kBase) +
                                       "steps { at_ms: 1 partition { side_a: [1] side_b: [1] } }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("on both sides"), std::string::npos);
}

TEST(LoaderSteps, NoNewFaultsInTheLivenessPhase) {
  auto r = ParseScenario("f.textproto", std::string(kBase) +
                                            "steps { at_ms: 5000 pause: 2 }\n"
                                            "phases { liveness_from_ms: 4000 }\n");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("falls in the liveness phase"), std::string::npos) << r.error;
}

TEST(LoaderSteps, AdminStepsAreValidated) {
  auto bad = [](const std::string& steps) {
    auto r = ParseScenario("f.textproto", std::string(kBase) + steps);
    EXPECT_FALSE(r.ok) << steps;
    return r.error;
  };
  EXPECT_EQ(bad("steps { at_ms: 1 migrate { from: 0 to: 0 count: 5 } }\n"),
            "f.textproto:4:1: migrate from and to the same node 0");
  EXPECT_EQ(bad("steps { at_ms: 1 migrate { from: 0 to: 1 } }\n"),
            "f.textproto:4:1: migrate needs either slots (\"0-99,200\") or a positive count");
  EXPECT_EQ(bad("steps { at_ms: 1 migrate { from: 0 to: 1 slots: \"5-2\" } }\n"),
            "f.textproto:4:1: bad slots \"5-2\": want ranges like \"0-99,200\" within 0-16383");
  EXPECT_NE(bad("steps { at_ms: 1 migrate { from: 0 to: 1 slots: \"16384\" } }\n").find("bad slots"),
            std::string::npos);
  EXPECT_EQ(bad("steps { at_ms: 1 add_node { node: 2 } }\n"),
            "f.textproto:4:1: add_node names node 2, which is already a member; there are no "
            "spare nodes (topology.spare_nodes)");
  EXPECT_EQ(bad("steps { at_ms: 1 del_node: 7 }\n"),
            "f.textproto:4:1: del_node names node 7; nodes are 0..5");
  const std::string big_keys_error =
      "f.textproto:4:1: big_keys needs slot 0..16383, keys 1..1000, fields 1..10000000, "
      "field_bytes 1..1000000, and at most 4 GB in all";
  EXPECT_EQ(bad("steps { at_ms: 1 big_keys { slot: 16384 fields: 10 } }\n"), big_keys_error);
  EXPECT_EQ(bad("steps { at_ms: 1 big_keys { slot: 1 } }\n"), big_keys_error);  // no fields
  EXPECT_EQ(bad("steps { at_ms: 1 big_keys { slot: 1 keys: 1000 fields: 10000000 } }\n"),
            big_keys_error);  // 1000 x 10M fields x 100 bytes
  auto bk = ParseScenario("f.textproto", std::string(kBase) +
                                             "steps { at_ms: 1 big_keys { slot: 7 fields: 10 } }\n");
  ASSERT_TRUE(bk.ok) << bk.error;
  EXPECT_EQ(bk.scenario.steps(0).big_keys().keys(), 1);           // default
  EXPECT_EQ(bk.scenario.steps(0).big_keys().field_bytes(), 100);  // default
  auto ok = ParseScenario("f.textproto",
                          "name: \"f\"\ntopology { primaries: 3 spare_nodes: 1 }\n"
                          "duration_ms: 60000\n"
                          "steps { at_ms: 1 add_node { node: 3 } }\n"
                          "steps { at_ms: 2 migrate { from: 0 to: 3 slots: \"0-9,20\" mode: ATOMIC } }\n"
                          "steps { at_ms: 3 during_migration: true crash: 1 }\n");
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ParseSlotList("0-9,20").size(), 11u);
  EXPECT_TRUE(ParseSlotList("1,,2").empty());
  EXPECT_TRUE(ParseSlotList("x").empty());
}

TEST(LoaderSteps, NetworkClockAndDiskFaults) {
  auto ok = ParseScenario("f.textproto", std::string(kBase) +
                                             "steps { at_ms: 1 partition { side_a: [0] side_b: [1] one_way: true } }\n"
                                             "steps { at_ms: 2 clog { side_a: [2] side_b: [3, 4] extra_ms: 100 } }\n"
                                             "steps { at_ms: 3 reset { side_a: [0] side_b: [5] } }\n"
                                             "steps { at_ms: 4 clock_jump { node: 1 delta_ms: -60000 } }\n"
                                             "steps { at_ms: 5 slow_fsync { node: 2 latency_ms: 200 } }\n"
                                             "steps { at_ms: 6 heal: true }\n"
                                             "steps { at_ms: 7 slow_fsync { node: 2 latency_ms: 0 } }\n"
                                             "phases { liveness_from_ms: 7 }\n");
  EXPECT_TRUE(ok.ok) << ok.error;
  auto bad = [](const std::string& steps) {
    auto r = ParseScenario("f.textproto", std::string(kBase) + steps);
    EXPECT_FALSE(r.ok) << steps;
    return r.error;
  };
  EXPECT_EQ(bad("steps { at_ms: 1 clog { side_a: [0] side_b: [1] } }\n"),
            "f.textproto:4:1: clog extra_ms must be in 1..3600000");
  EXPECT_EQ(bad("steps { at_ms: 1 reset { side_a: [0] side_b: [0] } }\n"),
            "f.textproto:4:1: reset puts node 0 on both sides");
  EXPECT_EQ(bad("steps { at_ms: 1 clock_jump { node: 1 } }\n"),
            "f.textproto:4:1: clock_jump delta_ms must be non-zero and within a year");
  EXPECT_EQ(bad("steps { at_ms: 1 clock_drift { node: 1 ppm: 1000000 } }\n"),
            "f.textproto:4:1: clock_drift ppm must be within -999999..999999");
  EXPECT_EQ(bad("steps { at_ms: 1 slow_fsync { node: 9 latency_ms: 5 } }\n"),
            "f.textproto:4:1: slow_fsync names node 9; nodes are 0..5");
  // A clock jump is a fault: not in the liveness phase.
  EXPECT_NE(bad("steps { at_ms: 5000 clock_jump { node: 1 delta_ms: 5 } }\n"
                "phases { liveness_from_ms: 4000 }\n")
                .find("falls in the liveness phase"),
            std::string::npos);
}

TEST(LoaderSteps, DiskFaultsAreValidated) {
  auto ok = ParseScenario("f.textproto",
                          std::string(kBase) +
                              "steps { at_ms: 1 disk_fault { node: 0 kind: FSYNC_ERROR duration_ms: 500 once: true } }\n"
                              "steps { at_ms: 2 restart: 0 }\n"  // it may have exited
                              "steps { at_ms: 3 disk_fault { node: 1 kind: DISK_FULL duration_ms: 500 free_bytes: 10 } }\n"
                              "steps { at_ms: 4 crash_torn_write: 2 }\n"
                              "steps { at_ms: 5 damage_file { node: 2 file: \"appendonly.aof\" how: TRUNCATE } }\n"
                              "steps { at_ms: 6 restart: 2 }\n");
  EXPECT_TRUE(ok.ok) << ok.error;
  auto bad = [](const std::string& steps) {
    auto r = ParseScenario("f.textproto", std::string(kBase) + steps);
    EXPECT_FALSE(r.ok) << steps;
    return r.error;
  };
  EXPECT_EQ(bad("steps { at_ms: 1 disk_fault { node: 0 kind: WRITE_ERROR } }\n"),
            "f.textproto:4:1: disk_fault duration_ms must be in 1..3600000");
  EXPECT_EQ(bad("steps { at_ms: 1 disk_fault { node: 0 kind: DISK_FULL duration_ms: 5 once: true } }\n"),
            "f.textproto:4:1: disk_fault once applies to WRITE_ERROR and FSYNC_ERROR only");
  EXPECT_EQ(bad("steps { at_ms: 1 disk_fault { node: 0 kind: READ_ERROR duration_ms: 5 free_bytes: 3 } }\n"),
            "f.textproto:4:1: disk_fault free_bytes applies to DISK_FULL only");
  EXPECT_EQ(bad("steps { at_ms: 1 damage_file { node: 0 file: \"nodes.conf\" } }\n"),
            "f.textproto:4:1: damage_file node 0 at 1 ms, but it is up");
  EXPECT_EQ(bad("steps { at_ms: 1 crash: 0 }\nsteps { at_ms: 2 damage_file { node: 0 file: \"x\" } }\n"),
            "f.textproto:5:1: damage_file file must be \"nodes.conf\" or \"appendonly.aof\"");
  EXPECT_EQ(bad("steps { at_ms: 1 restart: 0 }\n"), "f.textproto:4:1: restart node 0 at 1 ms, but it is up");
  // Disk faults are faults: not in the liveness phase.
  EXPECT_NE(bad("steps { at_ms: 5000 disk_fault { node: 1 kind: READ_ERROR duration_ms: 5 } }\n"
                "phases { liveness_from_ms: 4000 }\n")
                .find("falls in the liveness phase"),
            std::string::npos);
}

TEST(LoaderSteps, EveryShippedScenarioLoads) {
  for (const char* name : {"bootstrap", "bootstrap-15-nodes", "single-primary",
                           "primary-crash-failover", "pause-primary-longer-than-node-timeout",
                           "partition-minority-primary", "manual-failover-under-load",
                           "crash-primary-without-replica", "rolling-restart",
                           "crash-restart-voter", "two-node-split-brain",
                           "native-migration-under-load", "atomic-migration-under-load",
                           "failover-during-native-migration-source",
                           "failover-during-native-migration-target",
                           "failover-during-atomic-migration", "simultaneous-import-and-export",
                           "simultaneous-import-and-export-atomic", "scale-out-under-load",
                           "scale-in", "clock-jump", "partition-heal-reconverge",
                           "epoch-collision"}) {
    auto r = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/" + name + ".textproto");
    EXPECT_TRUE(r.ok) << r.error;
  }
}

TEST(LoaderSteps, AfterProbeTriggers) {
  auto r = ParseScenario("f.textproto", std::string(kBase) +
                                            "steps { at_ms: 1000 crash: 1 after_probe { probe: "
                                            "\"vote-granted\" } undo_after_ms: 2000 }\n"
                                            "steps { at_ms: 1500 crash: 1 }\n");
  ASSERT_TRUE(r.ok) << r.error;  // the triggered crash undoes itself: node 1 is up again
  EXPECT_EQ(r.scenario.steps(0).after_probe().side_effect(), 1);
  EXPECT_EQ(r.scenario.steps(0).after_probe().within_ms(), 10000);
  auto bad = [](const std::string& steps) {
    auto parsed = ParseScenario("f.textproto", std::string(kBase) + steps);
    EXPECT_FALSE(parsed.ok) << steps;
    return parsed.error;
  };
  EXPECT_EQ(bad("steps { at_ms: 1 crash: 1 after_probe { probe: \"nope\" } }\n")
                .rfind("f.textproto:4:1: unknown probe \"nope\"", 0),
            0u);
  EXPECT_NE(bad("steps { at_ms: 1 partition { side_a: [0] side_b: [1] } after_probe { probe: "
                "\"update-sent\" } }\n")
                .find("needs a crash or pause"),
            std::string::npos);
  EXPECT_NE(bad("steps { at_ms: 1 crash: 1 during_migration: true after_probe { probe: "
                "\"update-sent\" } }\n")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(bad("steps { at_ms: 1 crash: 1 migration_moment: ATOMIC_HANDOFF }\n")
                .find("needs during_migration"),
            std::string::npos);
  EXPECT_NE(bad("steps { at_ms: 1 crash: 1 undo_after_ms: 100 }\n").find("needs a triggered"),
            std::string::npos);
  EXPECT_NE(bad("steps { at_ms: 1000 crash: 1 after_probe { probe: \"update-sent\" within_ms: "
                "5000 } }\nphases { liveness_from_ms: 4000 }\n")
                .find("in the liveness phase"),
            std::string::npos);
  EXPECT_NE(bad("steps { at_ms: 1 crash: 1 after_probe { probe: \"update-sent\" side_effect: -1 "
                "} }\n")
                .find("side_effect"),
            std::string::npos);
}

TEST(LoaderSteps, AtomicHandoffMomentLoads) {
  auto r = ParseScenario("f.textproto", std::string(kBase) +
                                            "steps { at_ms: 1000 pause: 0 during_migration: true "
                                            "migration_moment: ATOMIC_HANDOFF undo_after_ms: 500 }\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.scenario.steps(0).migration_moment(), scenario::ATOMIC_HANDOFF);
}

}  // namespace
}  // namespace slotsim
