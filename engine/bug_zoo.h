// The bug zoo: known classes of cluster bugs that the simulator can switch
// back on (`slotsim run --inject-bug NAME`) to show that the checkers catch
// them. Each switch is one `env.BugInjected(name)` test at the point where
// the correct engine does the right thing; real mode never injects.
#pragma once

#include <array>
#include <string_view>

namespace slotsim {

struct KnownBug {
  std::string_view name;
  std::string_view what;
};

inline constexpr std::array<KnownBug, 6> kKnownBugs = {{
    {"no-epoch-collision-resolution",
     "clusterHandleConfigEpochCollision does nothing: primaries may keep equal configEpochs"},
    {"failover-without-majority",
     "the quorum is half the primaries, not a majority: both sides of a split elect and serve"},
    {"setslot-node-without-bump",
     "SETSLOT NODE closing an import keeps the old configEpoch (redis #3442/#10346): the new "
     "owner claims the slot below the old owner's epoch"},
    {"getkeysinslot-leak",
     "CLUSTER GETKEYSINSLOT never frees its key array: a node that serves a migration leaks"},
    {"stale-election-after-demotion",
     "a replica demoted under a new primary keeps the election it won before (Redis 7.0.15's "
     "clusterSetMaster): it promotes itself again on the old votes, below the new primary's "
     "configEpoch"},
    {"config-rename-without-fsync",
     "an unsynced nodes.conf save renames its temp file without syncing it (Redis 7.0's "
     "clusterSaveConfig(0)): a later directory sync and a crash leave an empty nodes.conf"},
}};

// True if `name` is one of kKnownBugs.
constexpr bool IsKnownBug(std::string_view name) {
  for (const auto& b : kKnownBugs)
    if (b.name == name) return true;
  return false;
}

}  // namespace slotsim
