// The bug zoo: each known bug, switched back on, is caught by a checker,
// and the clean engine passes the same runs.
#include <gtest/gtest.h>

#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

scenario::Scenario Library(const std::string& name) {
  auto loaded =
      LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/" + name + ".textproto");
  EXPECT_TRUE(loaded.ok) << loaded.error;
  return loaded.scenario;
}

std::set<std::string> ViolationIds(const scenario::Scenario& s, uint64_t seed,
                                   std::vector<std::string> bugs) {
  RunOptions o;
  o.seed = seed;
  o.injected_bugs = std::move(bugs);
  std::set<std::string> ids;
  for (const auto& v : RunScenario(s, o).violations) ids.insert(v.id);
  return ids;
}

std::set<std::string> ViolationIds(const std::string& name, uint64_t seed,
                                   std::vector<std::string> bugs) {
  return ViolationIds(Library(name), seed, std::move(bugs));
}

TEST(BugZoo, NoEpochCollisionResolutionLeavesEqualEpochs) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("epoch-collision", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("epoch-collision", seed, {"no-epoch-collision-resolution"})
                    .count("primary-config-epochs-distinct"));
  }
}

// The off-by-one quorum: the two-node split-brain (seeds/002), cut so that
// each primary is alone with the other's replica. Each half has one of two
// primaries, which the bug counts as a majority: both replicas win an
// election with one vote, and the clean engine elects nobody.
TEST(BugZoo, FailoverWithoutMajorityWinsASplitBrainElection) {
  scenario::Scenario s = Library("two-node-split-brain");
  auto* cut = s.mutable_steps(0)->mutable_partition();
  ASSERT_EQ(cut->side_a_size(), 2);
  cut->set_side_a(1, 3);
  cut->set_side_b(1, 2);
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds(s, seed, {}).empty());
    EXPECT_TRUE(ViolationIds(s, seed, {"failover-without-majority"})
                    .count("election-won-by-majority"));
  }
}

// A native migration calls GETKEYSINSLOT for every batch of keys; with the
// leak each call's key array stays charged to the source.
TEST(BugZoo, GetKeysInSlotLeakShowsAsHeldBytes) {
  EXPECT_TRUE(ViolationIds("native-migration-under-load", 1, {}).empty());
  EXPECT_TRUE(ViolationIds("native-migration-under-load", 1, {"getkeysinslot-leak"})
                  .count("no-memory-leak"));
  // Atomic migration never calls GETKEYSINSLOT.
  EXPECT_TRUE(ViolationIds("atomic-migration-under-load", 1, {"getkeysinslot-leak"}).empty());
}

}  // namespace
}  // namespace slotsim
