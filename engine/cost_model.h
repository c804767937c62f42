// The single-thread cost model: what work costs the node's one thread, in
// virtual time (Env::ChargeCpu). Blocking work (serializing a big key,
// loading a RESTORE) then shows up as latency for every other client,
// deterministically, as it does in Redis.
//
// The defaults are round figures for one current server core: a few
// microseconds per command, memory-speed copies for socket I/O, about
// 1 GB/s to serialize and 0.5 GB/s to load a value. They are settings
// (EngineSettings.cost in a scenario), not measurements.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/env.h"

namespace slotsim {

struct CostModel {
  int64_t command_ns = 2000;            // dispatch and reply of one command
  int64_t io_ns_per_kib = 250;          // bytes read from or written to sockets
  int64_t serialize_ns_per_kib = 1000;  // DUMP, MIGRATE, migration chunks
  int64_t load_ns_per_kib = 2000;       // RESTORE, loading migrated data
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
  void Serialize(size_t bytes) { Charge(PerKib(model_.serialize_ns_per_kib, bytes)); }
  void Load(size_t bytes) { Charge(PerKib(model_.load_ns_per_kib, bytes)); }
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
