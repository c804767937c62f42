// Liveness properties of a fault-free period, judged on the ground truth
// of every node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/history.h"
#include "engine/cluster.h"
#include "properties/violation.h"

namespace slotsim {

// True when every node reports cluster_state:ok; else *why names one that
// does not. Part of ClusterConverged, and cheap enough to poll often.
bool AllReportOk(const std::vector<const Cluster*>& nodes, std::string* why);

// Property "converged-in-time": true when every node reports
// cluster_state:ok, all of them name the same owner for every slot, and
// all agree on every node's role (what `redis-cli --cluster check` checks),
// and every slot's owner is one of `nodes` (the ones actually running:
// ground truth the nodes themselves may not have yet).
// Otherwise *why says what differs first.
bool ClusterConverged(const std::vector<const Cluster*>& nodes,
                      std::string* why);
// ClusterConverged's second part alone: every node agrees with every
// other on who replicates whom. Otherwise *why names the first pair.
bool RolesAgree(const std::vector<const Cluster*>& nodes, std::string* why);
// ClusterConverged's third part, in full: the slots that are unassigned
// on nodes[0], owned by a node not among `nodes`, or owned by another
// node on some node.
std::vector<int> UnsettledSlots(const std::vector<const Cluster*>& nodes);

// Property "ops-succeed-after-convergence": every client operation invoked
// at or after `since_us` got a non-error answer.
std::vector<Violation> CheckOpsSucceedAfter(const OpHistory& history,
                                            int64_t since_us,
                                            size_t violations_max = 10);

// How long, in total, some client operation was failing for want of the
// cluster: the union over operations of [first failed attempt, final
// answer] (transport errors, TRYAGAIN, CLUSTERDOWN; not redirects).
int64_t UnavailableUs(const OpHistory& history);

}  // namespace slotsim
