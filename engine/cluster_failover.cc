// Failure detection and replica failover (cluster_legacy.c:
// clusterNodeAddFailureReport, markNodeAsFailingIfNeeded,
// clearNodeFailureIfNeeded, clusterHandleSlaveFailover,
// clusterSendFailoverAuthIfNeeded, clusterFailoverReplaceYourMaster,
// clusterBumpConfigEpochWithoutConsensus, clusterSendUpdate).
#include <algorithm>

#include "engine/check.h"
#include "engine/cluster.h"
#include "engine/slot_ranges.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

constexpr int64_t kFailReportValidityMult = 2;  // CLUSTER_FAIL_REPORT_VALIDITY_MULT
constexpr int64_t kFailUndoTimeMult = 2;        // CLUSTER_FAIL_UNDO_TIME_MULT
constexpr uint32_t kMflagPaused = 1;            // CLUSTERMSG_FLAG0_PAUSED
constexpr uint32_t kMflagForceAck = 2;          // CLUSTERMSG_FLAG0_FORCEACK
constexpr int64_t kMfTimeoutMs = 5000;          // CLUSTER_MF_TIMEOUT
constexpr int64_t kMfPauseMult = 2;             // CLUSTER_MF_PAUSE_MULT

}  // namespace

// ---- Failure reports and FAIL ---------------------------------------------------

void Cluster::AddFailureReport(ClusterNode* failing, ClusterNode* sender) {
  failing->fail_reports[sender->name] = env_.NowMs();
}

void Cluster::DelFailureReport(ClusterNode* failing, ClusterNode* sender) {
  failing->fail_reports.erase(sender->name);
}

int64_t Cluster::FailReportMaxAgeMs() const {
  return config_.node_timeout_ms * kFailReportValidityMult;
}

int Cluster::CountFailureReports(ClusterNode* node) {
  const int64_t max_age = FailReportMaxAgeMs();
  const int64_t now = env_.NowMs();
  for (auto it = node->fail_reports.begin(); it != node->fail_reports.end();) {
    if (now - it->second > max_age) {
      env_.HitProbe(Probe::kFailReportExpired);
      it = node->fail_reports.erase(it);
    } else {
      ++it;
    }
  }
  return static_cast<int>(node->fail_reports.size());
}

std::map<std::string, int> Cluster::FreshFailureReports() const {
  const int64_t max_age = FailReportMaxAgeMs();
  const int64_t now = env_.NowMs();
  std::map<std::string, int> out;
  for (const auto& [name, n] : nodes_)
    for (const auto& [reporter, at] : n->fail_reports)
      if (now - at <= max_age) out[name]++;
  return out;
}

void Cluster::AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const {
  for (const auto& [conn, link] : links_)
    out->emplace_back(conn, std::string(link->inbound ? "inbound" : "outbound") + " bus link" +
                                (link->node ? " of " + link->node->ip + ":" +
                                                  std::to_string(link->node->port)
                                            : std::string()));
}

void Cluster::MarkNodeAsFailingIfNeeded(ClusterNode* node) {
  const int needed_quorum = NeededQuorum();
  if (!node->TimedOut()) return;  // we can still reach it
  if (node->Failed()) return;
  int failures = CountFailureReports(node);
  if (myself_->IsPrimary()) failures++;
  if (failures < needed_quorum) return;
  node->flags = (node->flags & ~kNodePfail) | kNodeFail;
  node->fail_time_ms = env_.NowMs();
  env_.HitProbe(Probe::kPfailToFail);
  TraceNodeEvent("FailSet", *node, "reports=" + std::to_string(failures) +
                                       " quorum=" + std::to_string(needed_quorum));
  // Even a replica broadcasts: it only relays what primaries agreed.
  SendFail(*node);
  todo_update_state_ = true;
  TodoSave(false);
}

