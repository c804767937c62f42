// Admin drivers for a running cluster, as fibers: what `redis-cli
// --cluster reshard | rebalance | add-node | del-node` do, step by step and
// with redis-cli's checks, plus the same moves done by atomic migration
// (CLUSTER MIGRATESLOTS) for comparison.
//
// Every driver returns "" on success or redis-cli's style of error
// ("[ERR] ..."), and stops at the first error as redis-cli does: a native
// migration interrupted half way leaves its slot open, which is the point
// of simulating it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "client/cluster_client.h"
#include "engine/cluster_node.h"
#include "sim/simulation.h"

namespace slotsim {

// One line of CLUSTER NODES.
struct NodeLine {
  std::string id;
  std::string addr;        // "ip:port"
  bool myself = false, primary = false, failed = false;
  std::string primary_id;  // for a replica
  SlotBitmap slots;
  int numslots = 0;
  int open_slots = 0;      // "[slot->-id]" / "[slot-<-id]" entries
};
// Parses CLUSTER NODES output; malformed lines are skipped.
std::vector<NodeLine> ParseClusterNodes(const std::string& text);

enum class MigrationMode { kNative, kAtomic };

struct AdminOptions {
  MigrationMode mode = MigrationMode::kNative;
  // Native: keys per GETKEYSINSLOT/MIGRATE round and MIGRATE's timeout
  // (redis-cli's --cluster-pipeline 10 and --cluster-timeout 60000).
  int pipeline = 10;
  int64_t timeout_ms = 60000;
  bool replace = false;  // --cluster-replace: retry BUSYKEY with REPLACE
  // Atomic: slots per MIGRATESLOTS batch, status poll period, and how
  // often an aborted batch is retried (the driver-level resume).
  int atomic_batch_slots = 16384;
  int64_t poll_ms = 50;
  int atomic_attempts = 10;
  int64_t atomic_retry_delay_ms = 2000;
  // add-node waits for the join like redis-cli: poll every second.
  int64_t join_poll_ms = 1000;
  int join_polls_max = 60;
  // rebalance: skip if every node is within this % of its share.
  double rebalance_threshold_pct = 2.0;
};

// Counters of what a driver did, for benchmarks and traces.
struct AdminStats {
  int64_t slots_moved = 0;
  int64_t keys_migrated = 0;       // native: keys MIGRATE moved
  int64_t migrate_calls = 0;       // native MIGRATE commands
  int64_t batches = 0;             // atomic MIGRATESLOTS jobs that succeeded
  int64_t atomic_failures = 0;     // atomic jobs that aborted
};

class ClusterAdmin {
 public:
  // `entry` is any node's "host:port" to read the topology from.
  ClusterAdmin(Simulation& sim, ClusterClient& client, std::string entry,
               AdminOptions options);

  // Moves `slots` from the primary at `from` to the one at `to`.
  std::string MoveSlots(const std::string& from, const std::string& to,
                        const std::vector<int>& slots);
  // redis-cli --cluster reshard --cluster-from <from> --cluster-to <to>
  // --cluster-slots <count>: the first `count` slots of `from`.
  std::string Reshard(const std::string& from, const std::string& to, int count);
  // redis-cli --cluster rebalance [--cluster-use-empty-masters]: equal
  // weights, moves from the most to the least loaded.
  std::string Rebalance(bool use_empty_masters);
  // redis-cli --cluster add-node <new> <existing> [--cluster-slave
  // --cluster-master-id <id>]: the new node MEETs the cluster (and then
  // replicates `primary_id` if not empty).
  std::string AddNode(const std::string& new_addr, const std::string& existing,
                      const std::string& primary_id);
  // redis-cli --cluster del-node: refuses a node that still has slots;
  // makes its replicas follow another primary, FORGETs it everywhere,
  // then `shutdown(addr)` (redis-cli sends SHUTDOWN).
  std::string DelNode(const std::string& addr,
                      const std::function<void(const std::string&)>& shutdown);

  const AdminStats& stats() const { return stats_; }

 private:
  // CLUSTER NODES from the entry node (or any node that answers).
  bool LoadNodes(std::vector<NodeLine>* nodes, std::string* err);
  RespValue Call(const std::string& addr, const std::vector<std::string>& argv);
  std::string MoveSlotNative(const NodeLine& src, const NodeLine& dst, int slot,
                             const std::vector<NodeLine>& nodes);
  std::string MigrateKeysInSlot(const NodeLine& src, const NodeLine& dst, int slot);
  std::string MoveSlotsAtomic(const NodeLine& src, const NodeLine& dst,
                              const std::vector<int>& slots);
  void Note(std::string_view what, std::string details);

  Simulation& sim_;
  ClusterClient& client_;
  std::string entry_;
  std::vector<std::string> known_addrs_;  // from the last CLUSTER NODES
  AdminOptions options_;
  AdminStats stats_;
};

}  // namespace slotsim
