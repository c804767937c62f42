#include "properties/data_checker.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

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

std::vector<Violation> CheckNoOpenSlots(const std::vector<const Server*>& live, int64_t now_us,
                                        const SlotExcuse& excuse,
                                        std::vector<Violation>* excused) {
  SLOTSIM_CHECK((excuse == nullptr) == (excused == nullptr));
  std::vector<Violation> out;
  for (const Server* s : live) {
    const Cluster& c = s->cluster();
    if (!c.myself().IsPrimary()) continue;
    for (const auto* open : {&c.migrating_slots(), &c.importing_slots()}) {
      const bool migrating = open == &c.migrating_slots();
      for (const auto& [slot, peer] : *open) {
        std::string message = "node " + c.myself().ip + ":" + std::to_string(c.myself().port) +
                               " still has slot " + std::to_string(slot) +
                               (migrating ? " MIGRATING to " : " IMPORTING from ") + peer->name;
        std::string why;
        if (excuse != nullptr && excuse(*s, slot, &why)) {
          excused->push_back({"no-open-slots", message + ": " + why, now_us});
          continue;
        }
        out.push_back({"no-open-slots", message, now_us});
        break;  // one per node and direction is enough
      }
    }
  }
  return out;
}

std::vector<Violation> CheckReplicasMatchPrimary(const std::vector<const Server*>& live,
                                                 const std::set<std::string>& judged,
                                                 int64_t now_us) {
  constexpr size_t kViolationsMax = 10;
  std::vector<Violation> out;
  std::map<std::string, const Server*> by_name;
  for (const Server* s : live) by_name[s->cluster().myself().name] = s;
  auto addr = [](const Server& s) {
    return s.cluster().myself().ip + ":" + std::to_string(s.cluster().myself().port);
  };
  for (const Server* r : live) {
    if (out.size() >= kViolationsMax) break;
    const ClusterNode& me = r->cluster().myself();
    if (me.IsPrimary() || !judged.count(me.name) || !judged.count(me.primary_name)) continue;
    auto pit = by_name.find(me.primary_name);
    if (pit == by_name.end() || !pit->second->cluster().myself().IsPrimary()) continue;
    const Server& p = *pit->second;
    std::string why;
    if (!r->replication().link_up()) {
      why = "its link to the primary is down";
    } else if (r->replication().replid() != p.replication().replid()) {
      why = "it follows history " + r->replication().replid().substr(0, 8) + ", the primary " +
            p.replication().replid().substr(0, 8);
    } else if (r->keyspace().SnapshotAsCommands() != p.keyspace().SnapshotAsCommands()) {
      why = "its data differs (" + std::to_string(r->keyspace().size()) + " keys, the primary " +
            std::to_string(p.keyspace().size()) + ")";
      for (int slot = 0; slot < kClusterSlots; ++slot) {
        const int64_t a = r->keyspace().CountKeysInSlot(slot);
        const int64_t b = p.keyspace().CountKeysInSlot(slot);
        if (a != b || r->keyspace().GetKeysInSlot(slot, a) != p.keyspace().GetKeysInSlot(slot, b)) {
          why += ", first in slot " + std::to_string(slot) + " (" + std::to_string(a) + " keys vs " +
                 std::to_string(b) + ")";
          break;
        }
      }
    } else {
      continue;
    }
    out.push_back({"replicas-match-primary",
                   "replica " + addr(*r) + " of " + addr(p) + " does not match it " +
                       std::to_string(kReplicaDrainUs / 1'000'000) +
                       " s after writes stopped and the cluster was quiet: " + why,
                   now_us});
  }
  return out;
}

std::vector<Violation> CheckNoStrayKeys(const std::vector<const Server*>& live, int64_t now_us,
                                        size_t violations_max, const SlotExcuse& excuse,
                                        std::vector<Violation>* excused) {
  SLOTSIM_CHECK((excuse == nullptr) == (excused == nullptr));
  std::vector<Violation> out;
  for (const Server* s : live) {
    const SlotBitmap* owned = ShardSlots(*s, live);
    if (owned == nullptr || s->keyspace().size() == 0) continue;
    const ClusterNode& me = s->cluster().myself();
    for (int slot = 0; slot < kClusterSlots && out.size() < violations_max; ++slot) {
      if (owned->test(slot)) continue;
      const int64_t n = s->keyspace().CountKeysInSlot(slot);
      if (n == 0) continue;
      std::string message = "node " + me.ip + ":" + std::to_string(me.port) + " holds " +
                            std::to_string(n) + " key(s) of slot " + std::to_string(slot) +
                            ", which its shard does not own (e.g. " +
                            s->keyspace().GetKeysInSlot(slot, 1).front() + ")";
      std::string why;
      if (excuse != nullptr && excuse(*s, slot, &why)) {
        if (excused->size() < violations_max)
          excused->push_back({"no-stray-keys", message + ": " + why, now_us});
        continue;
      }
      out.push_back({"no-stray-keys", std::move(message), now_us});
      break;  // one per node
    }
  }
  return out;
}

