// Node table, slot map, epochs and cluster state (cluster_legacy.c:
// createClusterNode, clusterDelNode, clusterRenameNode, clusterAddSlot,
// clusterUpdateSlotsConfigWith, clusterUpdateState).
#include "engine/cluster.h"
#include "engine/config_command.h"

#include <algorithm>

#include "engine/check.h"
#include "engine/slot_ranges.h"
#include "engine/trace_records.h"

namespace slotsim {

Cluster::Cluster(Env& env, const EngineConfig& config, Keyspace& keyspace,
                 MemoryAccount& memory)
    : env_(env), config_(config), meter_(env_, config_.cost), keyspace_(keyspace), memory_(memory),
      slots_(kClusterSlots, nullptr) {
  SLOTSIM_CHECK(config_.node_timeout_ms > 0);
  SLOTSIM_CHECK(config_.cron_period_ms > 0);
}

bool Cluster::Start(std::string* error) {
  SLOTSIM_CHECK(myself_ == nullptr);
  if (!LoadConfig(error)) return false;
  if (myself_ == nullptr) {
    myself_ = CreateNode(RandomNodeName(), kNodeMyself | kNodePrimary);
    TraceNodeEvent("NodeStart", *myself_);
    if (const IoStatus st = WriteConfig(true); st != IoStatus::kOk) {
      // clusterInit's clusterSaveConfigOrDie.
      *error = std::string("Fatal: can't update cluster config file: ") + IoStatusText(st);
      return false;
    }
  } else {
    TraceNodeEvent("NodeRestart", *myself_,
                   "current_epoch=" + std::to_string(current_epoch_) +
                       " last_vote_epoch=" + std::to_string(last_vote_epoch_));
    // A restarted replica follows its primary again.
    if (myself_->IsReplica())
      if (ClusterNode* p = Lookup(myself_->primary_name))
        if (hooks_.become_replica && !p->ip.empty()) hooks_.become_replica(p->ip, p->port);
  }
  myself_->ip = config_.announce_ip;
  myself_->port = config_.port;
  myself_->cport = config_.bus_port();
  // The config's hostname wins over the one nodes.conf kept for myself
  // (clusterInit's clusterUpdateMyselfHostname).
  UpdateMyselfHostname();
  // Processes start at different moments, so their crons are out of
  // phase; a random first delay keeps simulated nodes from ticking in
  // lockstep.
  ScheduleCron(1 + static_cast<int64_t>(env_.RandomBelow(config_.cron_period_ms)));
  AfterEvent();
  return true;
}

std::string Cluster::RandomNodeName() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(40, '0');
  for (auto& c : name) c = kHex[env_.RandomBelow(16)];
  return name;
}

ClusterNode* Cluster::Lookup(std::string_view name) {
  auto it = nodes_by_name_.find(name);
  return it == nodes_by_name_.end() ? nullptr : it->second;
}

const ClusterNode* Cluster::LookupNode(std::string_view name) const {
  auto it = nodes_by_name_.find(name);
  return it == nodes_by_name_.end() ? nullptr : it->second;
}

const std::vector<ClusterNode*>& Cluster::NodesInOrder() {
  if (nodes_in_order_stale_) {
    SLOTSIM_CHECK(nodes_by_name_.size() == nodes_.size());
    nodes_in_order_.clear();
    nodes_in_order_.reserve(nodes_.size());
    for (const auto& [name, n] : nodes_) nodes_in_order_.push_back(n.get());
    nodes_in_order_stale_ = false;
  }
  return nodes_in_order_;
}

ClusterNode* Cluster::CreateNode(std::string name, uint32_t flags) {
  SLOTSIM_CHECK(IsValidNodeName(name));
  SLOTSIM_CHECK(nodes_by_name_.count(name) == 0);
  auto node = std::make_unique<ClusterNode>();
  node->name = name;
  node->flags = flags;
  node->ctime_ms = env_.NowMs();
  ClusterNode* raw = node.get();
  auto added = nodes_.emplace(std::move(name), std::move(node)).first;
  nodes_by_name_.emplace(added->first, raw);
  nodes_in_order_stale_ = true;
  return raw;
}

