// Redis 7.0's one persistence weakness in native resharding, as a class of
// allowed divergence: CLUSTER SETSLOT saves nodes.conf without fsync
// (clusterCommand's setslot ends in clusterDoBeforeSleep(
// CLUSTER_TODO_SAVE_CONFIG|CLUSTER_TODO_UPDATE_STATE), no
// CLUSTER_TODO_FSYNC_CONFIG), and so do other config changes. A power loss
// right after such a save brings the node back with the config it last
// fsynced: a slot still MIGRATING that SETSLOT NODE had closed, or its own
// slot set from before a SETSLOT NODE that gave it a slot without a new
// configEpoch (explore --profile all, seeds 6 and 45). Nothing in the
// protocol repairs either; an operator runs `redis-cli --cluster fix`.
//
// This class reads the trace and says, per node, which slots such a
// rollback explains, and nothing more:
//   - a node "rolled back" when it crashed with a nodes.conf save not yet
//     fsynced (a ConfigSaved fsync=0 after its last fsync=1) and its first
//     NodeState after the restart differs from its last before the crash;
//   - an open slot is explained while it has stayed open on that node
//     since the restart, having been closed before the crash;
//   - a slot the node claimed before the crash and not after it (or the
//     reverse) is explained while the node's claim stays as restored.
// The runner reports what it explains as a known weakness, not as a
// violation (runner.cc); every other open slot or disagreement still is.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "engine/cluster_node.h"
#include "sim/trace.h"

namespace slotsim {

class ConfigRollbacks : public TraceSink {
 public:
  // Reads NodeState, ConfigSaved, Crash and Restart records.
  void OnTrace(const TraceRecord& r) override;

  // Whether `machine` still has `slot` open only because a power loss
  // rolled its nodes.conf back; *why says which crash.
  bool ExplainsOpenSlot(int machine, int slot, std::string* why) const;
  // Whether `machine`'s claim of `slot` (or lack of one) is still the one
  // a power loss rolled back to; *why says which crash.
  bool ExplainsClaim(int machine, int slot, std::string* why) const;

 private:
  struct State {
    SlotBitmap slots;     // its own slots (a primary's), as last traced
    std::set<int> open;   // its open slots, as last traced
    bool seen = false;
  };
  struct Machine {
    State last;
    bool unsynced_save = false;      // a ConfigSaved fsync=0 since the last fsync=1
    bool crashed_unsynced = false;   // it crashed with one; awaiting its restart
    bool awaiting_restored = false;  // restarted; the next NodeState is from disk
    State before_crash;
    int64_t crash_ms = -1;
    // What the rollbacks explain, kept while it still holds.
    std::set<int> stale_open;
    SlotBitmap stale_claims;
    SlotBitmap restored_slots;  // its own slots as the last rollback left them
    int64_t rollback_crash_ms = -1;
  };
  static State Parse(const std::string& details);
  std::map<int, Machine> machines_;
};

}  // namespace slotsim
