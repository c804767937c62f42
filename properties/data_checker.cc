#include "properties/data_checker.h"

#include <map>
#include <set>

namespace slotsim {
namespace {

// The slots of the shard a live node belongs to: its own if primary, else
// those of the primary at the root of its replication chain (a replica
// whose primary was demoted keeps replicating through it: chained
// replication, as in Redis). Null when the chain leads to a node that is
// not running.
const SlotBitmap* ShardSlots(const Server& s, const std::vector<const Server*>& live) {
  const ClusterNode* node = &s.cluster().myself();
  // A chain is at most as long as the cluster; a longer one is a loop.
  for (size_t hops = 0; hops <= live.size(); ++hops) {
    if (node->IsPrimary()) return &node->slots;
    const ClusterNode* next = nullptr;
    for (const Server* p : live)
      if (p->cluster().myself().name == node->primary_name) next = &p->cluster().myself();
    if (next == nullptr) return nullptr;
    node = next;
  }
  return nullptr;
}

}  // namespace

std::vector<Violation> CheckDistinctConfigEpochs(const std::vector<const Server*>& live,
                                                 int64_t now_us) {
  std::vector<Violation> out;
  std::map<uint64_t, const ClusterNode*> seen;
  for (const Server* s : live) {
    const ClusterNode& me = s->cluster().myself();
    if (!me.IsPrimary() || me.numslots == 0) continue;
    auto [it, fresh] = seen.emplace(me.config_epoch, &me);
    if (!fresh)
      out.push_back({"primary-config-epochs-distinct",
                     "primaries " + it->second->ip + ":" + std::to_string(it->second->port) +
                         " and " + me.ip + ":" + std::to_string(me.port) +
                         " share configEpoch " + std::to_string(me.config_epoch),
                     now_us});
  }
  return out;
}

std::vector<Violation> CheckNoMemoryLeak(const std::vector<const Server*>& live,
                                         int64_t now_us) {
  std::vector<Violation> out;
  for (const Server* s : live) {
    const MemoryAccount& m = s->memory();
    if (m.transient_bytes() == 0) continue;
    const ClusterNode& me = s->cluster().myself();
    out.push_back({"no-memory-leak",
                   "node " + me.ip + ":" + std::to_string(me.port) + " still holds " +
                       std::to_string(m.transient_bytes()) +
                       " bytes of temporary allocations after the run (peak " +
                       std::to_string(m.peak_transient_bytes()) + ", " +
                       std::to_string(m.allocations()) + " allocations)",
                   now_us});
  }
  return out;
}

std::vector<Violation> CheckNoOpenSlots(const std::vector<const Server*>& live, int64_t now_us) {
  std::vector<Violation> out;
  for (const Server* s : live) {
    const Cluster& c = s->cluster();
    if (!c.myself().IsPrimary()) continue;
    for (const auto* open : {&c.migrating_slots(), &c.importing_slots()}) {
      for (const auto& [slot, peer] : *open) {
        const bool migrating = open == &c.migrating_slots();
        out.push_back({"no-open-slots",
                       "node " + c.myself().ip + ":" + std::to_string(c.myself().port) +
                           " still has slot " + std::to_string(slot) +
                           (migrating ? " MIGRATING to " : " IMPORTING from ") + peer->name,
                       now_us});
        break;  // one per node and direction is enough
      }
    }
  }
  return out;
}

std::vector<Violation> CheckNoStrayKeys(const std::vector<const Server*>& live, int64_t now_us,
                                        size_t violations_max) {
  std::vector<Violation> out;
  for (const Server* s : live) {
    const SlotBitmap* owned = ShardSlots(*s, live);
    if (owned == nullptr || s->keyspace().size() == 0) continue;
    const ClusterNode& me = s->cluster().myself();
    for (int slot = 0; slot < kClusterSlots && out.size() < violations_max; ++slot) {
      if (owned->test(slot)) continue;
      const int64_t n = s->keyspace().CountKeysInSlot(slot);
      if (n == 0) continue;
      out.push_back({"no-stray-keys",
                     "node " + me.ip + ":" + std::to_string(me.port) + " holds " +
                         std::to_string(n) + " key(s) of slot " + std::to_string(slot) +
                         ", which its shard does not own (e.g. " +
                         s->keyspace().GetKeysInSlot(slot, 1).front() + ")",
                     now_us});
      break;  // one per node
    }
  }
  return out;
}

std::vector<Violation> CheckAckedWritesSurvive(const OpHistory& history,
                                               const std::vector<const Server*>& live,
                                               int64_t now_us, size_t violations_max,
                                               bool wait_acked_only,
                                               const LossAllowedFn& loss_allowed,
                                               std::vector<AllowedLoss>* allowed_losses) {
  std::vector<Violation> out;
  // Keys written by anything but SET are out of scope (INCR, HSET, DEL
  // need a model of their own).
  std::set<std::string> other_writes;
  std::map<std::string, const OpRecord*> last_acked;
  std::map<std::string, std::vector<const OpRecord*>> sets_by_key;
  for (const auto& op : history.ops())
    if (op.command == "SET") sets_by_key[op.key].push_back(&op);
  for (const auto& op : history.ops()) {
    if (op.command != "SET" && op.command != "GET" && op.command != "HGET" &&
        op.command != "HGETALL") {
      other_writes.insert(op.key);
      continue;
    }
    if (op.command != "SET" || op.outcome != OpOutcome::kOk) continue;
    if (wait_acked_only && op.wait_replicas < 1) continue;
    auto& last = last_acked[op.key];
    if (last == nullptr || op.complete_us > last->complete_us) last = &op;
  }
  for (const auto& [token, op] : history.in_flight())
    if (op.command != "SET" && op.command != "GET" && op.command != "HGET" &&
        op.command != "HGETALL")
      other_writes.insert(op.key);
  for (const auto& [key, acked] : last_acked) {
    if (other_writes.count(key) || out.size() >= violations_max) continue;
    // A SET may have been applied after the acknowledged one if it was
    // not answered before that one was invoked, or may have been applied
    // unanswered (an ambiguous attempt, or still in flight at the end).
    std::set<std::string> allowed = {acked->value};
    for (const OpRecord* op : sets_by_key[key])
      if (op->ambiguous || op->outcome == OpOutcome::kUnknown ||
          (op->outcome == OpOutcome::kOk && op->complete_us > acked->invoke_us))
        allowed.insert(op->value);
    for (const auto& [token, op] : history.in_flight())
      if (op.key == key && op.command == "SET") allowed.insert(op.value);
    const int slot = KeyHashSlot(key);
    const Server* owner = nullptr;
    for (const Server* s : live)
      if (s->cluster().myself().IsPrimary() && s->cluster().myself().slots.test(slot)) owner = s;
    std::string have = "(no owner)";
    if (owner != nullptr) {
      const Value* v = const_cast<Keyspace&>(owner->keyspace()).Find(key);
      have = v == nullptr ? "(nil)" : v->IsString() ? v->str() : "(hash)";
      if (v != nullptr && v->IsString() && allowed.count(v->str())) continue;
    }
    std::string why_not;
    if (loss_allowed) {
      std::string cause = loss_allowed(*acked, slot, &why_not);
      if (!cause.empty()) {
        if (allowed_losses) allowed_losses->push_back({acked, slot, std::move(cause)});
        continue;
      }
    }
    out.push_back({wait_acked_only ? "wait-acked-writes-survive" : "acked-writes-survive",
                   "key " + key + " (slot " + std::to_string(slot) + "): acknowledged \"" +
                       acked->value + "\" at " + std::to_string(acked->complete_us / 1000) +
                       " ms" +
                       (wait_acked_only ? " (WAIT confirmed " +
                                              std::to_string(acked->wait_replicas) + " replica(s))"
                                        : std::string()) +
                       ", the owner has " + have +
                       (why_not.empty() ? std::string() : "; " + why_not),
                   now_us});
  }
  return out;
}

}  // namespace slotsim
