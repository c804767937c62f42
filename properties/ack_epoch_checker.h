// A history check on acknowledged writes, against the ground truth of each
// node's role and configEpoch over time (its NodeState trace records):
//   "one-writer-per-slot-epoch": two different primaries never
//     acknowledge writes to the same slot while holding the same
//     configEpoch. configEpoch is what orders claims; two writers at one
//     epoch means the cluster cannot tell which history wins, and one
//     side's acknowledged writes are lost (two TAKEOVERs of one shard, an
//     election won twice, a collision left unresolved).
// A write counts for the node that answered it, with that node's state at
// the moment the client got the answer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/history.h"
#include "properties/violation.h"
#include "sim/trace.h"

namespace slotsim {

class AckEpochChecker : public TraceSink {
 public:
  void OnTrace(const TraceRecord& r) override;

  // Judges the acknowledged writes of `history`. `machine_by_addr` maps
  // an "ip:port" answer to the machine index of the NodeState records.
  std::vector<Violation> Check(const OpHistory& history,
                               const std::map<std::string, int>& machine_by_addr,
                               int64_t now_us) const;

 private:
  struct State {
    int64_t time_us = 0;
    int64_t seq = 0;
    bool primary = false;
    uint64_t config_epoch = 0;
  };
  std::map<int, std::vector<State>> states_;  // per machine, in time order
};

// True for the workload's writes (SET, INCR, HSET, DEL).
bool IsWriteCommand(const std::string& command);

}  // namespace slotsim
