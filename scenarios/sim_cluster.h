// A simulated cluster built from a scenario: the Simulation, one engine
// Server per node, the admin client, the workload and the process faults
// (crash, restart, pause, resume). The runner drives it; tests use it
// directly to reach the ground truth of every node.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/cluster_client.h"
#include "client/history.h"
#include "client/workload.h"
#include "engine/server.h"
#include "scenarios/scenario.pb.h"
#include "sim/simulation.h"

namespace slotsim {

// The engine's appendfsync policy for a scenario's setting.
AofFsync AofFsyncOf(const scenario::EngineSettings& engine);

// A cluster of `primaries` x (1 + `replicas`) nodes formed like
// `redis-cli --cluster create`, with `clients` clients doing 50/50 GET/SET
// at 100 op/s in total, running for an hour of simulated time: the base
// scenario of the HA tests and the failover benchmark.
scenario::Scenario MakeHaScenario(int primaries, int replicas, int64_t node_timeout_ms,
                                  int clients);

class SimCluster {
 public:
  // Builds the machines and starts every node; nothing runs until the
  // caller runs the simulation. `buggify` as in SimOptions.
  SimCluster(const scenario::Scenario& s, uint64_t seed, bool buggify,
             const std::vector<TraceSink*>& sinks,
             const std::vector<std::string>& injected_bugs = {});
  ~SimCluster();

  Simulation& sim() { return *sim_; }
  int node_count() const { return static_cast<int>(servers_.size()); }
  // The node's engine, or nullptr while it is crashed.
  Server* node(int i) { return servers_.at(i).get(); }
  const std::string& addr(int i) const { return addrs_.at(i); }
  const std::vector<std::string>& addrs() const { return addrs_; }
  // Index of the node whose cluster name is `name`, or -1.
  int IndexOf(const std::string& name) const;
  // Clusters of the member nodes that are up (spare nodes join with an
  // add_node step; a del_node step removes one).
  std::vector<const Cluster*> LiveClusters() const;
  std::vector<const Server*> LiveMembers() const;
  bool member(int i) const { return member_.at(i); }
  void set_member(int i, bool m) { member_.at(i) = m; }
  OpHistory& history() { return history_; }
  ClusterClient& admin() { return *admin_; }
  // A fresh admin client on its own machine: each admin step is its own
  // redis-cli process, so concurrent steps never share a connection.
  ClusterClient& NewAdminClient();
  // An admin client's wait for one reply: MIGRATE's 60 s and a margin.
  static constexpr int64_t kAdminRequestTimeoutMs = 70'000;

  // Starts the bootstrap driver (if the scenario asks for one) and the
  // workload fibers. `*bootstrap_error` is set when the driver finishes.
  void StartActors(std::string* bootstrap_error);
  // True once the bootstrap driver finished (at once if there is none).
  bool bootstrap_done() const { return bootstrap_done_; }
  // Bootstrap done, the live nodes converged (slots, roles, state ok), and
  // every live replica in sync: the state a test or benchmark starts a
  // fault from, since a never-synced replica cannot fail over.
  bool Settled() const;

  // Process faults. Crash loses the node's memory and unsynced disk data
  // (`torn_write`: Simulation::Crash's torn last append); Restart builds a
  // fresh engine over the same disk, and returns false if that engine
  // would not start (its disk holds a corrupt or unreadable file): the
  // process then exited, traced, and the node stays down.
  void Crash(int i, bool torn_write = false);
  // Crashes node i just before its n-th side effect from now (see
  // Simulation::ArmCrash); the engine is destroyed right after. `then`
  // runs at the crash, inside the dead node's handler: it may only
  // schedule work.
  void CrashAtSideEffect(int i, int64_t n, std::function<void()> then = {});
  bool Restart(int i);
  bool up(int i) const { return sim_->machine_up(i) && servers_.at(i) != nullptr; }
  void Pause(int i) { sim_->Pause(i); }
  void Resume(int i) { sim_->Resume(i); }

 private:
  EngineConfig ConfigFor(int i) const;

  scenario::Scenario scenario_;
  std::unique_ptr<Simulation> sim_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::string> addrs_;
  std::vector<bool> member_;
  OpHistory history_;
  std::unique_ptr<ClusterClient> admin_;
  std::vector<std::unique_ptr<ClusterClient>> step_admins_;
  std::unique_ptr<Workload> workload_;
  bool bootstrap_done_ = false;
};

}  // namespace slotsim
