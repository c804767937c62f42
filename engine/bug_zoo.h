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

inline constexpr std::array<KnownBug, 15> kKnownBugs = {{
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
     "an unsynced nodes.conf save renames its temp file without syncing it (Redis 7.2's "
     "clusterSaveConfig(0)): a later directory sync and a crash leave an empty nodes.conf"},
    {"minority-keeps-cluster-ok",
     "clusterUpdateState never counts the reachable primaries: a primary cut off in a minority "
     "stays cluster_state:ok and acknowledges writes until it hears of its replacement"},
    {"replica-serves-reads-without-readonly",
     "a replica serves reads of its primary's slots to any client, not only READONLY ones: a "
     "client whose slot map is stale reads old values from a lagging replica"},
    {"fsync-error-ignored",
     "a failed fsync of the AOF counts as a good one (PostgreSQL's fsyncgate): appendfsync "
     "always acknowledges writes the disk never made durable, everysec claims them synced"},
    {"fsync-error-not-retried",
     "Redis 7.0.15's everysec: a failed background fsync is not retried until a later write, "
     "but -MISCONF refuses every client write meanwhile, so the node never takes writes again"},
    {"unreadable-nodes-conf-first-start",
     "a nodes.conf that exists but cannot be read is taken for a first start: the node comes "
     "back as a stranger with a new identity and currentEpoch 0"},
    {"aof-everysec-timer-not-rearmed",
     "the appendfsync everysec timer fsyncs once and is never armed again: a crash loses every "
     "write since the node's first second, not just the last second or two"},
    {"migrate-sockets-never-closed",
     "the server cron never closes idle cached MIGRATE sockets (migrateCloseTimedoutSockets "
     "dropped): every target a node ever migrated to keeps a connection open"},
    {"replica-clients-kept-on-demotion",
     "a primary demoted to a replica closes its replicas' connections but never frees their "
     "clients (disconnectSlaves without freeClient): every demotion leaks a client per replica"},
    {"no-replica-migration",
     "clusterHandleSlaveMigration never moves a replica: a primary whose replicas all failed "
     "stays without one while others have replicas to spare"},
}};

// An array sized larger than its list would hold a nameless switch.
constexpr bool AllBugsNamed() {
  for (const auto& b : kKnownBugs)
    if (b.name.empty() || b.what.empty()) return false;
  return true;
}
static_assert(AllBugsNamed(), "kKnownBugs has an empty entry: fix its size");

// True if `name` is one of kKnownBugs.
constexpr bool IsKnownBug(std::string_view name) {
  for (const auto& b : kKnownBugs)
    if (b.name == name) return true;
  return false;
}

}  // namespace slotsim