void Cluster::DelNode(ClusterNode* node) {
  SLOTSIM_CHECK(node != myself_);
  for (int j = 0; j < kClusterSlots; ++j)
    if (slots_[j] == node) DelSlot(j);
  for (auto* open : {&migrating_slots_to_, &importing_slots_from_})
    for (auto it = open->begin(); it != open->end();)
      if (it->second == node) {
        it = open->erase(it);
        open_slots_version_++;
      } else {
        ++it;
      }
  if (!node->primary_name.empty())
    if (ClusterNode* p = Lookup(node->primary_name)) RemoveReplica(p, node);
  for (const auto& r : node->replica_names)
    if (ClusterNode* rn = Lookup(r)) rn->primary_name.clear();
  if (node->link != kNoConn) FreeLink(node->link);
  if (node->inbound_link != kNoConn) FreeLink(node->inbound_link);
  TraceNodeEvent("NodeDeleted", *node);
  nodes_by_name_.erase(node->name);
  nodes_.erase(node->name);
  nodes_in_order_stale_ = true;
  todo_update_state_ = true;
  TodoSave(false);
}

void Cluster::RenameNode(ClusterNode* node, const std::string& new_name) {
  auto it = nodes_.find(node->name);
  SLOTSIM_CHECK(it != nodes_.end() && it->second.get() == node);
  SLOTSIM_CHECK(nodes_.count(new_name) == 0);
  std::string old = node->name;
  auto owned = std::move(it->second);
  nodes_by_name_.erase(node->name);
  nodes_.erase(it);
  owned->name = new_name;
  auto added = nodes_.emplace(new_name, std::move(owned)).first;
  nodes_by_name_.emplace(added->first, node);
  nodes_in_order_stale_ = true;
  TraceNodeEvent("NodeRenamed", *node, "old=" + old);
}

bool Cluster::AddSlot(ClusterNode* node, int slot) {
  if (slots_[slot] != nullptr) return false;
  node->slots.set(slot);
  node->slots_version++;
  node->numslots++;
  slots_[slot] = node;
  slot_table_version_++;
  if (node == myself_) myslots_version_++;
  todo_update_state_ = true;
  return true;
}

bool Cluster::DelSlot(int slot) {
  ClusterNode* n = slots_[slot];
  if (n == nullptr) return false;
  // My shard stops serving it: its shard channels go (clusterDelSlot).
  if (hooks_.shard_slot_lost &&
      (n == myself_ || (myself_->IsReplica() && n->name == myself_->primary_name)))
    hooks_.shard_slot_lost(slot);
  SLOTSIM_CHECK(n->slots.test(slot));
  n->slots.reset(slot);
  n->slots_version++;
  n->numslots--;
  slots_[slot] = nullptr;
  slot_table_version_++;
  if (n == myself_) myslots_version_++;
  todo_update_state_ = true;
  return true;
}

void Cluster::DelNodeSlots(ClusterNode* node) {
  for (int j = 0; j < kClusterSlots && node->numslots > 0; ++j)
    if (node->slots.test(j)) DelSlot(j);
}

void Cluster::AddReplica(ClusterNode* primary, ClusterNode* replica) {
  auto& v = primary->replica_names;
  if (std::find(v.begin(), v.end(), replica->name) == v.end()) {
    v.push_back(replica->name);
    std::sort(v.begin(), v.end());
    // clusterNodeAddSlave: a primary that ever had a replica is one a
    // replica may migrate to once it is orphaned.
    primary->flags |= kNodeMigrateTo;
  }
}

void Cluster::RemoveReplica(ClusterNode* primary, ClusterNode* replica) {
  auto& v = primary->replica_names;
  v.erase(std::remove(v.begin(), v.end(), replica->name), v.end());
}

