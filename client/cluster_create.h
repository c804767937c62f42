// The admin driver for `redis-cli --cluster create`: the same steps in the
// same order, as a fiber, through a ClusterClient.
#pragma once

#include <string>
#include <vector>

#include "client/cluster_client.h"

namespace slotsim {

struct CreateClusterPlan {
  std::vector<std::string> primaries;  // "host:port"
  // replicas[i] replicates primaries[i % primaries.size()] in redis-cli's
  // round-robin.
  std::vector<std::string> replicas;
  int64_t join_poll_ms = 1000;  // redis-cli sleeps 1 s between checks
  int join_polls_max = 120;
};

// The slot ranges redis-cli assigns to `n` primaries
// (clusterManagerCommandCreate): equal shares, rounding as it does.
std::vector<std::pair<int, int>> CreateSlotRanges(int n);

// Runs the plan from a fiber. Returns "" on success, else what failed.
std::string RunCreateCluster(Simulation& sim, ClusterClient& admin,
                             const CreateClusterPlan& plan);

}  // namespace slotsim
