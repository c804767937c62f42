// The resource checkers, judged at the end of a run on the live nodes.
//
// "resources-released":
//   - at any time: no node keeps state for a connection that is closed
//     (a client, a replica, a bus link, a cached MIGRATE socket, a slot
//     migration stream). The simulated network is the ground truth: it
//     forgets a connection when its close reaches the node (or the node
//     closes it), and delivers that close in the same event as OnClosed, so
//     a connection the node still holds and the network no longer knows was
//     forgotten by the engine: a leak, typically of a connection to a peer
//     that died (its machine's crash resets every connection to it);
//   - after a quiet stretch (quiet_us >= QuietNeededUs):
//     - failure reports still valid about a node that is up and running
//       (reports expire 2 x node_timeout after the last PFAIL gossip, and
//       a healthy node is gossiped as PFAIL by nobody);
//     - a client blocked with nothing left to wake it (Server::StrandedClients);
//     - a cached MIGRATE socket idle past its TTL plus a cron period
//       (migrateCloseTimedoutSockets);
//     - a slot migration job that never finished.
//
// "no-memory-leak", on the node's MemoryAccount (engine/memory.h):
//   - at any time: no temporary allocation is alive (a command frees what it
//     allocates for itself before it returns), and the replication backlog
//     holds at most twice repl_backlog_bytes (the kept part and the skipped
//     part that is erased in bulk);
//   - after a quiet stretch: nothing in flight is still charged: no MIGRATE
//     key list, no atomic migration chunk awaiting its reply, no reply held
//     for an fsync, no cached MIGRATE socket.
// Paused nodes are not judged: their events wait for them.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/server.h"
#include "properties/violation.h"

namespace slotsim {

// How long a quiet stretch must last before the check means something.
int64_t QuietNeededUs(const EngineConfig& config);

// Whether the network still knows connection `conn` of `node`.
using ConnectionOpenFn = std::function<bool(const Server& node, ConnId conn)>;

// `live`: the members that are up; `running`: the names (node ids) of
// those not paused. `quiet_us`: how long the cluster has been converged
// (negative: never).
std::vector<Violation> CheckResourcesReleased(const std::vector<const Server*>& live,
                                              const std::set<std::string>& running,
                                              const ConnectionOpenFn& connection_open,
                                              int64_t quiet_us, int64_t now_us);
std::vector<Violation> CheckNoMemoryLeak(const std::vector<const Server*>& live,
                                         const std::set<std::string>& running, int64_t quiet_us,
                                         int64_t now_us);

}  // namespace slotsim
