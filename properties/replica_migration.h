// Property "orphaned-primary-adopted": Redis's replica migration
// (clusterHandleSlaveMigration) as a liveness promise. In a healthy,
// quiet cluster a primary that serves slots and once had a replica is not
// left without one for long while another primary has replicas to spare:
// at least two working ones, more than their cluster-migration-barrier.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/server.h"

namespace slotsim {

// The ground truth of `running` (members whose process runs and is not
// paused): "" if every member reports cluster_state:ok and no primary is
// adoptable, else what an adoptable orphan and its donor are. An orphan
// serves slots, has no running replica, and some member's view flags it
// as having had one (kNodeMigrateTo); a donor is a primary with at least
// two running replicas, more than the largest cluster-migration-barrier
// among them. Nothing is owed while any running member has
// cluster-allow-replica-migration off or reports cluster_state:fail, since
// Redis migrates only in an ok cluster.
std::string AdoptableOrphan(const std::vector<const Server*>& running);

// How long an adoptable orphan may last before the property fails: FAIL
// detection of its last replica (node timeout, then the reports' spread),
// CLUSTER_SLAVE_MIGRATION_DELAY, and the cron and gossip that follow.
int64_t OrphanAdoptionBoundMs(int64_t node_timeout_ms);

}  // namespace slotsim
