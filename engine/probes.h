// Code probes (FoundationDB's CODE_PROBE, TigerBeetle's coverage marks):
// named points on the rare protocol paths of the engine. The engine marks
// a hit with `env_.HitProbe(Probe::kX)`; the simulator counts hits per run,
// traces each probe's first hit per node ("Probe" records), can crash or
// pause the node right after a hit (a scenario's after_probe step), and
// `slotsim explore` reports which probes no seed reached.
//
// The whole set is here, so a report can name the probes never reached.
// A probe is only an observation: the engine never reads it back. Names
// are stable (scenario files and trace databases hold them); meanings say
// where in Redis 7.0.15's cluster.c / replication.c the path lives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace slotsim {

enum class Probe : uint8_t {
  // Failure detection.
  kPfailToFail,
  kFailReportExpired,
  kFailClearedReachable,
  kFailClearedUndoTime,
  // Replica side of an election.
  kElectionDataTooOld,
  kElectionRankRaised,
  kElectionExpired,
  kElectionRetry,
  kVoteAckIgnored,
  // Primary side: clusterSendFailoverAuthIfNeeded's refusals and grants.
  kVoteRefusedOldEpoch,
  kVoteRefusedAlreadyVoted,
  kVoteRefusedRememberedVote,
  kVoteRefusedRequesterIsPrimary,
  kVoteRefusedPrimaryUnknown,
  kVoteRefusedPrimaryUp,
  kVoteRefusedVotedRecently,
  kVoteRefusedStaleSlotClaim,
  kVoteGranted,
  kVoteGrantedForceAck,
  kVoteGrantedAfterRestart,
  // Manual failover.
  kManualFailoverTimeout,
  kManualFailoverRefused,
  // Epochs.
  kEpochCollisionResolved,
  kEpochCollisionDeferred,
  kTakeoverEpochBump,
  kSetSlotNodeEpochBump,
  kEpochBumpSkipped,
  // Slot claims.
  kUpdateSent,
  kUpdateApplied,
  kStaleClaimIgnored,
  kDirtySlotKeysDeleted,
  kFollowGrandPrimary,
  kReplicaMigrated,
  // Replication.
  kPsyncPartialAccepted,
  kPsyncRefusedHistory,
  kPsyncRefusedBacklog,
  kPsync2NewReplid,
  // Persistence.
  kAofTornTailDropped,
  // Migration, native and atomic, and the routing around it.
  kMigrateAborted,
  kAtomicExportAborted,
  kAtomicImportAborted,
  kAtomicEndResent,
  kAtomicTakeoverAfterFailover,
  kAskRedirect,
  kTryAgain,
  kCount  // not a probe: the number of probes
};

inline constexpr size_t kProbeCount = static_cast<size_t>(Probe::kCount);

struct ProbeInfo {
  Probe probe;
  std::string_view name;     // kebab-case, stable
  std::string_view meaning;  // one line
};