void Cluster::ClearNodeFailureIfNeeded(ClusterNode* node) {
  SLOTSIM_CHECK(node->Failed());
  const int64_t now = env_.NowMs();
  // A replica or a slotless primary: clear as soon as it is reachable.
  // A primary with slots: only after long enough with nobody failing it
  // over (then the slots would have moved).
  if (node->IsReplica() || node->numslots == 0 ||
      now - node->fail_time_ms > config_.node_timeout_ms * kFailUndoTimeMult) {
    node->flags &= ~kNodeFail;
    env_.HitProbe(node->IsReplica() || node->numslots == 0 ? Probe::kFailClearedReachable
                                                           : Probe::kFailClearedUndoTime);
    TraceNodeEvent("FailCleared", *node);
    todo_update_state_ = true;
    TodoSave(false);
  }
}

std::vector<ClusterNode*> Cluster::BroadcastTargets(bool local_replicas_only) {
  std::vector<ClusterNode*> out;
  for (const auto& [name, n] : nodes_) {
    if (n.get() == myself_ || n->link == kNoConn || n->InHandshake()) continue;
    if (local_replicas_only &&
        !(n->IsReplica() && !myself_->primary_name.empty() &&
          n->primary_name == myself_->primary_name))
      continue;
    out.push_back(n.get());
  }
  return out;
}

void Cluster::Broadcast(const bus::BusMessage& msg, bool local_replicas_only) {
  for (ClusterNode* n : BroadcastTargets(local_replicas_only)) SendMessage(n->link, msg);
}

void Cluster::BroadcastPong(bool local_replicas_only) {
  for (ClusterNode* n : BroadcastTargets(local_replicas_only)) SendPing(n->link, bus::PONG);
}

void Cluster::SendFail(const ClusterNode& failing) {
  bus::BusMessage msg;
  BuildHeader(bus::FAIL, &msg);
  msg.mutable_fail()->set_node_id(failing.name);
  Broadcast(msg);
}

void Cluster::ProcessFail(ClusterNode* sender, const bus::BusMessage& msg) {
  if (sender == nullptr || !msg.has_fail()) return;
  ClusterNode* failing = Lookup(msg.fail().node_id());
  if (failing == nullptr || (failing->flags & (kNodeFail | kNodeMyself))) return;
  // FAIL from any known node is believed without a quorum check.
  failing->flags = (failing->flags & ~kNodePfail) | kNodeFail;
  failing->fail_time_ms = env_.NowMs();
  TraceNodeEvent("FailReceived", *failing, "from=" + sender->name);
  todo_update_state_ = true;
  TodoSave(false);
}

// ---- UPDATE ------------------------------------------------------------------------

void Cluster::SendUpdate(ConnId conn, const ClusterNode& node) {
  bus::BusMessage msg;
  BuildHeader(bus::UPDATE, &msg);
  auto* u = msg.mutable_update();
  u->set_node_id(node.name);
  u->set_config_epoch(node.config_epoch);
  // Slots the node stopped claiming are not advertised for it.
  u->set_slots(SlotBitmapToBytes(node.slots & ~owner_not_claiming_slot_));
  env_.HitProbe(Probe::kUpdateSent);
  SendMessage(conn, msg);
}

void Cluster::ProcessUpdate(ClusterNode* sender, const bus::BusMessage& msg) {
  if (sender == nullptr || !msg.has_update()) return;
  ClusterNode* n = Lookup(msg.update().node_id());
  if (n == nullptr) return;
  const uint64_t epoch = msg.update().config_epoch();
  if (n->config_epoch >= epoch) return;  // nothing new
  env_.HitProbe(Probe::kUpdateApplied);
  if (n->IsReplica()) SetNodeAsPrimary(n);
  n->config_epoch = epoch;
  TodoSave(true);
  TraceNodeEvent("UpdateReceived", *n, "config_epoch=" + std::to_string(epoch));
  UpdateSlotsConfigWith(n, epoch, SlotBitmapFromBytes(msg.update().slots()));
}

// ---- Epochs -----------------------------------------------------------------------

std::string Cluster::ConfigEpochFrozenError(const std::string& job) {
  return "ERR Can't change the config epoch while atomic slot migration " + job +
         " is handing off its slots (its target claims them just above my current "
         "config epoch). Try again when the hand-off is over.";
}

