// When Redis Cluster may lose an acknowledged write, decided from facts in
// the trace, write by write. Each acknowledged write W is found in the
// trace as the primary's Write record (its offset in the replication
// stream), and followed through every hand-off of its slot after it:
//   - failover: the promoted replica carries W only if it followed the
//     holder's history (replid) and had processed W's offset when it was
//     promoted (asynchronous replication: clusterHandleSlaveFailover
//     promotes whatever the replica has);
//   - crash and restart of the holder before anyone took over: W survives
//     only if it was fsynced (appendfsync always; or an AofSynced record
//     covering its offset before the crash; never without an AOF);
//   - migration: the target carries W from the moment it loaded the key
//     (its own Write record of the key), and the same rules apply there;
//     except that an atomic takeover by a target with one replica
//     attached waits until that replica has acknowledged END's offset, so
//     a failover to it cannot lose what the batch brought (this design's
//     promise, beyond Redis's asynchronous replication);
//   - a stale primary: W was acknowledged by a node that still claimed
//     the slot after another node had claimed it with a higher
//     configEpoch (a paused or cut-off primary that was replaced; it
//     acknowledges until it hears of its replacement). Such writes are
//     lost on rejoin. How long a node may stay in that state is bounded
//     by primary_windows.h, so this allowance is bounded too.
// A loss that no hand-off explains is a violation ("acked-writes-
// survive"), and the walk says why W should have survived.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/cluster_node.h"
#include "sim/trace.h"

namespace slotsim {

struct DurabilityPolicy {
  bool appendonly = false;
  bool fsync_always = false;  // appendfsync always: synced before the reply
};

// An acknowledged write, as the client saw it.
struct AckedWrite {
  int acker = -1;             // machine that answered OK
  std::string key;
  int slot = 0;
  uint64_t argv_digest = 0;   // ArgvDigest of the command sent
  int64_t invoke_us = 0;
  int64_t complete_us = 0;
};

class LossWindows : public TraceSink {
 public:
  explicit LossWindows(DurabilityPolicy policy) : policy_(policy) {}

  // Reads Write, ReplPromoted, ReplStarted, AofSynced, NodeState, Crash,
  // Restart, DiskDamaged, SlotMigrationFailed and SlotImportTakeover records. A malformed record of those kinds is a CHECK
  // failure: the engine wrote it.
  void OnTrace(const TraceRecord& r) override;

  // Why W may have been lost, naming the hand-off and its numbers
  // ("failover at 21659 ms: node6 had processed 14119 of node2's history,
  // the write is at 14230"); empty if no window allows it, and then
  // *why_not (if given) says what the walk found.
  std::string LossAllowed(const AckedWrite& w, std::string* why_not = nullptr) const;

 private:
  struct WriteEntry {
    int64_t seq, time_us;
    uint64_t digest;
    std::string replid;
    int64_t offset;
  };
  struct Claim {
    int64_t seq, time_us;
    int machine;
    bool primary;
    int64_t config_epoch;
    SlotBitmap slots;
  };
  struct Promotion {
    int64_t seq, time_us;
    int former;  // the primary it followed
    std::string replid, replid2;
    int64_t second_offset;
  };
  struct Marker {
    int64_t seq, time_us;
    std::string replid;  // AofSynced, ReplStarted
    int64_t offset = 0;  // AofSynced
  };
  struct Transition {
    int64_t seq, time_us;
    int owner;  // -1: nobody claims the slot
    int64_t epoch;
  };
  // The copy of W whose fate decides W's: where it lives and at which
  // offset of that node's stream.
  struct Copy {
    int machine;
    std::string replid;
    int64_t offset;
    int64_t seq;
  };

  std::vector<Transition> OwnerTimeline(int slot) const;
  // Who claims `slot` with a configEpoch above the acker's at `seq`; -1 if
  // nobody (the acker was not stale).
  std::pair<int, const Claim*> StaleAt(int acker, int slot, int64_t seq) const;
  // The outcome of one hand-off: true if the copy went on (updated).
  bool FollowCrash(Copy* copy, int64_t crash_seq, int64_t crash_us, int64_t next_transition_seq,
                   std::string* allowed, std::string* why_not) const;
  // The first load of `key` on a node that does not claim `slot` (a
  // migration target importing it), after the copy and before
  // `before_seq`, unless a failed atomic import rolled it back.
  std::optional<Copy> ImportedBefore(const Copy& copy, const std::string& key, int slot,
                                     int64_t before_seq) const;
  bool Claims(int machine, int slot, int64_t seq) const;
  bool FollowTransition(Copy* copy, const Transition& t, const std::string& key, int slot,
                        std::string* allowed, std::string* why_not) const;

  DurabilityPolicy policy_;
  std::map<std::pair<int, std::string>, std::vector<WriteEntry>> writes_;  // (machine, key)
  std::vector<Claim> claims_;  // on each change of a node's role, epoch or slots
  std::map<int, Claim> last_claim_;
  std::map<int, std::vector<Promotion>> promotions_;
  std::map<int, std::vector<Marker>> synced_, started_;
  std::map<int, std::vector<std::pair<int64_t, int64_t>>> crashes_, restarts_;  // (seq, time)
  std::map<int, std::vector<int64_t>> damaged_;  // DiskDamaged records' seqs
  // Atomic imports that failed (SlotMigrationFailed role=import): what the
  // target had loaded of their slots was provisional and is gone.
  struct ImportFailure {
    int64_t seq;
    SlotBitmap slots;
  };
  std::map<int, std::vector<ImportFailure>> import_failures_;
  // First takeovers of atomic imports (SlotImportTakeover), per target.
  struct AtomicTakeover {
    int64_t seq, time_us;
    SlotBitmap slots;
    int64_t end_offset;
    int64_t replicas;
  };
  std::map<int, std::vector<AtomicTakeover>> atomic_takeovers_;
  // The takeover by `machine` of `slot`, between `after_seq` and
  // `before_seq`, that promised its only replica held `offset`; or null.
  const AtomicTakeover* PromisedByTakeover(int machine, int slot, int64_t offset,
                                           int64_t after_seq, int64_t before_seq) const;
  // Whether `machine`'s load at `load_seq` of a key of `slot` was rolled
  // back by a failed atomic import before the machine claimed the slot.
  bool ImportRolledBack(int machine, int slot, int64_t load_seq) const;
  // Whether fsync marker `m` of the copy's node covers the copy's history:
  // the same replication id, or the id a promotion of that node continued
  // (PSYNC2 keeps the offsets) below the switch.
  bool SameHistory(const Copy& copy, const Marker& m) const;
};

}  // namespace slotsim