namespace {

// A register: a string key (SET, DEL) or one field of a hash (HSET,
// HDEL); last write wins. "" names the whole string key.
struct Register {
  std::string key, field;
  bool operator<(const Register& o) const {
    return std::tie(key, field) < std::tie(o.key, o.field);
  }
};

constexpr char kNil[] = "(nil)";

bool MayHaveApplied(const OpRecord& op) {
  return op.ambiguous || op.outcome == OpOutcome::kUnknown;
}

// The register an operation writes, and the value it writes (kNil for a
// delete); false for reads, counters and deletes that found nothing (DEL
// answering 0 changed nothing, so there is nothing to lose).
bool RegisterWrite(const OpRecord& op, Register* reg, std::string* value) {
  if (op.command == "SET") {
    *reg = {op.key, ""};
    *value = op.value;
    return true;
  }
  if (op.command == "HSET") {
    // HSET key field value: the client records the field in `field`.
    *reg = {op.key, op.field};
    *value = op.value;
    return true;
  }
  if ((op.command == "DEL" || op.command == "HDEL") &&
      ((op.outcome == OpOutcome::kOk && op.reply == "(integer) 1") || op.ambiguous ||
       op.outcome == OpOutcome::kUnknown)) {
    *reg = {op.key, op.command == "HDEL" ? op.field : ""};
    *value = kNil;
    return true;
  }
  return false;
}

// What the owner holds in the register now: a string, kNil, or a
// "(wrong type)" marker.
std::string Holds(const Server* owner, const Register& reg) {
  if (owner == nullptr) return "(no owner)";
  const Value* v = const_cast<Keyspace&>(owner->keyspace()).Find(reg.key);
  if (v == nullptr) return kNil;
  if (reg.field.empty()) return v->IsString() ? v->str() : "(a hash)";
  if (!v->IsHash()) return "(a string)";
  auto it = v->hash().find(reg.field);
  return it == v->hash().end() ? kNil : it->second;
}

const Server* OwnerOf(const std::string& key, const std::vector<const Server*>& live) {
  const int slot = KeyHashSlot(key);
  const Server* owner = nullptr;
  for (const Server* s : live)
    if (s->cluster().myself().IsPrimary() && s->cluster().myself().slots.test(slot)) owner = s;
  return owner;
}


int64_t IntegerReply(const std::string& reply, bool* ok) {
  constexpr std::string_view kPrefix = "(integer) ";
  *ok = reply.rfind(kPrefix, 0) == 0;
  if (!*ok) return 0;
  return std::stoll(reply.substr(kPrefix.size()));
}

}  // namespace

