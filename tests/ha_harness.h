// Helpers for high-availability tests on a SimCluster.
#pragma once

#include <functional>
#include <string>

#include "properties/convergence.h"
#include "scenarios/sim_cluster.h"

namespace slotsim::testing {

inline scenario::Scenario HaScenario(int primaries, int replicas, int64_t node_timeout_ms,
                                     int clients = 2) {
  return MakeHaScenario(primaries, replicas, node_timeout_ms, clients);
}

// Runs in 100 ms steps until `done` holds or `limit_us` passes. Returns
// the time it first held, or -1.
inline int64_t RunUntil(SimCluster& c, int64_t limit_us, const std::function<bool()>& done) {
  while (c.sim().now_us() < limit_us) {
    if (done()) return c.sim().now_us();
    c.sim().RunUntil(c.sim().now_us() + 100'000);
  }
  return done() ? c.sim().now_us() : -1;
}

inline bool Converged(SimCluster& c) { return c.Settled(); }

// Starts the bootstrap driver and the workload, then runs until the
// cluster settles (or 30 simulated seconds pass). False if it never does.
inline bool StartAndSettle(SimCluster& c) {
  std::string bootstrap_error;
  c.StartActors(&bootstrap_error);
  return RunUntil(c, 30'000'000, [&] { return c.Settled(); }) >= 0 &&
         bootstrap_error.empty();
}

// True if every live, running node names node `owner` as the owner of
// `slot` (a paused node's view is frozen, so it is not asked).
inline bool AllSeeOwner(SimCluster& c, int slot, int owner) {
  if (!c.up(owner)) return false;
  const std::string& name = c.node(owner)->cluster().myself().name;
  for (int i = 0; i < c.node_count(); ++i) {
    if (!c.up(i) || c.sim().machine_paused(i)) continue;
    const ClusterNode* o = c.node(i)->cluster().SlotOwner(slot);
    if (o == nullptr || o->name != name) return false;
  }
  return true;
}

}  // namespace slotsim::testing