// clusterSetNodeAsMaster.
void Cluster::SetNodeAsPrimary(ClusterNode* node) {
  if (node->IsPrimary()) return;
  if (!node->primary_name.empty()) {
    if (ClusterNode* p = Lookup(node->primary_name)) RemoveReplica(p, node);
    node->primary_name.clear();
    // A replica promoted over a primary that had replicas is owed one too
    // (clusterSetNodeAsMaster).
    if (node != myself_) node->flags |= kNodeMigrateTo;
  }
  node->flags = (node->flags & ~kNodeReplica) | kNodePrimary;
  todo_update_state_ = true;
}

// clusterSetMaster: this node becomes a replica of `primary`. Replication
// itself is the HA issue's; here only the role and slot map change.
void Cluster::SetMyPrimary(ClusterNode* primary) {
  SLOTSIM_CHECK(primary != myself_);
  if (myself_->IsPrimary()) {
    DelNodeSlots(myself_);
    // clusterCloseAllSlots: a replica has no open slots.
    if (!migrating_slots_to_.empty() || !importing_slots_from_.empty()) {
      migrating_slots_to_.clear();
      importing_slots_from_.clear();
      open_slots_version_++;
    }
    myself_->flags = (myself_->flags & ~(kNodePrimary | kNodeMigrateTo)) |
                     kNodeReplica;
  } else if (!myself_->primary_name.empty()) {
    if (ClusterNode* old = Lookup(myself_->primary_name))
      RemoveReplica(old, myself_);
  }
  myself_->primary_name = primary->name;
  AddReplica(primary, myself_);
  // An election belongs to the primary it was meant to replace. Redis
  // 7.0.15's clusterSetMaster keeps it, so a replica that won an election
  // and was then demoted under a new primary may promote itself again on
  // the old votes and the old epoch, taking the new primary's slots below
  // its configEpoch (found: ownership-race-seed-107; Valkey resets it in
  // clusterSetPrimary, valkey #782). The switch keeps Redis's behaviour.
  if (!env_.BugInjected("stale-election-after-demotion")) ResetElection();
  todo_update_state_ = true;
  TodoSave(true);  // demotion
  ResetManualFailover();
  if (hooks_.become_replica && !primary->ip.empty())
    hooks_.become_replica(primary->ip, primary->port);
}