std::vector<Violation> CheckAckedWritesSurvive(const OpHistory& history,
                                               const std::vector<const Server*>& live,
                                               int64_t now_us, size_t violations_max,
                                               int wait_confirmed_min,
                                               const LossAllowedFn& loss_allowed,
                                               std::vector<AllowedLoss>* allowed_losses) {
  std::vector<Violation> out;
  const bool wait_acked_only = wait_confirmed_min > 0;
  const char* id = wait_acked_only ? "wait-acked-writes-survive" : "acked-writes-survive";
  // ---- Registers: SET/DEL keys and HSET/HDEL fields, last write wins.
  std::map<Register, const OpRecord*> last_acked;
  std::map<Register, std::vector<std::pair<const OpRecord*, std::string>>> writes;
  for (const auto& op : history.ops()) {
    Register reg;
    std::string value;
    if (!RegisterWrite(op, &reg, &value)) continue;
    writes[reg].push_back({&op, value});
    if (op.outcome != OpOutcome::kOk) continue;
    // A WAIT that timed out short of every replica confirms nothing a
    // single failover cannot lose: the promoted replica may be one it
    // did not reach.
    if (wait_acked_only && op.wait_replicas < wait_confirmed_min) continue;
    auto& last = last_acked[reg];
    if (last == nullptr || op.complete_us > last->complete_us) last = &op;
  }
  std::vector<std::pair<Register, std::string>> in_flight;
  for (const auto& [token, op] : history.in_flight()) {
    Register reg;
    std::string value;
    if (op.command == "DEL" || op.command == "HDEL") {
      in_flight.push_back({{op.key, op.command == "HDEL" ? op.field : ""}, kNil});
    } else if (RegisterWrite(op, &reg, &value)) {
      in_flight.push_back({reg, value});
    }
  }
  for (const auto& [reg, acked] : last_acked) {
    if (out.size() >= violations_max) break;
    // A write may have been applied after the acknowledged one if it was
    // not answered before that one was invoked, or may have been applied
    // unanswered (an ambiguous attempt, or still in flight at the end).
    std::string acked_value;
    Register unused;
    RegisterWrite(*acked, &unused, &acked_value);
    std::set<std::string> allowed = {acked_value};
    for (const auto& [op, value] : writes[reg])
      if (MayHaveApplied(*op) || (op->outcome == OpOutcome::kOk && op->complete_us > acked->invoke_us))
        allowed.insert(value);
    for (const auto& [r, value] : in_flight)
      if (!(r < reg) && !(reg < r)) allowed.insert(value);
    const Server* owner = OwnerOf(reg.key, live);
    const std::string have = Holds(owner, reg);
    if (owner != nullptr && allowed.count(have)) continue;
    const int slot = KeyHashSlot(reg.key);
    std::string why_not;
    if (loss_allowed) {
      std::string cause = loss_allowed(*acked, slot, &why_not);
      if (!cause.empty()) {
        if (allowed_losses) allowed_losses->push_back({acked, slot, std::move(cause)});
        continue;
      }
    }
    const std::string what = acked->command + " " + reg.key +
                              (reg.field.empty() ? "" : " " + reg.field) +
                              (acked_value == kNil ? "" : " \"" + acked_value + "\"");
    out.push_back({id,
                   what + " (slot " + std::to_string(slot) + ") acknowledged at " +
                       std::to_string(acked->complete_us / 1000) + " ms" +
                       (wait_acked_only ? " (WAIT confirmed " +
                                              std::to_string(acked->wait_replicas) + " replica(s))"
                                        : std::string()) +
                       ", the owner has " + have + (why_not.empty() ? "" : "; " + why_not),
                   now_us});
  }
  if (wait_acked_only) return out;
  // ---- Counters: INCR only. The value now must be at least every
  // acknowledged result whose loss no window allows (increments only go
  // up), and at most the number of increments that may have run.
  std::map<std::string, std::vector<const OpRecord*>> incrs;
  std::map<std::string, int64_t> attempted;
  // Each unanswered attempt may have run, and so may the last one of an
  // operation still in flight at the end.
  for (const auto& op : history.ops())
    if (op.command == "INCR") {
      incrs[op.key].push_back(&op);
      attempted[op.key] += op.unanswered + (op.outcome == OpOutcome::kOk ? 1 : 0);
    }
  for (const auto& [token, op] : history.in_flight())
    if (op.command == "INCR") attempted[op.key] += op.unanswered + 1;
  for (auto& [key, ops] : incrs) {
    if (out.size() >= violations_max) break;
    const Server* owner = OwnerOf(key, live);
    const std::string have = Holds(owner, {key, ""});
    int64_t value = 0;
    if (have != kNil) {
      try {
        value = std::stoll(have);
      } catch (...) {
        value = -1;
      }
    }
    const int slot = KeyHashSlot(key);
    // No node serves the key: every acknowledged increment is out of
    // reach, and each must be forgiven on its own.
    if (owner == nullptr && loss_allowed) {
      std::vector<AllowedLoss> forgiven;
      bool all = true;
      for (const OpRecord* op : ops) {
        if (op->outcome != OpOutcome::kOk) continue;
        std::string why_not;
        std::string cause = loss_allowed(*op, slot, &why_not);
        if (cause.empty()) {
          all = false;
          break;
        }
        forgiven.push_back({op, slot, std::move(cause)});
      }
      if (all) {
        if (allowed_losses)
          allowed_losses->insert(allowed_losses->end(), forgiven.begin(), forgiven.end());
        continue;
      }
    }
    if (owner == nullptr || value < 0 || value > attempted[key]) {
      out.push_back({id,
                     "INCR " + key + " (slot " + std::to_string(slot) + "): the owner has " +
                         have + " after at most " + std::to_string(attempted[key]) +
                         " increments",
                     now_us});
      continue;
    }
    // The highest acknowledged result above what is there, not forgiven.
    std::vector<std::pair<int64_t, const OpRecord*>> results;
    for (const OpRecord* op : ops) {
      bool ok = false;
      const int64_t r = op->outcome == OpOutcome::kOk ? IntegerReply(op->reply, &ok) : 0;
      if (ok && r > value) results.push_back({r, op});
    }
    std::sort(results.begin(), results.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [r, op] : results) {
      std::string why_not;
      std::string cause = loss_allowed ? loss_allowed(*op, slot, &why_not) : std::string();
      if (!cause.empty()) {
        if (allowed_losses) allowed_losses->push_back({op, slot, std::move(cause)});
        continue;
      }
      out.push_back({id,
                     "INCR " + key + " (slot " + std::to_string(slot) + ") answered " +
                         std::to_string(r) + " at " + std::to_string(op->complete_us / 1000) +
                         " ms, the owner has " + have + (why_not.empty() ? "" : "; " + why_not),
                     now_us});
      break;
    }
  }
  return out;
}

