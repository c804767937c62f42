// Native slot migration's cluster side (cluster.c CLUSTER SETSLOT and
// CLUSTER FORGET), and the open-slot state that only this node knows:
// Redis persists it in nodes.conf for myself and never replicates it, so a
// failover in the middle of a migration loses it (redis #6339).
#include <algorithm>
#include <charconv>

#include "engine/check.h"
#include "engine/cluster.h"
#include "engine/text.h"

namespace slotsim {
namespace {

constexpr int64_t kBlacklistTtlMs = 60'000;  // CLUSTER_BLACKLIST_TTL
constexpr size_t kBlacklistMax = 16384;      // a named limit; Redis has none


bool ParseSlotNumber(std::string_view s, int* slot) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v >= kClusterSlots)
    return false;
  *slot = v;
  return true;
}

}  // namespace

// CLUSTER SETSLOT <slot> MIGRATING <node> | IMPORTING <node> | STABLE |
// NODE <node>, with Redis 7.0's checks and texts.
void Cluster::CommandSetSlot(const std::vector<std::string>& argv, std::string* out) {
  const size_t argc = argv.size();
  if (myself_->IsReplica()) {
    resp::AppendError(out, "ERR Please use SETSLOT only with masters.");
    return;
  }
  int slot;
  if (!ParseSlotNumber(argv[2], &slot)) {
    resp::AppendError(out, "ERR Invalid or out of range slot");
    return;
  }
  const std::string action = Lower(argv[3]);
  auto lookup_primary = [&](const std::string& name, const char* unknown_fmt) -> ClusterNode* {
    ClusterNode* n = Lookup(name);
    if (n == nullptr) {
      resp::AppendError(out, std::string("ERR ") + unknown_fmt + name);
      return nullptr;
    }
    if (n->IsReplica()) {
      resp::AppendError(out, "ERR Target node is not a master");
      return nullptr;
    }
    return n;
  };
  if (action == "migrating" && argc == 5) {
    if (slots_[slot] != myself_) {
      resp::AppendError(out, "ERR I'm not the owner of hash slot " + std::to_string(slot));
      return;
    }
    ClusterNode* n = lookup_primary(argv[4], "I don't know about node ");
    if (n == nullptr) return;
    migrating_slots_to_[slot] = n;
  } else if (action == "importing" && argc == 5) {
    if (slots_[slot] == myself_) {
      resp::AppendError(out, "ERR I'm already the owner of hash slot " + std::to_string(slot));
      return;
    }
    ClusterNode* n = lookup_primary(argv[4], "I don't know about node ");
    if (n == nullptr) return;
    importing_slots_from_[slot] = n;
  } else if (action == "stable" && argc == 4) {
    importing_slots_from_.erase(slot);
    migrating_slots_to_.erase(slot);
  } else if (action == "node" && argc == 5) {
    ClusterNode* n = lookup_primary(argv[4], "Unknown node ");
    if (n == nullptr) return;
    // Closing an import on myself bumps my configEpoch (below). During an
    // atomic migration's hand-off that bump would put my epoch at or above
    // the target's claim of the batch. The server postpones the command
    // until the hand-off's answer (WaitsForFrozenEpoch); a caller that
    // gets here anyway is refused before anything changes.
    if (n == myself_ && importing_slots_from_.count(slot) &&
        !env_.BugInjected("setslot-node-without-bump")) {
      if (const std::string job = ConfigEpochFrozenBy(); !job.empty()) {
        resp::AppendError(out, ConfigEpochFrozenError(job));
        return;
      }
    }
    const int64_t keys = keyspace_.CountKeysInSlot(slot);
    if (slots_[slot] == myself_ && n != myself_ && keys != 0) {
      resp::AppendError(out, "ERR Can't assign hashslot " + std::to_string(slot) +
                                 " to a different node while I still hold keys for "
                                 "this hash slot.");
      return;
    }
    // A migrating slot with no keys left closes when it is given away.
    if (keys == 0) migrating_slots_to_.erase(slot);
    const bool slot_was_mine = slots_[slot] == myself_;
    DelSlot(slot);
    AddSlot(n, slot);
    TraceNodeEvent("SetSlotNode", *n, "slot=" + std::to_string(slot));
    // A primary left without slots follows the new owner
    // (cluster-allow-replica-migration, on by default).
    if (slot_was_mine && n != myself_ && myself_->numslots == 0) {
      SetMyPrimary(n);
      TodoSave(true);
    }
    // Closing an import on myself: a new epoch, without consensus, so the
    // new ownership wins everywhere, and an immediate PONG to everyone
    // carrying it. The bump is conditional: a node whose configEpoch is
    // already the unique maximum keeps it (redis #3442's root).
    if (n == myself_ && importing_slots_from_.count(slot)) {
      if (!env_.BugInjected("setslot-node-without-bump") && BumpConfigEpochWithoutConsensus())
        env_.HitProbe(Probe::kSetSlotNodeEpochBump);
      importing_slots_from_.erase(slot);
      open_slots_version_++;
      BroadcastPong(false);
      stats_.handoff_broadcasts++;
    }
  } else {
    resp::AppendError(out,
                      "ERR Invalid CLUSTER SETSLOT action or number of arguments. "
                      "Try CLUSTER HELP");
    return;
  }
  open_slots_version_++;
  // Open-slot changes are saved but not fsynced (REDIS_CLUSTER_NOTES §8).
  TodoSave(false);
  todo_update_state_ = true;
  resp::AppendSimple(out, "OK");
}

