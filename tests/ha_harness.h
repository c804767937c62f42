// Helpers for high-availability tests on a SimCluster.
#pragma once

#include <functional>
#include <string>

#include "properties/convergence.h"
#include "scenarios/sim_cluster.h"

namespace slotsim::testing {

// A cluster formed like redis-cli --cluster create, with a light workload.
inline scenario::Scenario HaScenario(int primaries, int replicas, int64_t node_timeout_ms,
                                     int clients = 2) {
  scenario::Scenario s;
  s.set_name("ha");
  s.mutable_topology()->set_primaries(primaries);
  s.mutable_topology()->set_replicas_per_primary(replicas);
  s.mutable_topology()->set_base_port(7000);
  s.mutable_engine()->set_node_timeout_ms(node_timeout_ms);
  s.mutable_engine()->set_require_full_coverage(true);
  s.mutable_engine()->set_allow_reads_when_down(false);
  s.mutable_network()->set_link_latency_min_us(50);
  s.mutable_network()->set_link_latency_max_us(400);
  s.mutable_network()->set_jitter_mean_us(30);
  auto* w = s.mutable_workload();
  w->set_clients(clients);
  w->set_ops_per_sec(100);
  w->set_keyspace(200);
  w->set_value_bytes(8);
  w->mutable_mix()->set_get(50);
  w->mutable_mix()->set_set(50);
  w->set_end_ms(10'000'000);
  s.set_duration_ms(10'000'000);
  return s;
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

// Converged, and every replica has completed its sync (a replica that
// never synced cannot fail over, as in Redis).
inline bool Converged(SimCluster& c) {
  std::string why;
  if (!c.bootstrap_done() || !ClusterConverged(c.LiveClusters(), &why)) return false;
  for (int i = 0; i < c.node_count(); ++i)
    if (c.up(i) && c.node(i)->cluster().myself().IsReplica() &&
        !c.node(i)->replication().link_up())
      return false;
  return true;
}

// True if every live node names node `owner` as the owner of `slot`.
inline bool AllSeeOwner(SimCluster& c, int slot, int owner) {
  if (!c.up(owner)) return false;
  const std::string& name = c.node(owner)->cluster().myself().name;
  for (int i = 0; i < c.node_count(); ++i) {
    if (!c.up(i)) continue;
    const ClusterNode* o = c.node(i)->cluster().SlotOwner(slot);
    if (o == nullptr || o->name != name) return false;
  }
  return true;
}

}  // namespace slotsim::testing
