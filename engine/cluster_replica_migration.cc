// Replica migration (cluster.c clusterHandleSlaveMigration, Redis 7.0.15):
// a replica of a primary with spare replicas moves to a primary left with
// none, so that one more failure does not cost a shard its slots.
#include "engine/cluster.h"

namespace slotsim {
namespace {

// CLUSTER_SLAVE_MIGRATION_DELAY: how long a primary must stay orphaned
// before a replica migrates to it, so that after a failover the promoted
// node's own former siblings have time to announce that they follow it.
constexpr int64_t kReplicaMigrationDelayMs = 5000;

}  // namespace

int Cluster::CountNonFailingReplicas(const ClusterNode& primary) {
  int ok = 0;
  for (const std::string& name : primary.replica_names)
    if (const ClusterNode* r = Lookup(name); r != nullptr && !r->Failed()) ok++;
  return ok;
}

void Cluster::HandleReplicaMigration(int max_replicas) {
  if (state_ != ClusterHealth::kOk) return;
  if (!myself_->IsReplica()) return;
  ClusterNode* my_primary = Lookup(myself_->primary_name);
  if (my_primary == nullptr) return;
  // My primary must keep more than the barrier's worth of replicas that
  // are neither FAIL nor PFAIL, counting me.
  int ok_mine = 0;
  for (const std::string& name : my_primary->replica_names)
    if (const ClusterNode* r = Lookup(name); r != nullptr && !r->Failed() && !r->TimedOut())
      ok_mine++;
  if (ok_mine <= config_.migration_barrier) return;

  // The first orphaned primary with slots is the target; the candidate is
  // the smallest-named replica of the primaries with max_replicas working
  // ones (myself if none is smaller). Every replica computes the same
  // candidate from the same view, so usually one migrates; two may when
  // views differ, which Redis accepts as rare and harmless.
  const int64_t now = env_.NowMs();
  ClusterNode* target = nullptr;
  const ClusterNode* candidate = myself_;
  for (ClusterNode* node : NodesInOrder()) {
    int ok = 0;
    bool orphaned = node->IsPrimary() && !node->Failed() && (node->flags & kNodeMigrateTo);
    if (node->IsPrimary()) ok = CountNonFailingReplicas(*node);
    if (ok > 0) orphaned = false;
    if (orphaned) {
      if (target == nullptr && node->numslots > 0) target = node;
      if (node->orphaned_time_ms == 0) node->orphaned_time_ms = now;
    } else {
      node->orphaned_time_ms = 0;
    }
    if (ok == max_replicas)
      for (const std::string& name : node->replica_names)
        if (name < candidate->name)
          if (const ClusterNode* r = Lookup(name)) candidate = r;
  }
  if (target == nullptr || candidate != myself_ ||
      now - target->orphaned_time_ms <= kReplicaMigrationDelayMs)
    return;
  if (env_.BugInjected("no-replica-migration")) return;
  env_.HitProbe(Probe::kReplicaMigrated);
  TraceNodeEvent("ReplicaMigration", *target);
  SetMyPrimary(target);
}

}  // namespace slotsim