// clusterUpdateSlotsConfigWith: the sender claims `claimed` with
// `sender_config_epoch`. Rebind every claimed slot that is unowned or
// whose owner has a strictly smaller configEpoch. If that takes the last
// slot of my primary (or mine), follow the sender.
void Cluster::UpdateSlotsConfigWith(ClusterNode* sender,
                                    uint64_t sender_config_epoch,
                                    const SlotBitmap& claimed) {
  if (sender == myself_) return;  // never reconfigure from my own claims
  ClusterNode* cur_primary = myself_->IsPrimary()
                                 ? myself_
                                 : Lookup(myself_->primary_name);
  std::vector<int> dirty_slots;
  int newly_owned_by_sender = 0;
  bool stale_claim = false;  // for the probe only
  // Still bound to the sender, which no longer claims it: keep it bound
  // (unbinding would fail the cluster) but let any claim take it (Redis
  // 7.0.12+'s owner_not_claiming_slot).
  owner_not_claiming_slot_ |= sender->slots & ~claimed;
  // Word-level iteration over the claimed slots only.
  for (size_t js = claimed._Find_first(); js < kClusterSlots; js = claimed._Find_next(js)) {
    const int j = static_cast<int>(js);
    ClusterNode* owner = slots_[j];
    if (owner == sender) {
      owner_not_claiming_slot_.reset(j);
      continue;
    }
    // An importing slot changes only by SETSLOT: the migrating side may
    // already advertise the new owner, and the admin closes the slot
    // (clusterUpdateSlotsConfigWith).
    if (!importing_slots_from_.empty() && importing_slots_from_.count(j)) continue;
    if (SlotUnclaimed(j) || owner->config_epoch < sender_config_epoch) {
      if (owner == myself_ && keyspace_.CountKeysInSlot(j) > 0 &&
          sender != myself_)
        dirty_slots.push_back(j);
      if (owner == cur_primary) ++newly_owned_by_sender;
      DelSlot(j);
      AddSlot(sender, j);
      owner_not_claiming_slot_.reset(j);
      TodoSave(true);  // slot rebind: saved and fsynced
    } else if (owner->config_epoch > sender_config_epoch) {
      stale_claim = true;
    }
  }
  if (stale_claim) env_.HitProbe(Probe::kStaleClaimIgnored);
  ClusterNode* grand = nullptr;
  if (myself_->IsReplica() && cur_primary != nullptr && cur_primary->IsReplica())
    grand = Lookup(cur_primary->primary_name);
  // With cluster-allow-replica-migration no, follow only a sender that
  // took exactly my shard's slots: it is my shard's new primary, not
  // another shard that absorbed mine (clusterUpdateSlotsConfigWith).
  if (newly_owned_by_sender > 0 && cur_primary != nullptr &&
      cur_primary->numslots == 0 &&
      (config_.allow_replica_migration ||
       static_cast<int>(claimed.count()) == newly_owned_by_sender)) {
    // I (or my primary) lost every slot to the sender: follow it.
    TraceNodeEvent("FollowNewOwner", *sender);
    SetMyPrimary(sender);
  } else if (grand != nullptr && grand != myself_) {
    // My primary became a replica itself: follow its primary rather than
    // stay a sub-replica (clusterUpdateSlotsConfigWith's safeguard; here
    // replicas never chain, so a sub-replica would stay stale for good:
    // explore migration seed 720).
    env_.HitProbe(Probe::kFollowGrandPrimary);
    TraceNodeEvent("FollowGrandPrimary", *grand);
    SetMyPrimary(grand);
  } else {
    // Keys left in slots I no longer own are deleted
    // (the dirty-slot rule).
    // An atomic export deletes its batch this way by design, on the
    // target's TAKEN or on its PONG, whichever comes first: not the probe's.
    if (!dirty_slots.empty() && !in_atomic_handoff_ && ConfigEpochFrozenBy().empty())
      env_.HitProbe(Probe::kDirtySlotKeysDeleted);
    for (int j : dirty_slots) {
      // delKeysInSlot: each deletion is propagated to my replicas.
      auto keys = keyspace_.GetKeysInSlot(j, keyspace_.CountKeysInSlot(j));
      for (const auto& k : keys) {
        keyspace_.Delete(k);
        if (hooks_.propagate) hooks_.propagate({"DEL", k});
      }
      env_.Trace({"DirtySlotKeysDeleted", "", "",
                  "slot=" + std::to_string(j) + " keys=" + std::to_string(keys.size())});
    }
  }
}

// clusterHandleConfigEpochCollision: two primaries share a configEpoch;
// the one with the lexicographically smaller name takes a new epoch.
void Cluster::HandleConfigEpochCollision(ClusterNode* sender) {
  if (sender->config_epoch != myself_->config_epoch ||
      !sender->IsPrimary() || !myself_->IsPrimary())
    return;
  if (sender->name <= myself_->name) return;
  if (env_.BugInjected("no-epoch-collision-resolution")) return;
  // Not while an atomic migration's END is out with my configEpoch: the
  // target claims the batch at max(that epoch, what it knows) + 1, and a
  // bump now could put my epoch at or above its claim, so my stale claim
  // would win back the slots and the target's keys would go as dirty
  // (the race pinned by scenarios/atomic-handoff-epoch-bump.textproto).
  // The collision persists, so the next PING or PONG from `sender`
  // detects it again, once the hand-off has its answer.
  if (const std::string job = ConfigEpochFrozenBy(); !job.empty()) {
    env_.HitProbe(Probe::kEpochCollisionDeferred);
    env_.Trace({"ConfigEpochCollisionDeferred", PeerAddr(sender), "",
                "config_epoch=" + std::to_string(myself_->config_epoch) + " job=" + job});
    return;
  }
  current_epoch_++;
  myself_->config_epoch = current_epoch_;
  TodoSave(true);
  env_.HitProbe(Probe::kEpochCollisionResolved);
  env_.Trace({"ConfigEpochCollision", PeerAddr(sender), "",
              "new_config_epoch=" + std::to_string(current_epoch_)});
}

