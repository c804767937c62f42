#include "properties/replica_migration.h"

#include <algorithm>
#include <map>

namespace slotsim {

std::string AdoptableOrphan(const std::vector<const Server*>& running) {
  // Running replicas per primary name, by each replica's own role.
  std::map<std::string, std::vector<const Server*>> replicas_of;
  for (const Server* s : running) {
    const Cluster& c = s->cluster();
    if (c.health() != ClusterHealth::kOk || !s->config().allow_replica_migration) return "";
    if (c.myself().IsReplica()) replicas_of[c.myself().primary_name].push_back(s);
  }
  const Server* donor = nullptr;
  for (const Server* s : running) {
    const ClusterNode& me = s->cluster().myself();
    if (!me.IsPrimary()) continue;
    auto it = replicas_of.find(me.name);
    if (it == replicas_of.end()) continue;
    int64_t barrier = 0;
    for (const Server* r : it->second) barrier = std::max(barrier, r->config().migration_barrier);
    const int64_t n = static_cast<int64_t>(it->second.size());
    if (n >= 2 && n > barrier) {
      donor = s;
      break;
    }
  }
  if (donor == nullptr) return "";
  for (const Server* s : running) {
    const ClusterNode& me = s->cluster().myself();
    if (!me.IsPrimary() || me.numslots == 0 || replicas_of.count(me.name)) continue;
    const bool had_replica = std::any_of(running.begin(), running.end(), [&](const Server* v) {
      const ClusterNode* seen = v->cluster().LookupNode(me.name);
      return seen != nullptr && (seen->flags & kNodeMigrateTo);
    });
    if (!had_replica) continue;
    return "primary " + me.name.substr(0, 8) + " serves " + std::to_string(me.numslots) +
           " slots with no replica while " + donor->cluster().myself().name.substr(0, 8) +
           " has " + std::to_string(replicas_of[donor->cluster().myself().name].size());
  }
  return "";
}

int64_t OrphanAdoptionBoundMs(int64_t node_timeout_ms) {
  constexpr int64_t kReplicaMigrationDelayMs = 5000;  // CLUSTER_SLAVE_MIGRATION_DELAY
  constexpr int64_t kMarginMs = 3000;                 // crons, gossip, the sync's start
  return 3 * node_timeout_ms + kReplicaMigrationDelayMs + kMarginMs;
}

}  // namespace slotsim