uint64_t Cluster::AtomicTakeOver(const SlotBitmap& slots, uint64_t source_config_epoch) {
  SLOTSIM_CHECK(myself_->IsPrimary());
  // Unlike SETSLOT NODE's conditional bump (redis #3442), the new epoch
  // must beat the source's even if this node's view of it is stale.
  uint64_t max_epoch = source_config_epoch;
  for (const auto& [name, n] : nodes_)
    if (n.get() != myself_) max_epoch = std::max(max_epoch, n->config_epoch);
  if (myself_->config_epoch <= max_epoch) {
    current_epoch_ = std::max(current_epoch_, max_epoch) + 1;
    myself_->config_epoch = current_epoch_;
    env_.Trace({"ConfigEpochBumped", "", "",
                "config_epoch=" + std::to_string(myself_->config_epoch) + " cause=atomic"});
  }
  for (int j = 0; j < kClusterSlots; ++j) {
    if (!slots.test(j) || slots_[j] == myself_) continue;
    DelSlot(j);
    AddSlot(myself_, j);
  }
  TodoSave(true);
  todo_update_state_ = true;
  BroadcastPong(false);
  stats_.handoff_broadcasts++;
  return myself_->config_epoch;
}

void Cluster::AtomicHandOff(const std::string& target_name, const SlotBitmap& slots,
                            uint64_t target_epoch) {
  ClusterNode* target = Lookup(target_name);
  if (target == nullptr || !target->IsPrimary()) return;  // gossip will tell
  if (target->config_epoch < target_epoch) {
    target->config_epoch = target_epoch;
    if (current_epoch_ < target_epoch) current_epoch_ = target_epoch;
  }
  // The target's whole claim, as a real UPDATE carries it: with the
  // batch alone, UpdateSlotsConfigWith would take the target's other
  // slots for unclaimed (owner_not_claiming_slot), and a later stale
  // PONG could rebind one of them below its new owner's epoch (explore
  // migration seed 566).
  in_atomic_handoff_ = true;
  UpdateSlotsConfigWith(target, target_epoch, target->slots | slots);
  in_atomic_handoff_ = false;
}

void Cluster::AtomicKeepSlots(const std::string& target_name, uint64_t target_epoch) {
  if (!myself_->IsPrimary() || myself_->config_epoch > target_epoch) return;
  if (const std::string job = ConfigEpochFrozenBy(); !job.empty()) {
    env_.Trace({"ConfigEpochBumpDeferred", "", "",
                "config_epoch=" + std::to_string(myself_->config_epoch) + " job=" + job +
                    " above=" + target_name + ":" + std::to_string(target_epoch)});
    return;
  }
  current_epoch_ = std::max(current_epoch_, target_epoch) + 1;
  myself_->config_epoch = current_epoch_;
  env_.Trace({"ConfigEpochBumped", "", "",
              "config_epoch=" + std::to_string(myself_->config_epoch) + " cause=atomic-abort"});
  TodoSave(true);
  todo_update_state_ = true;
  BroadcastPong(false);
}