bool Cluster::BumpConfigEpochWithoutConsensus() {
  // Callers that may run during an atomic hand-off check first (BUMPEPOCH,
  // SETSLOT NODE); none may bump a frozen epoch.
  SLOTSIM_CHECK(ConfigEpochFrozenBy().empty());
  // clusterGetMaxEpoch: the largest configEpoch known, or currentEpoch if
  // larger. Only if mine is 0 or below it: a node whose epoch already
  // equals the maximum keeps it, even when another shares it (the
  // collision rule separates those), so a reshard bumps once, not once per
  // slot as a replica's record catches up.
  uint64_t max_epoch = current_epoch_;
  for (const auto& [name, n] : nodes_) max_epoch = std::max(max_epoch, n->config_epoch);
  if (myself_->config_epoch != 0 && myself_->config_epoch == max_epoch) {
    env_.HitProbe(Probe::kEpochBumpSkipped);
    return false;
  }
  current_epoch_++;
  myself_->config_epoch = current_epoch_;
  TodoSave(true);
  env_.Trace({"ConfigEpochBumped", "", "",
              "config_epoch=" + std::to_string(myself_->config_epoch)});
  return true;
}

// ---- Election (replica side) ------------------------------------------------------

std::vector<std::pair<std::string, int64_t>> Cluster::SiblingOffsets() {
  std::vector<std::pair<std::string, int64_t>> out;
  ClusterNode* primary = Lookup(myself_->primary_name);
  if (primary == nullptr) return out;
  for (const auto& rn : primary->replica_names) {
    ClusterNode* r = Lookup(rn);
    if (r == nullptr || r == myself_ || (r->flags & kNodeNoFailover)) continue;
    out.emplace_back(r->name, r->repl_offset);
  }
  return out;
}

int Cluster::ReplicaRank() {
  const int64_t my_offset = hooks_.repl_offset ? hooks_.repl_offset() : 0;
  int rank = 0;
  for (const auto& [name, offset] : SiblingOffsets()) {
    if (offset > my_offset) rank++;
  }
  return rank;
}

void Cluster::TraceElectionRank(std::string_view kind) {
  ElectionRankRecord r;
  r.delay_ms = failover_auth_time_ms_ - env_.NowMs();
  r.rank = failover_auth_rank_;
  r.offset = hooks_.repl_offset ? hooks_.repl_offset() : 0;
  r.manual = mf_end_ms_ != 0;
  r.siblings = SiblingOffsets();
  env_.Trace({std::string(kind), "", "", r.Format()});
}

int64_t Cluster::HighestOwnerEpoch(const SlotBitmap& claimed) const {
  int64_t highest = 0;
  for (int j = 0; j < kClusterSlots; ++j) {
    if (!claimed.test(j) || SlotUnclaimed(j)) continue;
    highest = std::max<int64_t>(highest, static_cast<int64_t>(slots_[j]->config_epoch));
  }
  return highest;
}

void Cluster::RequestFailoverAuth() {
  bus::BusMessage msg;
  BuildHeader(bus::FAILOVER_AUTH_REQUEST, &msg);
  // A manual failover asks voters to ignore that the primary is not FAIL.
  if (mf_end_ms_ != 0) msg.mutable_header()->set_mflags(kMflagForceAck);
  Broadcast(msg);
}

// ---- Manual failover ----------------------------------------------------------------

void Cluster::ResetManualFailover() {
  if (!mf_replica_.empty() && hooks_.unpause_writes) hooks_.unpause_writes();
  mf_end_ms_ = 0;
  mf_can_start_ = false;
  mf_replica_.clear();
  mf_primary_offset_ = -1;
}

void Cluster::ProcessMfStart(ClusterNode* sender, BusLink* link) {
  // Only from one of my own replicas.
  if (sender == nullptr || !myself_->IsPrimary() || sender->primary_name != myself_->name) {
    env_.HitProbe(Probe::kManualFailoverRefused);
    env_.Trace({"ManualFailoverRefused", PeerAddr(sender), "",
                std::string("sender_known=") + (sender ? "1" : "0") +
                    " sender_primary=" + (sender ? sender->primary_name : "")});
    return;
  }
  ResetManualFailover();
  const int64_t now = env_.NowMs();
  mf_end_ms_ = now + kMfTimeoutMs;
  mf_replica_ = sender->name;
  if (hooks_.pause_writes) hooks_.pause_writes(now + kMfTimeoutMs * kMfPauseMult);
  env_.Trace({"ManualFailoverPaused", PeerAddr(sender), "",
              "offset=" + std::to_string(hooks_.repl_offset ? hooks_.repl_offset() : 0)});
  // The PING carries the offset at which writes stopped (and PAUSED).
  SendPing(link->conn, bus::PING);
}

