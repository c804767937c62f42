#include "properties/convergence.h"

#include <set>

namespace slotsim {

bool ClusterConverged(const std::vector<const Cluster*>& nodes,
                      std::string* why) {
  if (nodes.empty()) {
    *why = "no nodes";
    return false;
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i]->health() != ClusterHealth::kOk) {
      *why = "node" + std::to_string(i) + " cluster_state:fail";
      return false;
    }
  }
  // Ground truth: only these nodes are running; a slot owned by any other
  // is not served, whatever the survivors still believe.
  std::set<std::string> live;
  for (const Cluster* c : nodes) live.insert(c->myself().name);
  for (int s = 0; s < kClusterSlots; ++s) {
    const ClusterNode* ref = nodes[0]->SlotOwner(s);
    if (ref == nullptr) {
      *why = "slot " + std::to_string(s) + " unassigned on node0";
      return false;
    }
    if (!live.count(ref->name)) {
      *why = "slot " + std::to_string(s) + " is owned by a node that is down";
      return false;
    }
    for (size_t i = 1; i < nodes.size(); ++i) {
      const ClusterNode* o = nodes[i]->SlotOwner(s);
      if (o == nullptr || o->name != ref->name) {
        *why = "slot " + std::to_string(s) + ": node0 and node" +
               std::to_string(i) + " disagree on the owner";
        return false;
      }
    }
  }
  // Every node agrees with every other on who replicates whom.
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ClusterNode& self = nodes[i]->myself();
    for (size_t j = 0; j < nodes.size(); ++j) {
      if (i == j) continue;
      const ClusterNode* seen = nodes[j]->LookupNode(self.name);
      if (seen == nullptr || seen->primary_name != self.primary_name ||
          seen->IsPrimary() != self.IsPrimary()) {
        *why = "node" + std::to_string(j) + " has a stale view of node" + std::to_string(i) +
               "'s role";
        return false;
      }
    }
  }
  why->clear();
  return true;
}

std::vector<Violation> CheckOpsSucceedAfter(const OpHistory& history,
                                            int64_t since_us,
                                            size_t violations_max) {
  std::vector<Violation> out;
  for (const OpRecord& op : history.ops()) {
    if (op.invoke_us < since_us || op.outcome == OpOutcome::kOk) continue;
    if (out.size() >= violations_max) break;
    out.push_back({"ops-succeed-after-convergence",
                   "client " + std::to_string(op.client) + " " + op.command +
                       " " + op.key + " -> " + OpOutcomeName(op.outcome) +
                       ": " + op.reply,
                   op.complete_us});
  }
  return out;
}

}  // namespace slotsim