inline constexpr std::array<ProbeInfo, kProbeCount> kProbes = {{
    {Probe::kPfailToFail, "pfail-to-fail",
     "a PFAIL node marked FAIL on a quorum of failure reports (markNodeAsFailingIfNeeded)"},
    {Probe::kFailReportExpired, "fail-report-expired",
     "a failure report older than 2 x node_timeout dropped (clusterNodeCleanupFailureReports)"},
    {Probe::kFailClearedReachable, "fail-cleared-reachable",
     "FAIL cleared on a replica or slotless primary that answers again (clearNodeFailureIfNeeded)"},
    {Probe::kFailClearedUndoTime, "fail-cleared-undo-time",
     "FAIL cleared on a slot-owning primary nobody failed over in 2 x node_timeout"},
    {Probe::kElectionDataTooOld, "election-data-too-old",
     "a replica with data older than the validity factor allows does not fail over"},
    {Probe::kElectionRankRaised, "election-rank-raised",
     "a sibling's better offset pushed a scheduled election back (re-ranking)"},
    {Probe::kElectionExpired, "election-expired",
     "an election that asked for votes timed out without a majority (CANT_FAILOVER_EXPIRED)"},
    {Probe::kElectionRetry, "election-retry",
     "a replica scheduled a new election after an earlier one (auth_retry_time)"},
    {Probe::kVoteAckIgnored, "vote-ack-ignored",
     "a FAILOVER_AUTH_ACK from a non-voter or for an older epoch not counted"},
    {Probe::kVoteRefusedOldEpoch, "vote-refused-old-epoch",
     "vote denied: the request's currentEpoch is below the voter's (reqEpoch < curEpoch)"},
    {Probe::kVoteRefusedAlreadyVoted, "vote-refused-already-voted",
     "vote denied: the voter already voted in its currentEpoch"},
    {Probe::kVoteRefusedRememberedVote, "vote-refused-remembered-vote",
     "vote denied by a restarted voter: the lastVoteEpoch it read from nodes.conf"},
    {Probe::kVoteRefusedRequesterIsPrimary, "vote-refused-requester-is-primary",
     "vote denied: the requester is a primary in the voter's view"},
    {Probe::kVoteRefusedPrimaryUnknown, "vote-refused-primary-unknown",
     "vote denied: the voter does not know the requester's primary"},
    {Probe::kVoteRefusedPrimaryUp, "vote-refused-primary-up",
     "vote denied: the requester's primary is not FAIL and no FORCEACK"},
    {Probe::kVoteRefusedVotedRecently, "vote-refused-voted-recently",
     "vote denied: voted for a replica of that primary within 2 x node_timeout"},
    {Probe::kVoteRefusedStaleSlotClaim, "vote-refused-stale-slot-claim",
     "vote denied: a claimed slot's owner has a higher configEpoch than the request"},
    {Probe::kVoteGranted, "vote-granted",
     "a primary grants its vote; marked before the vote is saved and the ACK sent"},
    {Probe::kVoteGrantedForceAck, "vote-granted-force-ack",
     "a vote granted for a manual failover (FORCEACK) while the primary is up"},
    {Probe::kVoteGrantedAfterRestart, "vote-granted-after-restart",
     "a vote granted by a voter that restarted with a lastVoteEpoch from nodes.conf"},
    {Probe::kManualFailoverTimeout, "manual-failover-timeout",
     "a manual failover expired before it completed (manualFailoverCheckTimeout)"},
    {Probe::kManualFailoverRefused, "manual-failover-refused",
     "MFSTART from a node that is not this primary's replica ignored"},
    {Probe::kEpochCollisionResolved, "epoch-collision-resolved",
     "equal configEpochs: the smaller node id took a new epoch "
     "(clusterHandleConfigEpochCollision)"},
    {Probe::kEpochCollisionDeferred, "epoch-collision-deferred",
     "a collision bump put off while an atomic hand-off froze the configEpoch"},
    {Probe::kTakeoverEpochBump, "takeover-epoch-bump",
     "CLUSTER FAILOVER TAKEOVER bumped the configEpoch without consensus"},
    {Probe::kSetSlotNodeEpochBump, "setslot-node-epoch-bump",
     "SETSLOT NODE closing an import bumped the configEpoch without consensus"},
    {Probe::kEpochBumpSkipped, "epoch-bump-skipped",
     "a bump without consensus skipped: my configEpoch already equals the largest epoch "
     "known (clusterBumpConfigEpochWithoutConsensus; redis #3442's root)"},
    {Probe::kUpdateSent, "update-sent",
     "an UPDATE sent to a node claiming a slot below its owner's configEpoch"},
    {Probe::kUpdateApplied, "update-applied",
     "an UPDATE with a newer configEpoch received and applied"},
    {Probe::kStaleClaimIgnored, "stale-claim-ignored",
     "a claim of a slot whose owner has a higher configEpoch ignored "
     "(clusterUpdateSlotsConfigWith)"},
    {Probe::kDirtySlotKeysDeleted, "dirty-slot-keys-deleted",
     "keys of a slot lost to a higher claim deleted (dirty slots; not an atomic hand-off's "
     "source, which deletes that way by design)"},
    {Probe::kFollowGrandPrimary, "follow-grand-primary",
     "a replica whose primary became a replica followed its grand-primary"},
    {Probe::kReplicaMigrated, "replica-migrated",
     "a replica migrated to an orphaned primary (clusterHandleSlaveMigration)"},
    {Probe::kPsyncPartialAccepted, "psync-partial-accepted",
     "a primary answered PSYNC with +CONTINUE from its backlog"},
    {Probe::kPsyncRefusedHistory, "psync-refused-history",
     "PSYNC of a replica with data from another history fell back to FULLRESYNC"},
    {Probe::kPsyncRefusedBacklog, "psync-refused-backlog",
     "PSYNC of the same history fell back to FULLRESYNC: the offset left the backlog"},
    {Probe::kPsync2NewReplid, "psync2-new-replid",
     "a replica continued partially under its new primary's replication id (PSYNC2)"},
    {Probe::kAofTornTailDropped, "aof-torn-tail-dropped",
     "an AOF loaded with an incomplete last command, which was dropped"},
    {Probe::kMigrateAborted, "migrate-aborted",
     "a MIGRATE failed with IOERR (target lost or timed out)"},
    {Probe::kAtomicExportAborted, "atomic-export-aborted",
     "an atomic slot migration failed on its source"},
    {Probe::kAtomicImportAborted, "atomic-import-aborted",
     "an atomic slot migration failed on its target (partial keys dropped)"},
    {Probe::kAtomicEndResent, "atomic-end-resent",
     "an atomic hand-off's END sent again: TAKEN came back not above the source's epoch"},
    {Probe::kAtomicTakeoverAfterFailover, "atomic-takeover-after-failover",
     "a promoted replica finished a takeover its old primary had the END of"},
    {Probe::kAskRedirect, "ask-redirect",
     "a client got -ASK for a key of a migrating slot"},
    {Probe::kTryAgain, "tryagain",
     "a multi-key command got -TRYAGAIN during a slot's migration"},
}};

// The table is in enum order, so kProbes[p] describes p.
constexpr bool ProbeTableInOrder() {
  for (size_t i = 0; i < kProbes.size(); ++i)
    if (static_cast<size_t>(kProbes[i].probe) != i || kProbes[i].name.empty() ||
        kProbes[i].meaning.empty())
      return false;
  return true;
}
static_assert(ProbeTableInOrder(), "kProbes must list every Probe once, in enum order");

constexpr bool ProbeNamesDistinct() {
  for (size_t i = 0; i < kProbes.size(); ++i)
    for (size_t j = i + 1; j < kProbes.size(); ++j)
      if (kProbes[i].name == kProbes[j].name) return false;
  return true;
}
static_assert(ProbeNamesDistinct(), "probe names are keys in traces and scenario files");

constexpr std::string_view ProbeName(Probe p) { return kProbes[static_cast<size_t>(p)].name; }

constexpr std::optional<Probe> ProbeByName(std::string_view name) {
  for (const auto& info : kProbes)
    if (info.name == name) return info.probe;
  return std::nullopt;
}

}  // namespace slotsim
