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
// Both replicas of primary 0 crash while the other primaries keep two
// each: the clean engine moves one over after the migration delay; the
// bug leaves primary 0 orphaned to the end.
// The same after a failover: the promoted replica, without a replica of
// its own, is an orphan too (MIGRATE_TO from its promotion).
TEST(BugZoo, NoReplicaMigrationLeavesAnOrphan) {
  for (const char* name : {"replica-migration-adopts-orphan", "replica-migration-after-failover"}) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      SCOPED_TRACE(std::string(name) + " seed " + std::to_string(seed));
      EXPECT_TRUE(ViolationIds(name, seed, {}).empty());
      EXPECT_TRUE(ViolationIds(name, seed, {"no-replica-migration"}).count("orphaned-primary-adopted"));
    }
  }
}

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

// SETSLOT NODE without the bump: moving slots from node 2 (configEpoch 3)
// to node 0 (configEpoch 1) leaves node 0 claiming them at epoch 1, below
// the old owner's claim. Redis 7.0.12+'s owner_not_claiming_slot hides it
// from the slot maps (the old owner stops claiming), so the online
// ownership checker is what catches it.
TEST(BugZoo, SetSlotNodeWithoutBumpMovesOwnershipDown) {
  scenario::Scenario s = Library("native-migration-under-load");
  auto* mv = s.mutable_steps(0)->mutable_migrate();
  mv->set_from(2);
  mv->set_to(0);
  mv->set_slots("10923-11100");
  EXPECT_TRUE(ViolationIds(s, 1, {}).empty());
  const auto ids = ViolationIds(s, 1, {"setslot-node-without-bump"});
  EXPECT_TRUE(ids.count("ownership-moves-to-higher-epoch"));
  EXPECT_FALSE(ids.count("converged-in-time"));  // masked, as in Redis 7.0.12+
}

// Redis 7.0's unsynced config save: the rename of an unsynced temp file
// becomes durable with the AOF rewrite's directory sync, and the crash
// that follows leaves an empty nodes.conf. The scenario pins a seed on
// which the race happens (see its comment).
TEST(BugZoo, ConfigRenameWithoutFsyncEmptiesNodesConf) {
  scenario::Scenario s = Library("unsynced-config-save-before-crash");
  ASSERT_EQ(s.pinned_seeds_size(), 1);
  const uint64_t seed = s.pinned_seeds(0);
  EXPECT_TRUE(ViolationIds(s, seed, {}).empty());
  EXPECT_TRUE(ViolationIds(s, seed, {"config-rename-without-fsync"})
                  .count("current-epoch-monotonic"));
}

// Redis 7.0.15's clusterSetMaster keeps a won election: the replica
// promotes itself again on old votes below the new owner's epoch. The
// scenario (explore's ownership-race-seed-107, shrunk) pins a seed on
// which the race happens.
TEST(BugZoo, StaleElectionAfterDemotionClaimsBelowTheOwner) {
  scenario::Scenario s = Library("stale-election-after-demotion");
  ASSERT_EQ(s.pinned_seeds_size(), 1);
  const uint64_t seed = s.pinned_seeds(0);
  EXPECT_TRUE(ViolationIds(s, seed, {}).empty());
  EXPECT_TRUE(ViolationIds(s, seed, {"stale-election-after-demotion"})
                  .count("ownership-moves-to-higher-epoch"));
}

// clusterUpdateState without its quorum test: the primary cut off in the
// minority keeps cluster_state:ok (and takes writes) past every bound.
TEST(BugZoo, MinorityKeepsClusterOkServesPastTheBound) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("partition-minority-primary", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("partition-minority-primary", seed, {"minority-keeps-cluster-ok"})
                    .count("minority-primary-stops-writes"));
  }
}

// An everysec timer that is never armed again: the engine's own AofSynced
// markers stay truthful (so the loss accounting forgives every loss), and
// only the disk's account of what a crash dropped shows the bug.
TEST(BugZoo, AofEverysecTimerNotRearmedLosesMoreThanTwoSeconds) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("rolling-restart", seed, {}).empty());
    auto ids = ViolationIds("rolling-restart", seed, {"aof-everysec-timer-not-rearmed"});
    EXPECT_TRUE(ids.count("aof-fsync-policy-kept"));
    EXPECT_FALSE(ids.count("acked-writes-survive")) << "the loss accounting trusts the markers";
  }
}

// A replica that serves any client's reads: scale-in demotes an emptied
// primary to a replica whose clients still read from it.
TEST(BugZoo, ReplicaServingReadsWithoutReadonlyReadsStale) {
  EXPECT_TRUE(ViolationIds("scale-in", 1, {}).empty());
  EXPECT_TRUE(ViolationIds("scale-in", 1, {"replica-serves-reads-without-readonly"})
                  .count("reads-not-stale"));
}

// A cron that never closes idle MIGRATE sockets: once the cluster has been
// quiet long enough, resources-released finds the cached sockets.
TEST(BugZoo, MigrateSocketsNeverClosedOutliveTheirTtl) {
  scenario::Scenario s = Library("native-migration-under-load");
  s.set_duration_ms(s.duration_ms() + 20'000);  // a quiet stretch past the TTL
  EXPECT_TRUE(ViolationIds(s, 1, {}).empty());
  EXPECT_TRUE(ViolationIds(s, 1, {"migrate-sockets-never-closed"}).count("resources-released"));
}

// A demoted primary that closes its replicas' connections but keeps their
// clients: the network no longer knows the connections the node still
// holds, at any time, quiet or not. (Seeds where the old primary still has
// its replica's connection when it learns of the promotion; in the others
// the promoted replica's close reaches it first, and nothing leaks.)
TEST(BugZoo, ReplicaClientsKeptOnDemotionHoldClosedConnections) {
  for (uint64_t seed : {12, 14}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("pause-primary-longer-than-node-timeout", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("pause-primary-longer-than-node-timeout", seed,
                             {"replica-clients-kept-on-demotion"})
                    .count("resources-released"));
  }
}

// fsyncgate: the clean engine exits at the first failed fsync under
// appendfsync always (the crash step then finds it down); the switch
// acknowledges writes the disk never made durable, and the power loss
// takes them.
TEST(BugZoo, FsyncErrorIgnoredLosesAcknowledgedWrites) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("fsyncgate-loses-acked-writes", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("fsyncgate-loses-acked-writes", seed, {"fsync-error-ignored"})
                    .count("acked-writes-survive"));
  }
}

// Redis 7.0.15's everysec fsync error: not retried until a later write,
// which -MISCONF refuses, so the node never takes writes again.
TEST(BugZoo, FsyncErrorNotRetriedRefusesWritesForGood) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("aof-fsync-error-everysec-recovers", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("aof-fsync-error-everysec-recovers", seed, {"fsync-error-not-retried"})
                    .count("writes-resume-after-disk-recovers"));
  }
}

// An unreadable nodes.conf taken for a first start: the node comes back
// as a stranger.
TEST(BugZoo, UnreadableNodesConfFirstStartChangesIdentity) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(ViolationIds("unreadable-nodes-conf-refuses-start", seed, {}).empty());
    EXPECT_TRUE(ViolationIds("unreadable-nodes-conf-refuses-start", seed,
                             {"unreadable-nodes-conf-first-start"})
                    .count("node-identity-kept"));
  }
}

}  // namespace
}  // namespace slotsim
