// A fault plan: what `slotsim explore` randomizes for one seed (topology,
// engine knobs, workload, slot migrations and a fault schedule) and how
// it becomes an ordinary scenario file. The RapidCheck generator makes
// every part shrinkable, so a failing plan can be cut down to the faults
// that matter.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <rapidcheck.h>

#include "scenarios/scenario.pb.h"

namespace slotsim {

// Exploration time layout (simulated): the cluster forms and warms up,
// migrations run one at a time in a quiet maintenance window (native
// migration under faults breaks by design, see the failover-during-
// native-migration scenarios), then the fault window, then the liveness
// phase with every fault undone.
inline constexpr int64_t kPlanFirstMigrationMs = 8000;  // after a 15-node bootstrap
inline constexpr int64_t kPlanMigrationSlotMs = 8000;  // one migration each
inline constexpr int64_t kPlanFaultWindowMs = 20000;
inline constexpr int64_t kPlanFaultGridMs = 250;  // faults start on this grid
inline constexpr int kPlanMaxFaults = 8;
inline constexpr int kPlanMaxMigrations = 2;
inline constexpr int kPlanMaxAimed = 2;
// The least time an after_probe fault waits for its probe, after the
// pause that provokes it.
inline constexpr int64_t kPlanAimWithinMs = 3000;

struct PlannedMigration {
  int from = 0, to = 1;  // primary indexes
  int count = 1;         // slots: the first `count` of `from`
  bool atomic = false;
};

struct PlannedFault {
  enum class Kind {
    kPartition,
    kCrash,
    kPause,
    kClog,
    kClockJump,
    kSlowFsync,
    kFailover,
    kReset,
    kClockDrift,
    // The "disk" profile's (PlanProfile::disk_faults):
    // amount: 0 EIO on writes, 1 EIO on fsyncs, 2 ENOSPC, 3 EIO on reads
    // across a crash and restart (the restart meets an unreadable disk).
    kDiskFault,
    kTornCrash,  // a crash whose last unsynced append survives torn
  };
  Kind kind = Kind::kPartition;
  int64_t start_ms = 0;     // offset into the fault window, on the grid
  int64_t duration_ms = 0;  // until the undo step (clamped to the window)
  int node = 0;             // crash, pause, clock, fsync, failover
  std::vector<int> side_a, side_b;  // partition, clog, reset
  bool one_way = false;
  int64_t amount = 0;  // clog extra_ms, jump delta_ms, fsync latency_ms, drift ppm
  int failover_mode = 0;  // scenario::ManualFailover::Mode
  bool once = false;      // kDiskFault: only the window's first call fails
  bool power_loss = false;  // kDiskFault EIO: the node also loses power mid-fault
  int64_t free_bytes = 0;  // kDiskFault ENOSPC: room left
};

// A fault aimed where protocols break, at a moment rather than a time
// (issue 15 item 9): random timing rarely lands between a vote granted
// and its save, on two primaries in one millisecond, or inside an atomic
// hand-off.
struct AimedFault {
  enum class Kind {
    // Crash (pause) `node` right after it hits kAimedProbes[probe], at its
    // side_effect-th side effect; undone duration_ms after it landed. The
    // path is provoked: primary `cause` is paused for cause_ms (past
    // 2 x node_timeout), so that its replica runs an election (votes
    // granted, PFAIL to FAIL) and it comes back stale (UPDATEs sent and
    // applied); a plan that draws it has at least 3 primaries with a
    // replica each.
    kAfterProbe,
    // `count` primaries from `node` on (mod primaries) crash (pause) in
    // one millisecond, for duration_ms: elections that may share an epoch.
    kPrimariesAtOnce,
    // The source (node 0) or target (node 1) of planned migration
    // `migration` crashes (pauses) while its atomic hand-off is in
    // flight; undone duration_ms after, within node_timeout.
    kHandoffRestart,
  };
  Kind kind = Kind::kAfterProbe;
  int64_t start_ms = 0;  // offset into the fault window (not kHandoffRestart)
  int64_t duration_ms = 0;
  int node = 0;
  bool pause = false;  // pause instead of crash (always, without crashes)
  int probe = 0;       // kAfterProbe: index into kAimedProbes
  int side_effect = 1;
  int cause = 0;         // kAfterProbe: the primary paused (mod primaries)
  int64_t cause_ms = 0;  // kAfterProbe: for how long
  int count = 2;       // kPrimariesAtOnce
  int migration = 0;   // kHandoffRestart
};

// The probes kAfterProbe aims at: where a crash right after the path
// leaves half-done work (a vote granted, not yet saved; an UPDATE or a
// collision bump decided, not yet sent or saved).
inline constexpr std::string_view kAimedProbes[] = {
    "vote-granted",    "update-sent",          "update-applied",
    "epoch-collision-resolved", "pfail-to-fail", "psync-partial-accepted",
    "dirty-slot-keys-deleted",  "election-retry", "takeover-epoch-bump",
};

struct Plan {
  int primaries = 3;
  int replicas_per_primary = 1;
  int64_t node_timeout_ms = 5000;
  bool appendonly = false;
  bool appendfsync_always = false;
  int clients = 2;
  int ops_per_sec = 200;
  int keyspace = 1000;
  bool wait = false;  // clients WAIT for every replica after each write
  std::vector<PlannedMigration> migrations;
  std::vector<PlannedFault> faults;
  std::vector<AimedFault> aimed;

  int nodes() const { return primaries * (1 + replicas_per_primary); }
};

// What the generator may draw: a profile of `slotsim explore --profile`.
struct PlanProfile {
  bool native_migrations = false;
  bool atomic_migrations = true;
  bool crashes = true;
  // Aimed faults (AimedFault) in some plans. Drawn after everything else,
  // so a seed's other draws are the same with or without them.
  bool aimed = true;
  // Disk faults (EIO, ENOSPC, torn writes) and always an AOF. Off in the
  // older profiles, whose seeds then draw what they always drew.
  bool disk_faults = false;
};
// "faults" (the default): atomic migrations and every fault.
// "migration": native and atomic migrations, every fault but crashes.
// "all": everything, so Redis's own native-migration weaknesses show too
//   (a crash losing the unsynced SETSLOT NODE save leaves an open slot:
//   violation no-open-slots, REDIS_CLUSTER_NOTES section 8).
// "disk": "faults" plus disk faults (EIO on writes or fsyncs, a full
//   disk, torn writes at power loss), with the AOF always on.
// Returns false for an unknown name.
bool ProfileByName(const std::string& name, PlanProfile* out);
inline constexpr const char* kProfileNames = "faults, migration, all, disk";

// The generator: every field is drawn from a range that the clean engine
// must survive under the profile (a violation is a finding, not noise).
rc::Gen<Plan> GenPlan(const PlanProfile& profile = {});

// The plan for one exploration seed, with its shrink tree.
rc::Shrinkable<Plan> PlanForSeed(uint64_t seed, const PlanProfile& profile = {});

// The plan as a scenario: undo steps (heal, restart, resume, fsync and
// drift back to normal) close every fault by the liveness phase; faults
// that cannot apply (crashing a node that is down) are dropped. Expects
// PASS: the plan is judged against every checker.
scenario::Scenario PlanToScenario(const Plan& plan, const std::string& name);

// Steps that start a fault (the loader's definition: not heal, restart,
// resume, or a slow_fsync/clock_drift back to normal).
int CountFaultSteps(const scenario::Scenario& s);

// For RapidCheck's counterexample output.
void showValue(const Plan& plan, std::ostream& os);

}  // namespace slotsim