std::vector<Violation> CheckReads(const OpHistory& history, const LossAllowedFn& loss_allowed,
                                  int64_t now_us, size_t violations_max) {
  std::vector<Violation> out;
  // Every value a write may have put in each register.
  std::map<Register, std::set<std::string>> written;
  std::map<Register, std::vector<const OpRecord*>> writes;
  auto note = [&](const OpRecord& op) {
    if (op.outcome == OpOutcome::kError && !op.ambiguous) return;  // never applied
    Register reg;
    std::string value;
    if (RegisterWrite(op, &reg, &value)) written[reg].insert(value);
  };
  for (const auto& op : history.ops()) {
    note(op);
    Register reg;
    std::string value;
    if (RegisterWrite(op, &reg, &value)) writes[reg].push_back(&op);
  }
  for (const auto& [token, op] : history.in_flight()) note(op);
  for (const auto& op : history.ops()) {
    if (out.size() >= violations_max) break;
    if (op.outcome != OpOutcome::kOk || (op.command != "GET" && op.command != "HGET")) continue;
    const Register reg{op.key, op.command == "HGET" ? op.field : ""};
    // The reply as a value: a bulk string "\"v\"" or (nil).
    std::string got = op.reply;
    if (got.size() >= 2 && got.front() == '"' && got.back() == '"') got = got.substr(1, got.size() - 2);
    const int slot = KeyHashSlot(op.key);
    if (got != kNil && !written[reg].count(got)) {
      out.push_back({"reads-return-written-values",
                     op.command + " " + op.key + (reg.field.empty() ? "" : " " + reg.field) +
                         " on " + op.node + " at " + std::to_string(op.complete_us / 1000) +
                         " ms returned \"" + got + "\", which no write ever wrote",
                     op.complete_us});
      continue;
    }
    // The last write the same node acknowledged before the read began.
    const OpRecord* last = nullptr;
    for (const OpRecord* w : writes[reg])
      if (w->outcome == OpOutcome::kOk && w->node == op.node && w->complete_us < op.invoke_us &&
          (last == nullptr || w->complete_us > last->complete_us))
        last = w;
    if (last == nullptr) continue;
    std::string last_value;
    Register unused;
    RegisterWrite(*last, &unused, &last_value);
    if (got == last_value) continue;
    // ... or anything written concurrently with or after it.
    // That is: a write of the value read that may have taken effect
    // after `last` (not answered before `last` began) and before the read
    // ended.
    bool explained = false;
    for (const OpRecord* w : writes[reg]) {
      std::string v;
      RegisterWrite(*w, &unused, &v);
      if (w == last || v != got) continue;
      if (w->outcome == OpOutcome::kError && !w->ambiguous) continue;
      const bool after_last = MayHaveApplied(*w) || w->complete_us > last->invoke_us;
      explained |= after_last && w->invoke_us < op.complete_us;
    }
    if (explained) continue;
    std::string why_not;
    if (loss_allowed && !loss_allowed(*last, slot, &why_not).empty()) continue;
    out.push_back({"reads-not-stale",
                   op.command + " " + op.key + (reg.field.empty() ? "" : " " + reg.field) +
                       " on " + op.node + " at " + std::to_string(op.invoke_us / 1000) +
                       " ms returned " + (got == kNil ? got : "\"" + got + "\"") +
                       ", older than the write it acknowledged at " +
                       std::to_string(last->complete_us / 1000) + " ms (" + last->command +
                       (last_value == kNil ? "" : " \"" + last_value + "\"") +
                       "), and no window lets that write be lost",
                   op.invoke_us});
  }
  return out;
}

}  // namespace slotsim
