// "resources-released": after a quiet stretch at the end of a run, no node
// still holds what only a fault or a finished operation should have left:
//   - failure reports still valid about a node that is up and running
//     (reports expire 2 x node_timeout after the last PFAIL gossip, and a
//     healthy node is gossiped as PFAIL by nobody);
//   - a client blocked with nothing left to wake it (Server::StrandedClients);
//   - a cached MIGRATE socket idle past its TTL plus a cron period
//     (migrateCloseTimedoutSockets);
//   - a slot migration job that never finished.
// Connections to dead peers are not judged: the simulated network resets
// them when a machine crashes.
//
// Judged only when the run's last converged stretch is long enough for
// every such resource to have been released (quiet_us >= QuietNeededUs).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine/server.h"
#include "properties/violation.h"

namespace slotsim {

// How long a quiet stretch must last before the check means something.
int64_t QuietNeededUs(const EngineConfig& config);

// `live`: the members that are up; `running`: the names (node ids) of
// those not paused. `quiet_us`: how long the cluster has been converged.
std::vector<Violation> CheckResourcesReleased(const std::vector<const Server*>& live,
                                              const std::set<std::string>& running,
                                              int64_t quiet_us, int64_t now_us);

}  // namespace slotsim