// clusterUpdateState.
int Cluster::NeededQuorum() const {
  // A strict majority of the slot-owning primaries. The bug zoo's
  // off-by-one takes half (at least 1): either half of a split cluster,
  // a lone primary included, then thinks it has a majority.
  if (env_.BugInjected("failover-without-majority")) return std::max(1, size_ / 2);
  return size_ / 2 + 1;
}

void Cluster::UpdateState() {
  constexpr int64_t kWritableDelayMs = 2000;  // CLUSTER_WRITABLE_DELAY
  const int64_t now = env_.NowMs();
  todo_update_state_ = false;
  if (first_update_state_ms_ == 0) first_update_state_ms_ = now;
  // A primary that just started waits before it says OK, giving the
  // cluster a chance to reconfigure it.
  if (myself_->IsPrimary() && state_ == ClusterHealth::kFail &&
      now - first_update_state_ms_ < kWritableDelayMs)
    return;

  ClusterHealth new_state = ClusterHealth::kOk;
  if (config_.require_full_coverage) {
    for (int j = 0; j < kClusterSlots; ++j) {
      if (slots_[j] == nullptr || slots_[j]->Failed()) {
        new_state = ClusterHealth::kFail;
        break;
      }
    }
  }
  int size = 0, reachable = 0;
  for (const auto& [name, n] : nodes_) {
    if (n->IsPrimary() && n->numslots > 0) {
      ++size;
      if (!(n->flags & (kNodeFail | kNodePfail))) ++reachable;
    }
  }
  size_ = size;
  if (reachable < NeededQuorum() && !env_.BugInjected("minority-keeps-cluster-ok")) {
    new_state = ClusterHealth::kFail;
    among_minority_ms_ = now;
  }
  if (new_state == state_) return;
  // A primary back from the minority waits before accepting writes again.
  const int64_t rejoin_delay_ms =
      std::clamp<int64_t>(config_.node_timeout_ms, 500, 5000);
  if (new_state == ClusterHealth::kOk && myself_->IsPrimary() &&
      now - among_minority_ms_ < rejoin_delay_ms)
    return;
  state_ = new_state;
  env_.Trace({new_state == ClusterHealth::kOk ? "ClusterStateOk"
                                               : "ClusterStateFail",
              "", "",
              "size=" + std::to_string(size) +
                  " reachable=" + std::to_string(reachable)});
}

void Cluster::AfterEvent() {
  // clusterUpdateMyselfFlags: CONFIG SET may have changed
  // cluster-replica-no-failover.
  const uint32_t nofailover = config_.replica_no_failover ? uint32_t{kNodeNoFailover} : 0u;
  if ((myself_->flags & kNodeNoFailover) != nofailover) {
    myself_->flags ^= kNodeNoFailover;
    TodoSave(false);
    todo_update_state_ = true;
  }
  if (todo_handle_failover_) HandleReplicaFailover();
  if (todo_update_state_) UpdateState();
  if (todo_save_) SaveAtEndOfPass();
  if (slot_table_version_ != traced_slot_table_version_) TraceSlotView();
  // Trace this node's state whenever any part of it changed (the viewer's
  // scrubber and the checkers read these rows).
  TracedState now{myself_->IsPrimary(), myself_->primary_name, current_epoch_,
                  myself_->config_epoch, last_vote_epoch_, state_, myslots_version_,
                  nodes_.size(), open_slots_version_};
  if (traced_once_ && now == last_traced_) return;
  traced_once_ = true;
  NodeStateRecord rec;
  rec.primary = now.primary;
  rec.primary_name = now.primary_name;
  rec.current_epoch = static_cast<int64_t>(now.current_epoch);
  rec.config_epoch = static_cast<int64_t>(now.config_epoch);
  rec.last_vote_epoch = static_cast<int64_t>(now.last_vote_epoch);
  rec.state_ok = now.state == ClusterHealth::kOk;
  rec.slots = FormatSlotRanges(myself_->slots, ",");
  rec.known_nodes = static_cast<int64_t>(now.known_nodes);
  if (!migrating_slots_to_.empty() || !importing_slots_from_.empty()) {
    std::string open = OpenSlotsDescription();
    std::replace(open.begin() + 1, open.end(), ' ', ',');
    rec.open = open.substr(1);
  }
  env_.Trace({NodeStateRecord::kKind, "", "", rec.Format()});
  last_traced_ = std::move(now);
}