// CLUSTER FORGET <node>.
void Cluster::CommandForget(const std::vector<std::string>& argv, std::string* out) {
  ClusterNode* n = Lookup(argv[2]);
  if (n == nullptr) {
    resp::AppendError(out, "ERR Unknown node " + argv[2]);
    return;
  }
  if (n == myself_) {
    resp::AppendError(out, "ERR I tried hard but I can't forget myself...");
    return;
  }
  if (myself_->IsReplica() && myself_->primary_name == n->name) {
    resp::AppendError(out, "ERR Can't forget my master!");
    return;
  }
  BlacklistAdd(n->name);
  DelNode(n);
  todo_update_state_ = true;
  TodoSave(false);
  resp::AppendSimple(out, "OK");
}

void Cluster::Reset(bool hard) {
  if (myself_->IsReplica()) {
    SetNodeAsPrimary(myself_);
    if (hooks_.become_primary) hooks_.become_primary();
    keyspace_.Clear();  // emptyData: a replica's copy is not ours to keep
  }
  // clusterCloseAllSlots.
  if (!migrating_slots_to_.empty() || !importing_slots_from_.empty()) {
    migrating_slots_to_.clear();
    importing_slots_from_.clear();
    open_slots_version_++;
  }
  ResetManualFailover();
  for (int j = 0; j < kClusterSlots; ++j) DelSlot(j);
  std::vector<ClusterNode*> others;
  for (const auto& [name, n] : nodes_)
    if (n.get() != myself_) others.push_back(n.get());
  for (ClusterNode* n : others) DelNode(n);
  if (hard) {
    current_epoch_ = 0;
    last_vote_epoch_ = 0;
    myself_->config_epoch = 0;
    RenameNode(myself_, RandomNodeName());
    // The one way a node may take a new identity (properties/identity_checker.h).
    TraceNodeEvent("ResetHard", *myself_);
  }
  todo_update_state_ = true;
  TodoSave(true);
}

void Cluster::BlacklistAdd(const std::string& name) {
  const int64_t now = env_.NowMs();
  for (auto it = blacklist_.begin(); it != blacklist_.end();)
    it = it->second < now ? blacklist_.erase(it) : std::next(it);
  if (blacklist_.size() >= kBlacklistMax) blacklist_.erase(blacklist_.begin());
  blacklist_[name] = now + kBlacklistTtlMs;
}

bool Cluster::Blacklisted(const std::string& name) {
  auto it = blacklist_.find(name);
  if (it == blacklist_.end()) return false;
  if (it->second < env_.NowMs()) {
    blacklist_.erase(it);
    return false;
  }
  return true;
}

bool Cluster::WaitsForFrozenEpoch(const std::vector<std::string>& argv) const {
  if (argv.size() < 2 || ConfigEpochFrozenBy().empty()) return false;
  const std::string sub = Lower(argv[1]);
  if (sub == "bumpepoch") return argv.size() == 2;
  int slot = 0;
  return sub == "setslot" && argv.size() == 5 && Lower(argv[3]) == "node" &&
         ParseSlotNumber(argv[2], &slot) && argv[4] == myself_->name &&
         importing_slots_from_.count(slot) && !env_.BugInjected("setslot-node-without-bump");
}

std::string Cluster::OpenSlotsDescription() const {
  std::string s;
  for (const auto& [slot, n] : migrating_slots_to_)
    s += " [" + std::to_string(slot) + "->-" + n->name + "]";
  for (const auto& [slot, n] : importing_slots_from_)
    s += " [" + std::to_string(slot) + "-<-" + n->name + "]";
  return s;
}

bool Cluster::LoadOpenSlot(const std::string& token) {
  // "[slot->-name]" or "[slot-<-name]" (clusterLoadConfig).
  if (token.size() < 3 || token.front() != '[' || token.back() != ']') return false;
  std::string_view body(token);
  body = body.substr(1, body.size() - 2);
  size_t dash = body.find('-');
  if (dash == std::string_view::npos || dash + 2 >= body.size()) return false;
  int slot;
  if (!ParseSlotNumber(body.substr(0, dash), &slot)) return false;
  const char dir = body[dash + 1];
  if ((dir != '>' && dir != '<') || body[dash + 2] != '-') return false;
  std::string name(body.substr(dash + 3));
  // A damaged name is a corrupt config, not a CHECK in CreateNode (found
  // by tests/loader_fuzz_test.cc).
  if (!IsValidNodeName(name)) return false;
  ClusterNode* n = Lookup(name);
  if (n == nullptr) n = CreateNode(name, 0);  // as Redis does
  (dir == '>' ? migrating_slots_to_ : importing_slots_from_)[slot] = n;
  open_slots_version_++;
  return true;
}

}  // namespace slotsim
