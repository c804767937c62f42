// The single-thread cost model: what work costs the node's one thread, in
// virtual time (Env::ChargeCpu). Blocking work (serializing a big key,
// loading a RESTORE, freeing it) then shows up as latency for every other
// client, deterministically, as it does in Redis.
//
// The defaults are measured on real redis-server 7.0.15 (bench/README.md,
// "Cost model"): bench/redis_migrate_cost.py times DUMP, RESTORE and
// MIGRATE of 1, 10 and 100 MB strings and hashes with SLOWLOG and the
// server thread's CPU time, and redis-benchmark the plain commands.
// A scenario may set its own (EngineSettings.cost).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/env.h"

namespace slotsim {

struct CostModel {
  // Dispatch and reply of one unpipelined command, system calls included
  // (redis-benchmark SET/GET: 2.3-4.7 us of server CPU per command).
  int64_t command_ns = 3000;
  // Bytes read from or written to sockets, beyond the command (the server
  // CPU a DUMP or RESTORE spends outside SLOWLOG's timing: 150-700 ns/KiB).
  int64_t io_ns_per_kib = 400;
  // DUMP, MIGRATE, migration chunks: RDB encoding with its LZF attempt
  // (string DUMP: 4,400-5,000 ns/KiB at every size).
  int64_t serialize_ns_per_kib = 5000;
  // RESTORE, loading migrated data: checksum and copy (string RESTORE:
  // 1,060-1,110 ns/KiB from 10 MB up).
  int64_t load_ns_per_kib = 1100;
  // A collection costs more than its bytes: one encode, allocation and free
  // per field, and cache misses that grow with the key. Per hash field,
  // beyond the per-KiB prices (hash of 100-byte fields at 1 / 10 / 100 MB:
  // DUMP +120 / +390 / +620 ns, RESTORE +40 / +114 / +270 ns, and the
  // synchronous DEL MIGRATE ends with 60 / 211 / 340 ns per field).
  int64_t serialize_ns_per_element = 500;
  int64_t load_ns_per_element = 200;
  int64_t free_ns_per_element = 250;
  // One node's CLUSTER NODES line, which nodes.conf is made of
  // (clusterGenNodeDescription): a save or a CLUSTER NODES costs this per
  // known node, so a big cluster's config saves take real time, as they
  // do in Redis. bench/redis_scale.py times CLUSTER NODES on real
  // redis-server 7.0.15 with SLOWLOG: 29 us at 50 nodes, 86 us at 200,
  // i.e. 0.38 us per node on top of the command itself.
  int64_t node_line_ns = 400;
};

// Adds up the work of one node and charges it to its Env in whole
// microseconds (the remainder carries over, so many small costs add up).
class CpuMeter {
 public:
  CpuMeter(Env& env, const CostModel& model) : env_(env), model_(model) {}
  void Command() { Charge(model_.command_ns); }
  void Io(size_t bytes) { Charge(PerKib(model_.io_ns_per_kib, bytes)); }
  // `elements`: the fields of a collection (0 for a string).
  void Serialize(size_t bytes, size_t elements = 0) {
    Charge(PerKib(model_.serialize_ns_per_kib, bytes) +
           static_cast<int64_t>(elements) * model_.serialize_ns_per_element);
  }
  void Load(size_t bytes, size_t elements = 0) {
    Charge(PerKib(model_.load_ns_per_kib, bytes) +
           static_cast<int64_t>(elements) * model_.load_ns_per_element);
  }
  // Freeing a deleted collection synchronously (lazyfree-lazy-server-del
  // and lazyfree-lazy-user-del are off by default in 7.0).
  void Free(size_t elements) { Charge(static_cast<int64_t>(elements) * model_.free_ns_per_element); }
  void NodeLines(size_t lines) { Charge(static_cast<int64_t>(lines) * model_.node_line_ns); }
  // Everything charged so far, in ns.
  int64_t total_ns() const { return total_ns_; }

 private:
  static int64_t PerKib(int64_t ns_per_kib, size_t bytes) {
    return static_cast<int64_t>((static_cast<unsigned __int128>(bytes) *
                                 static_cast<uint64_t>(ns_per_kib)) / 1024);
  }
  void Charge(int64_t ns) {
    if (ns <= 0) return;
    total_ns_ += ns;
    carry_ns_ += ns;
    if (carry_ns_ >= 1000) {
      env_.ChargeCpu(carry_ns_ / 1000);
      carry_ns_ %= 1000;
    }
  }
  Env& env_;
  const CostModel& model_;
  int64_t carry_ns_ = 0;
  int64_t total_ns_ = 0;
};

}  // namespace slotsim
