// A workload generator: N client fibers issuing a seeded mix of string and
// hash operations at a target rate over a bounded key space.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/cluster_client.h"
#include "client/history.h"
#include "sim/simulation.h"

namespace slotsim {

struct OpMix {
  // Relative weights; zero disables an operation.
  int get = 40, set = 30, incr = 10, hset = 10, hget = 10, del = 0, hdel = 0;
  int total() const { return get + set + incr + hset + hget + del + hdel; }
};

struct WorkloadOptions {
  int clients = 4;
  double ops_per_sec = 200;   // across all clients
  int keyspace = 1000;        // keys key:0 .. key:N-1
  int value_bytes = 16;
  OpMix mix;
  // > 0: every acknowledged SET is followed by WAIT wait_replicas
  // wait_timeout_ms on the node that took it, and the answer recorded.
  int wait_replicas = 0;
  int64_t wait_timeout_ms = 1000;
  int64_t start_us = 0;       // first operation no earlier than this
  int64_t end_us = 0;         // no operation starts after this
  ClientOptions client;
};

class Workload {
 public:
  // Adds one simulated machine per client.
  Workload(Simulation& sim, WorkloadOptions options, OpHistory* history);
  // Spawns the client fibers.
  void Start();
  const WorkloadOptions& options() const { return options_; }

 private:
  void RunClient(int i);

  Simulation& sim_;
  WorkloadOptions options_;
  OpHistory* history_;
  std::vector<std::unique_ptr<ClusterClient>> clients_;
  std::vector<int> machines_;
};

}  // namespace slotsim
