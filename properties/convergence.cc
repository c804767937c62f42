#include "properties/convergence.h"

#include <algorithm>
#include <cstdint>
#include <set>

namespace slotsim {

bool AllReportOk(const std::vector<const Cluster*>& nodes, std::string* why) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i]->health() != ClusterHealth::kOk) {
      *why = "node" + std::to_string(i) + " cluster_state:fail";
      return false;
    }
  }
  return true;
}

bool RolesAgree(const std::vector<const Cluster*>& nodes, std::string* why) {
  // Every node agrees with every other on who replicates whom (cheap, so
  // it goes before the slot map). Each node's table is walked beside the
  // live nodes, both in name order: O(N) per node, not N lookups.
  struct Role {
    const std::string* name;
    const std::string* primary_name;
    bool primary;
    size_t index;
  };
  std::vector<Role> truth;
  truth.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ClusterNode& self = nodes[i]->myself();
    truth.push_back({&self.name, &self.primary_name, self.IsPrimary(), i});
  }
  std::sort(truth.begin(), truth.end(),
            [](const Role& a, const Role& b) { return *a.name < *b.name; });
  // The message names the pair a lookup per (i, j), i outer, would have
  // found first: the lowest i any node has stale, then the lowest such j.
  constexpr size_t kNone = SIZE_MAX;
  size_t stale_i = kNone, stale_j = kNone;
  for (size_t j = 0; j < nodes.size(); ++j) {
    size_t lowest = kNone;  // the lowest index of a live node j has stale
    size_t next = 0;        // the first live node not yet matched
    auto stale = [&](const Role& r) {
      if (r.index != j) lowest = std::min(lowest, r.index);
    };
    nodes[j]->ForEachKnownNode([&](const ClusterNode& seen) {
      while (next < truth.size() && *truth[next].name < seen.name) stale(truth[next++]);
      if (next == truth.size() || *truth[next].name != seen.name) return;
      const Role& r = truth[next++];
      if (seen.primary_name != *r.primary_name || seen.IsPrimary() != r.primary) stale(r);
    });
    while (next < truth.size()) stale(truth[next++]);
    if (lowest < stale_i) {
      stale_i = lowest;
      stale_j = j;
    }
  }
  if (stale_i != kNone) {
    *why = "node" + std::to_string(stale_j) + " has a stale view of node" +
           std::to_string(stale_i) + "'s role";
    return false;
  }
  return true;
}

bool ClusterConverged(const std::vector<const Cluster*>& nodes,
                      std::string* why) {
  if (nodes.empty()) {
    *why = "no nodes";
    return false;
  }
  if (!AllReportOk(nodes, why)) return false;
  if (!RolesAgree(nodes, why)) return false;
  // Ground truth: only these nodes are running; a slot owned by any other
  // is not served, whatever the survivors still believe. Owners are
  // compared by name; runs of slots share an owner, so each node's last
  // (owner, name) pair is remembered and most slots cost a pointer compare.
  std::set<std::string> live;
  for (const Cluster* c : nodes) live.insert(c->myself().name);
  struct Last {
    const ClusterNode* node = nullptr;
    bool same_as_ref = false;
  };
  std::vector<Last> last(nodes.size());
  const ClusterNode* last_ref = nullptr;
  for (int s = 0; s < kClusterSlots; ++s) {
    const ClusterNode* ref = nodes[0]->SlotOwner(s);
    if (ref == nullptr) {
      *why = "slot " + std::to_string(s) + " unassigned on node0";
      return false;
    }
    if (ref != last_ref) {
      if (!live.count(ref->name)) {
        *why = "slot " + std::to_string(s) + " is owned by a node that is down";
        return false;
      }
      last_ref = ref;
      for (auto& l : last) l = Last{};  // to be compared with a new name
    }
    for (size_t i = 1; i < nodes.size(); ++i) {
      const ClusterNode* o = nodes[i]->SlotOwner(s);
      if (o != last[i].node) last[i] = {o, o != nullptr && o->name == ref->name};
      if (!last[i].same_as_ref) {
        *why = "slot " + std::to_string(s) + ": node0 and node" +
               std::to_string(i) + " disagree on the owner";
        return false;
      }
    }
  }
  why->clear();
  return true;
}

std::vector<int> UnsettledSlots(const std::vector<const Cluster*>& nodes) {
  std::vector<int> out;
  if (nodes.empty()) return out;
  std::set<std::string> live;
  for (const Cluster* c : nodes) live.insert(c->myself().name);
  for (int s = 0; s < kClusterSlots; ++s) {
    const ClusterNode* ref = nodes[0]->SlotOwner(s);
    bool unsettled = ref == nullptr || !live.count(ref->name);
    for (size_t i = 1; i < nodes.size() && !unsettled; ++i) {
      const ClusterNode* o = nodes[i]->SlotOwner(s);
      unsettled = o == nullptr || o->name != ref->name;
    }
    if (unsettled) out.push_back(s);
  }
  return out;
}

std::vector<Violation> CheckOpsSucceedAfter(const OpHistory& history,
                                            int64_t since_us,
                                            size_t violations_max) {
  std::vector<Violation> out;
  for (const OpRecord& op : history.ops()) {
    if (op.invoke_us < since_us) continue;
    // The first attempt counts: a retry that later succeeded still met an
    // unavailable cluster.
    const bool failed_first = !op.first_failure.empty();
    if (op.outcome == OpOutcome::kOk && !failed_first) continue;
    if (out.size() >= violations_max) break;
    out.push_back({"ops-succeed-after-convergence",
                   "client " + std::to_string(op.client) + " " + op.command + " " + op.key +
                       " -> " + OpOutcomeName(op.outcome) + ": " + op.reply +
                       (failed_first ? " (first attempt at " +
                                           std::to_string(op.first_failure_us / 1000) +
                                           " ms: " + op.first_failure + ")"
                                     : std::string()),
                   op.complete_us});
  }
  return out;
}

int64_t UnavailableUs(const OpHistory& history) {
  // The union of [first failed attempt, answer] over every operation
  // that met one: how long some client could not get through.
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const OpRecord& op : history.ops())
    if (!op.first_failure.empty()) spans.push_back({op.first_failure_us, op.complete_us});
  std::sort(spans.begin(), spans.end());
  int64_t total = 0, start = -1, end = -1;
  for (const auto& [a, b] : spans) {
    if (a > end) {
      total += end - start;
      start = a;
      end = b;
    } else {
      end = std::max(end, b);
    }
  }
  return total + (end - start);
}

}  // namespace slotsim