void Cluster::HandleManualFailover() {
  if (mf_end_ms_ == 0 || mf_can_start_ || mf_primary_offset_ < 0) return;
  const int64_t mine = hooks_.repl_offset ? hooks_.repl_offset() : 0;
  if (mine == mf_primary_offset_) {
    mf_can_start_ = true;
    env_.Trace({"ManualFailoverCanStart", "", "", "offset=" + std::to_string(mine)});
    todo_handle_failover_ = true;
  }
}

void Cluster::CommandFailover(const std::vector<std::string>& argv, std::string* out) {
  bool force = false, takeover = false;
  if (argv.size() == 3) {
    std::string opt = argv[2];
    for (auto& ch : opt) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (opt == "force") force = true;
    else if (opt == "takeover") takeover = true;
    else return resp::AppendError(out, "ERR syntax error");
  } else if (argv.size() > 3) {
    return resp::AppendError(out, "ERR syntax error");
  }
  ClusterNode* primary = myself_->IsReplica() ? Lookup(myself_->primary_name) : nullptr;
  if (myself_->IsPrimary())
    return resp::AppendError(out, "ERR You should send CLUSTER FAILOVER to a replica");
  if (primary == nullptr)
    return resp::AppendError(out, "ERR I'm a replica but my master is unknown to me");
  if (!force && !takeover && (primary->Failed() || primary->link == kNoConn))
    return resp::AppendError(out, "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
  ResetManualFailover();
  mf_end_ms_ = env_.NowMs() + kMfTimeoutMs;
  if (takeover) {
    // No votes, no offset check: a new epoch and the primary's slots.
    env_.Trace({"ManualFailoverTakeover", "", "", ""});
    if (BumpConfigEpochWithoutConsensus()) env_.HitProbe(Probe::kTakeoverEpochBump);
    FailoverReplaceMyPrimary();
  } else if (force) {
    env_.Trace({"ManualFailoverForce", "", "", ""});
    mf_can_start_ = true;
    todo_handle_failover_ = true;
  } else {
    env_.Trace({"ManualFailoverStart", PeerAddr(primary), "", ""});
    bus::BusMessage msg;
    BuildHeader(bus::MFSTART, &msg);
    SendMessage(primary->link, msg);
  }
  resp::AppendSimple(out, "OK");
}

void Cluster::HandleReplicaFailover() {
  todo_handle_failover_ = false;
  const int64_t now = env_.NowMs();
  const int64_t auth_age = now - failover_auth_time_ms_;
  const int needed_quorum = NeededQuorum();
  const int64_t auth_timeout = std::max<int64_t>(config_.node_timeout_ms * 2, 2000);
  const int64_t auth_retry_time = auth_timeout * 2;

  const bool manual = mf_end_ms_ != 0 && mf_can_start_;
  ClusterNode* primary = myself_->IsReplica() ? Lookup(myself_->primary_name) : nullptr;
  if (primary == nullptr || (!primary->Failed() && !manual) || primary->numslots == 0) return;
  if (config_.replica_no_failover && !manual) return;  // cluster-replica-no-failover

  // Is my data recent enough? (cluster-replica-validity-factor; a manual
  // failover skips this)
  int64_t data_age = hooks_.repl_data_age_ms ? hooks_.repl_data_age_ms() : 0;
  if (data_age > config_.node_timeout_ms) data_age -= config_.node_timeout_ms;
  if (!manual && config_.replica_validity_factor != 0 &&
      data_age > config_.repl_ping_period_ms +
                     config_.node_timeout_ms * config_.replica_validity_factor) {
    env_.HitProbe(Probe::kElectionDataTooOld);
    return;
  }

  if (auth_age > auth_retry_time) {
    // A time set means an earlier election ran out (or never started).
    if (failover_auth_time_ms_ != 0) env_.HitProbe(Probe::kElectionRetry);
    // Schedule an election: 500 ms for the FAIL to spread, random jitter,
    // and a second per replica with a better offset than mine.
    failover_auth_time_ms_ = now + 500 + static_cast<int64_t>(env_.RandomBelow(500));
    failover_auth_count_ = 0;
    failover_auth_sent_ = false;
    failover_auth_rank_ = ReplicaRank();
    failover_auth_time_ms_ += failover_auth_rank_ * 1000;
    if (mf_end_ms_ != 0) {  // a manual failover starts at once
      failover_auth_time_ms_ = now;
      failover_auth_rank_ = 0;
      todo_handle_failover_ = true;
    }
    TraceElectionRank(ElectionRankRecord::kScheduledKind);
    // Tell my siblings my offset, so they can rank themselves.
    BroadcastPong(/*local_replicas_only=*/true);
    return;
  }
  // A sibling may have told us a better offset since: wait longer.
  if (!failover_auth_sent_ && mf_end_ms_ == 0) {
    int new_rank = ReplicaRank();
    if (new_rank > failover_auth_rank_) {
      failover_auth_time_ms_ += (new_rank - failover_auth_rank_) * 1000;
      failover_auth_rank_ = new_rank;
      env_.HitProbe(Probe::kElectionRankRaised);
      TraceElectionRank(ElectionRankRecord::kRankRaisedKind);
    }
  }
  if (now < failover_auth_time_ms_) return;
  if (auth_age > auth_timeout) {  // this election expired
    if (failover_auth_sent_) env_.HitProbe(Probe::kElectionExpired);
    return;
  }

  if (!failover_auth_sent_) {
    current_epoch_++;
    failover_auth_epoch_ = current_epoch_;
    env_.Trace({"ElectionStarted", "", "",
                "epoch=" + std::to_string(failover_auth_epoch_)});
    // Saved and fsynced before the request leaves (the request raises
    // everyone's currentEpoch; ours must not go back after a crash).
    if (!SaveConfig(true)) return;
    RequestFailoverAuth();
    failover_auth_sent_ = true;
    todo_update_state_ = true;
    return;
  }
  if (failover_auth_count_ >= needed_quorum) {
    env_.Trace({ElectionWonRecord::kKind, "", "",
                ElectionWonRecord{static_cast<int64_t>(failover_auth_epoch_),
                                  failover_auth_count_, size_}
                    .Format()});
    if (myself_->config_epoch < failover_auth_epoch_)
      myself_->config_epoch = failover_auth_epoch_;
    FailoverReplaceMyPrimary();
  }
}

void Cluster::ProcessFailoverAuthAck(ClusterNode* sender, const bus::BusMessage& msg) {
  // A vote counts only from a slot-owning primary that has seen my
  // election epoch.
  if (sender->IsPrimary() && sender->numslots > 0 &&
      msg.header().current_epoch() >= failover_auth_epoch_) {
    failover_auth_count_++;
    env_.Trace({"VoteReceived", PeerAddr(sender), "",
                "epoch=" + std::to_string(failover_auth_epoch_) +
                    " voter=" + sender->name + " count=" + std::to_string(failover_auth_count_)});
    todo_handle_failover_ = true;
  } else {
    env_.HitProbe(Probe::kVoteAckIgnored);
  }
}

void Cluster::ResetElection() {
  failover_auth_time_ms_ = 0;
  failover_auth_count_ = 0;
  failover_auth_sent_ = false;
  failover_auth_rank_ = 0;
}

void Cluster::FailoverReplaceMyPrimary() {
  ClusterNode* old = myself_->IsReplica() ? Lookup(myself_->primary_name) : nullptr;
  if (old == nullptr) return;
  SetNodeAsPrimary(myself_);
  if (hooks_.become_primary) hooks_.become_primary();
  for (int j = 0; j < kClusterSlots; ++j) {
    if (old->slots.test(j)) {
      DelSlot(j);
      AddSlot(myself_, j);
    }
  }
  UpdateState();
  if (!SaveConfig(true)) return;
  ResetManualFailover();
  env_.Trace({"FailoverDone", PeerAddr(old), "",
              "old_primary=" + old->name +
                  " config_epoch=" + std::to_string(myself_->config_epoch)});
  BroadcastPong(/*local_replicas_only=*/false);
}

// ---- Voting (primary side) --------------------------------------------------------

void Cluster::SendFailoverAuthIfNeeded(ClusterNode* node, const bus::BusMessage& msg) {
  const auto& h = msg.header();
  const uint64_t request_current_epoch = h.current_epoch();
  const uint64_t request_config_epoch = h.config_epoch();
  const bool force_ack = h.mflags() & kMflagForceAck;
  auto refuse = [&](const char* why, Probe probe) {
    env_.HitProbe(probe);
    env_.Trace({"VoteRefused", PeerAddr(node), "",
                "epoch=" + std::to_string(request_current_epoch) + " reason=" + why});
  };
  // 1. Only a primary serving slots votes.
  if (myself_->IsReplica() || myself_->numslots == 0) return;
  // 2. The request must be for an epoch at least mine.
  if (request_current_epoch < current_epoch_)
    return refuse("old-epoch", Probe::kVoteRefusedOldEpoch);
  // 3. One vote per epoch. A vote not cast by this incarnation was read
  // back from nodes.conf: the durability that keeps a restarted voter
  // from voting twice.
  if (last_vote_epoch_ == current_epoch_) {
    if (started_from_config_ && !voted_this_incarnation_ && last_vote_epoch_ != 0)
      env_.HitProbe(Probe::kVoteRefusedRememberedVote);
    return refuse("already-voted", Probe::kVoteRefusedAlreadyVoted);
  }
  // 4. The requester is a replica whose primary is FAIL (or FORCEACK).
  // One trace reason, three probes: Redis logs the three apart.
  ClusterNode* primary = node->IsReplica() ? Lookup(node->primary_name) : nullptr;
  if (node->IsPrimary()) return refuse("primary-not-failed", Probe::kVoteRefusedRequesterIsPrimary);
  if (primary == nullptr) return refuse("primary-not-failed", Probe::kVoteRefusedPrimaryUnknown);
  if (!primary->Failed() && !force_ack)
    return refuse("primary-not-failed", Probe::kVoteRefusedPrimaryUp);
  // 5. No vote for a replica of this primary in the last 2 * node_timeout.
  const int64_t now = env_.NowMs();
  if (now - primary->voted_time_ms < config_.node_timeout_ms * 2)
    return refuse("voted-recently", Probe::kVoteRefusedVotedRecently);
  // 6. Every claimed slot is unowned or owned with an epoch <= the claim's.
  const SlotBitmap claimed = SlotBitmapFromBytes(h.slots());
  for (int j = 0; j < kClusterSlots; ++j) {
    if (!claimed.test(j) || SlotUnclaimed(j)) continue;
    if (slots_[j]->config_epoch > request_config_epoch)
      return refuse("stale-slot-claim", Probe::kVoteRefusedStaleSlotClaim);
  }
  // 7. Grant: record the vote durably, then send the ACK. The probes come
  // first, so a crash armed by one lands on the save or the ACK.
  env_.HitProbe(Probe::kVoteGranted);
  if (!primary->Failed()) env_.HitProbe(Probe::kVoteGrantedForceAck);
  if (started_from_config_ && !voted_this_incarnation_)
    env_.HitProbe(Probe::kVoteGrantedAfterRestart);
  voted_this_incarnation_ = true;
  last_vote_epoch_ = current_epoch_;
  primary->voted_time_ms = now;
  // A vote it could not save is never sent (clusterSaveConfigOrDie).
  if (!SaveConfig(true)) return;
  VoteGrantedRecord granted;
  granted.epoch = static_cast<int64_t>(current_epoch_);
  granted.to = node->name;
  granted.primary = primary->name;
  granted.local_ms = now;
  granted.claim_epoch = static_cast<int64_t>(request_config_epoch);
  granted.owner_epoch = HighestOwnerEpoch(claimed);
  env_.Trace({VoteGrantedRecord::kKind, PeerAddr(node), "", granted.Format()});
  bus::BusMessage ack;
  BuildHeader(bus::FAILOVER_AUTH_ACK, &ack);
  if (node->link != kNoConn) SendMessage(node->link, ack);
}

}  // namespace slotsim
