// The bug zoo: each known bug, switched back on, is caught by a checker,
// and the clean engine passes the same runs.
#include <gtest/gtest.h>

#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

std::set<std::string> ViolationIds(const std::string& name, uint64_t seed,
                                   std::vector<std::string> bugs) {
  auto loaded =
      LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/" + name + ".textproto");
  EXPECT_TRUE(loaded.ok) << loaded.error;
  RunOptions o;
  o.seed = seed;
  o.injected_bugs = std::move(bugs);
  std::set<std::string> ids;
  for (const auto& v : RunScenario(loaded.scenario, o).violations) ids.insert(v.id);
  return ids;
}

TEST(BugZoo, NoEpochCollisionResolutionLeavesEqualEpochs) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("epoch-collision", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("epoch-collision", seed, {"no-epoch-collision-resolution"})
                    .count("primary-config-epochs-distinct"));
  }
}

}  // namespace
}  // namespace slotsim