void Cluster::SaveAtEndOfPass() {
  if (save_at_end_of_pass_scheduled_) return;
  save_at_end_of_pass_scheduled_ = true;
  env_.AddTimer(0, "clusterBeforeSleep", [this] {
    save_at_end_of_pass_scheduled_ = false;
    if (!todo_save_) return;  // a synced save of its own came first
    SaveConfig(todo_fsync_);
    todo_save_ = todo_fsync_ = false;
  });
}

void Cluster::TraceSlotView() {
  traced_slot_table_version_ = slot_table_version_;
  // "owners=<id>,<id> ranges=0-99:0,100-200:1": each range names its owner
  // by index into `owners`, so a table of 16384 slots stays a few hundred
  // bytes. Unassigned slots are left out.
  std::vector<const ClusterNode*> owners;
  std::string ranges;
  auto owner_index = [&](const ClusterNode* n) {
    auto it = std::find(owners.begin(), owners.end(), n);
    if (it != owners.end()) return static_cast<size_t>(it - owners.begin());
    owners.push_back(n);
    return owners.size() - 1;
  };
  for (int start = 0; start < kClusterSlots;) {
    const ClusterNode* owner = slots_[start];
    int end = start;
    while (end + 1 < kClusterSlots && slots_[end + 1] == owner) ++end;
    if (owner != nullptr) {
      if (!ranges.empty()) ranges += ',';
      ranges += std::to_string(start);
      if (end != start) ranges += '-' + std::to_string(end);
      ranges += ':' + std::to_string(owner_index(owner));
    }
    start = end + 1;
  }
  std::string s = "owners=";
  for (size_t i = 0; i < owners.size(); ++i) {
    if (i > 0) s += ',';
    s += owners[i]->name;
  }
  s += " ranges=" + ranges;
  env_.Trace({"SlotView", "", "", std::move(s)});
}

bool Cluster::StartHandshake(const std::string& ip, uint16_t port,
                             uint16_t cport) {
  if (ip.empty() || ip.size() > 46 || port == 0 || cport == 0) return false;
  // Already handshaking with that address: nothing to do
  // (clusterHandshakeInProgress).
  for (const auto& [name, n] : nodes_)
    if (n->InHandshake() && n->ip == ip && n->port == port && n->cport == cport)
      return true;
  ClusterNode* n = CreateNode(RandomNodeName(), kNodeHandshake | kNodeMeet);
  n->ip = ip;
  n->port = port;
  n->cport = cport;
  TraceNodeEvent("HandshakeStart", *n);
  return true;
}

void Cluster::UpdateAnnouncedHostname(ClusterNode* node, const std::string& hostname) {
  SLOTSIM_CHECK(node != nullptr);
  SLOTSIM_CHECK(hostname.size() <= kHostnameBytesMax);
  if (node->hostname == hostname) return;
  node->hostname = hostname;
  TraceNodeEvent("HostnameChanged", *node, "hostname=" + hostname);
}

void Cluster::TraceNodeEvent(std::string_view kind, const ClusterNode& node,
                             std::string extra) {
  if (!env_.TraceEnabled()) return;
  std::string d = "node=" + node.name + " addr=" + node.ip + ":" +
                  std::to_string(node.port) + "@" + std::to_string(node.cport);
  if (!extra.empty()) d += " " + extra;
  env_.Trace({kind, PeerAddr(&node), "", std::move(d)});
}

}  // namespace slotsim
