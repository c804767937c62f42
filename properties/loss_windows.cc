#include "properties/loss_windows.h"

#include <algorithm>
#include <optional>

#include "engine/check.h"
#include "engine/slot_ranges.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

// A trace is at most a few million records; a walk visits each hand-off
// once, and a slot has far fewer.
constexpr int kHandOffsMax = 100'000;

std::string Ms(int64_t us) { return std::to_string(us / 1000) + " ms"; }
std::string Node(int machine) { return "node" + std::to_string(machine); }

template <typename T>
T ParseOrDie(const TraceRecord& r) {
  std::string err;
  auto parsed = T::Parse(r.details, &err);
  SLOTSIM_CHECK_MSG(parsed.has_value(), err.c_str());
  return std::move(*parsed);
}

// The first (seq, time) pair in `v` after `seq`, or nullptr.
const std::pair<int64_t, int64_t>* FirstAfter(const std::vector<std::pair<int64_t, int64_t>>* v,
                                              int64_t seq) {
  if (v == nullptr) return nullptr;
  for (const auto& e : *v)
    if (e.first > seq) return &e;
  return nullptr;
}

}  // namespace

void LossWindows::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  if (r.kind == "Crash") {
    crashes_[r.node].push_back({r.seq, r.time_us});
  } else if (r.kind == "Restart") {
    restarts_[r.node].push_back({r.seq, r.time_us});
  } else if (r.kind == "DiskDamaged") {
    damaged_[r.node].push_back(r.seq);
  } else if (r.kind == WriteRecord::kKind) {
    WriteRecord w = ParseOrDie<WriteRecord>(r);
    writes_[{r.node, w.key}].push_back({r.seq, r.time_us, w.digest, w.replid, w.offset});
  } else if (r.kind == ReplPromotedRecord::kKind) {
    ReplPromotedRecord p = ParseOrDie<ReplPromotedRecord>(r);
    promotions_[r.node].push_back({r.seq, r.time_us, r.peer, p.replid, p.replid2,
                                   p.second_offset});
  } else if (r.kind == ReplStartedRecord::kKind) {
    started_[r.node].push_back({r.seq, r.time_us, ParseOrDie<ReplStartedRecord>(r).replid, 0});
  } else if (r.kind == AofSyncedRecord::kKind) {
    AofSyncedRecord a = ParseOrDie<AofSyncedRecord>(r);
    synced_[r.node].push_back({r.seq, r.time_us, a.replid, a.offset});
  } else if (r.kind == SlotMigrationRecord::kFailed) {
    const SlotMigrationRecord m = ParseOrDie<SlotMigrationRecord>(r);
    if (m.role != "import") return;
    auto slots = ParseSlotRanges(m.slots);
    SLOTSIM_CHECK_MSG(slots.has_value(), "SlotMigrationFailed: malformed slots");
    import_failures_[r.node].push_back({r.seq, *slots});
  } else if (r.kind == SlotMigrationRecord::kImportTakeover) {
    const SlotMigrationRecord m = ParseOrDie<SlotMigrationRecord>(r);
    auto slots = ParseSlotRanges(m.slots);
    SLOTSIM_CHECK_MSG(slots.has_value() && m.end_offset && m.replicas,
                      "SlotImportTakeover: malformed slots, or no end_offset/replicas");
    atomic_takeovers_[r.node].push_back({r.seq, r.time_us, *slots, *m.end_offset, *m.replicas});
  } else if (r.kind == NodeStateRecord::kKind) {
    NodeStateRecord n = ParseOrDie<NodeStateRecord>(r);
    Claim c{r.seq, r.time_us, r.node, n.primary, n.config_epoch, {}};
    if (n.primary) {
      auto parsed = ParseSlotRanges(n.slots);
      SLOTSIM_CHECK_MSG(parsed.has_value(), "NodeState: malformed slots");
      c.slots = *parsed;
    }
    auto it = last_claim_.find(r.node);
    if (it != last_claim_.end() && it->second.primary == c.primary &&
        it->second.config_epoch == c.config_epoch && it->second.slots == c.slots)
      return;
    last_claim_[r.node] = c;
    claims_.push_back(std::move(c));
  }
}

std::vector<LossWindows::Transition> LossWindows::OwnerTimeline(int slot) const {
  // The owner is the claimant with the highest configEpoch, as every node
  // that hears all claims ends up deciding (clusterUpdateSlotsConfigWith:
  // only a strictly higher epoch takes a slot over). A crashed node's
  // claim stands until someone claims above it.
  std::map<int, int64_t> claiming;  // machine -> its configEpoch
  std::vector<Transition> out;
  int owner = -1;
  for (const Claim& c : claims_) {
    const bool claims = c.primary && c.slots.test(static_cast<size_t>(slot));
    const bool before = claiming.count(c.machine) > 0;
    if (!claims && !before) continue;
    if (claims) claiming[c.machine] = c.config_epoch;
    else claiming.erase(c.machine);
    int best = -1;
    int64_t best_epoch = -1;
    for (const auto& [m, e] : claiming)
      if (e > best_epoch || (e == best_epoch && m == owner)) best = m, best_epoch = e;
    if (best != owner) {
      owner = best;
      out.push_back({c.seq, c.time_us, owner, best_epoch});
    }
  }
  return out;
}

std::pair<int, const LossWindows::Claim*> LossWindows::StaleAt(int acker, int slot,
                                                               int64_t seq) const {
  std::map<int, const Claim*> latest;
  for (const Claim& c : claims_) {
    if (c.seq > seq) break;
    latest[c.machine] = &c;
  }
  auto mine = latest.find(acker);
  if (mine == latest.end() || !mine->second->primary ||
      !mine->second->slots.test(static_cast<size_t>(slot)))
    return {-1, nullptr};  // not claiming: e.g. importing it (ASKING)
  for (const auto& [m, c] : latest)
    if (m != acker && c->primary && c->slots.test(static_cast<size_t>(slot)) &&
        c->config_epoch > mine->second->config_epoch)
      return {m, c};
  return {-1, nullptr};
}

bool LossWindows::FollowCrash(Copy* copy, int64_t crash_seq, int64_t crash_us,
                              int64_t next_transition_seq, std::string* allowed,
                              std::string* why_not) const {
  auto rit = restarts_.find(copy->machine);
  const auto* restart = FirstAfter(rit == restarts_.end() ? nullptr : &rit->second, crash_seq);
  if (restart == nullptr || restart->first > next_transition_seq) {
    if (next_transition_seq != INT64_MAX) return true;  // a takeover decides
    *allowed = Node(copy->machine) + " crashed at " + Ms(crash_us) +
               " and never came back, and nobody took its slot over (unavailable)";
    return false;
  }
  // Back before anyone took over: the node is what its disk kept, unless
  // the disk was damaged while it was down (a fault that breaks the
  // disk's promise, not the engine's: Step.damage_file).
  if (auto dit = damaged_.find(copy->machine); dit != damaged_.end()) {
    for (int64_t seq : dit->second)
      if (seq > crash_seq && seq < restart->first) {
        *allowed = Node(copy->machine) + " crashed at " + Ms(crash_us) +
                   " and its disk was damaged before it restarted";
        return false;
      }
  }
  bool durable = policy_.appendonly && policy_.fsync_always;
  std::string last_sync = "no fsync";
  if (policy_.appendonly && !policy_.fsync_always) {
    // Offsets count on within one incarnation (a promotion keeps them);
    // a restart starts a new stream at 0.
    int64_t incarnation_seq = -1;
    for (const auto& [seq, us] : rit->second)
      if (seq < crash_seq) incarnation_seq = seq;
    auto sit = synced_.find(copy->machine);
    if (sit != synced_.end())
      for (const Marker& m : sit->second) {
        if (m.seq > crash_seq) break;
        if (m.seq < incarnation_seq) continue;
        // A full resync or a promotion starts another history whose
        // offsets say nothing of this one's (explore faults seed 427: a
        // fsync of an older, longer history seemed to cover the write).
        if (!SameHistory(*copy, m)) continue;
        last_sync = "the last fsync covered offset " + std::to_string(m.offset);
        durable |= m.offset >= copy->offset;
      }
  }
  if (!durable) {
    *allowed = Node(copy->machine) + " crashed at " + Ms(crash_us) +
               (policy_.appendonly ? " before fsyncing offset " + std::to_string(copy->offset) +
                                         " (" + last_sync + ")"
                                   : " with no AOF") +
               " and restarted from its disk";
    return false;
  }
  // Its new history starts at offset 0 with the data loaded from disk.
  auto started = started_.find(copy->machine);
  std::string replid;
  if (started != started_.end())
    for (const Marker& m : started->second)
      if (m.seq > restart->first) {
        replid = m.replid;
        break;
      }
  *copy = {copy->machine, replid, 0, restart->first};
  (void)why_not;
  return true;
}

bool LossWindows::FollowTransition(Copy* copy, const Transition& t, const std::string& key,
                                   int slot, std::string* allowed, std::string* why_not) const {
  SLOTSIM_CHECK(t.owner >= 0 && t.owner != copy->machine);
  // A failover: the new owner was promoted from a replica of the holder.
  auto pit = promotions_.find(t.owner);
  if (pit != promotions_.end()) {
    const Promotion* p = nullptr;
    for (const Promotion& cand : pit->second)
      if (cand.seq > copy->seq && cand.seq <= t.seq && cand.former == copy->machine) p = &cand;
    if (p != nullptr) {
      if (p->replid2 != copy->replid) {
        *allowed = "failover at " + Ms(p->time_us) + ": " + Node(t.owner) +
                   " was promoted following history " + p->replid2.substr(0, 8) + ", not " +
                   Node(copy->machine) + "'s " + copy->replid.substr(0, 8) +
                   " that holds the write";
        return false;
      }
      if (copy->offset >= p->second_offset) {
        const AtomicTakeover* a = PromisedByTakeover(copy->machine, slot,
                                                     copy->offset, copy->seq, p->seq);
        // A replica that crashed since may have lost what it acknowledged.
        auto crashed = crashes_.find(t.owner);
        if (a != nullptr && crashed != crashes_.end())
          for (const auto& [seq, us] : crashed->second)
            if (seq > a->seq && seq < p->seq) a = nullptr;
        if (a != nullptr) {
          *why_not = Node(copy->machine) + " took slot " + std::to_string(slot) +
                     " over atomically at " + Ms(a->time_us) +
                     " with one replica attached, so only once it had acknowledged offset " +
                     std::to_string(a->end_offset) + "; yet " + Node(t.owner) +
                     " had processed only " + std::to_string(p->second_offset - 1) +
                     " when promoted at " + Ms(p->time_us) + " (the write is at " +
                     std::to_string(copy->offset) + ")";
          return false;
        }
        *allowed = "failover at " + Ms(p->time_us) + ": offset " +
                   std::to_string(copy->offset) + " > " + Node(t.owner) +
                   "'s processed offset " + std::to_string(p->second_offset - 1) +
                   " at its promotion (asynchronous replication)";
        return false;
      }
      *copy = {t.owner, p->replid, copy->offset, t.seq};
      return true;
    }
  }
  // A migration: the new owner loaded the key after the copy was made.
  auto wit = writes_.find({t.owner, key});
  if (wit != writes_.end())
    for (const WriteEntry& e : wit->second)
      if (e.seq > copy->seq && e.seq <= t.seq) {
        *copy = {t.owner, e.replid, e.offset, e.seq};
        return true;
      }
  *why_not = "slot passed from " + Node(copy->machine) + " to " + Node(t.owner) + " at " +
             Ms(t.time_us) + " (configEpoch " + std::to_string(t.epoch) +
             ") by neither a promotion of its replica nor a migration of the key";
  (void)allowed;
  return false;
}

std::optional<LossWindows::Copy> LossWindows::ImportedBefore(const Copy& copy,
                                                            const std::string& key, int slot,
                                                            int64_t before_seq) const {
  std::optional<Copy> first;
  for (const auto& [where, entries] : writes_) {
    if (where.second != key || where.first == copy.machine) continue;
    for (const WriteEntry& e : entries) {
      if (e.seq <= copy.seq || e.seq >= before_seq) continue;
      if (first && first->seq < e.seq) break;
      // Only a node that does not claim the slot imports into it; a
      // claimant writing the key is a stale primary or the owner.
      if (Claims(where.first, slot, e.seq)) continue;
      // An atomic import that failed afterwards dropped what it loaded.
      if (ImportRolledBack(where.first, slot, e.seq)) continue;
      first = Copy{where.first, e.replid, e.offset, e.seq};
      break;
    }
  }
  return first;
}

bool LossWindows::ImportRolledBack(int machine, int slot, int64_t load_seq) const {
  auto it = import_failures_.find(machine);
  if (it == import_failures_.end()) return false;
  // The first failure of an import of the slot after the load, if the
  // target did not claim the slot in between (a claim makes the keys its
  // own; the failure may come after the source crashed, so no later bound).
  for (const ImportFailure& f : it->second) {
    if (f.seq <= load_seq || !f.slots.test(static_cast<size_t>(slot))) continue;
    for (const Claim& c : claims_) {
      if (c.seq <= load_seq) continue;
      if (c.seq > f.seq) break;
      if (c.machine == machine && c.primary && c.slots.test(static_cast<size_t>(slot)))
        return false;
    }
    return true;
  }
  return false;
}

const LossWindows::AtomicTakeover* LossWindows::PromisedByTakeover(int machine, int slot,
                                                                   int64_t offset,
                                                                   int64_t after_seq,
                                                                   int64_t before_seq) const {
  auto it = atomic_takeovers_.find(machine);
  if (it == atomic_takeovers_.end()) return nullptr;
  for (const AtomicTakeover& a : it->second)
    if (a.seq > after_seq && a.seq < before_seq && a.slots.test(static_cast<size_t>(slot)) &&
        a.replicas == 1 && offset <= a.end_offset)
      return &a;
  return nullptr;
}

bool LossWindows::SameHistory(const Copy& copy, const Marker& m) const {
  if (m.replid == copy.replid) return true;
  auto pit = promotions_.find(copy.machine);
  if (pit != promotions_.end())
    for (const Promotion& p : pit->second)
      if (p.replid == copy.replid && p.replid2 == m.replid && m.offset < p.second_offset)
        return true;
  return false;
}

bool LossWindows::Claims(int machine, int slot, int64_t seq) const {
  const Claim* latest = nullptr;
  for (const Claim& c : claims_) {
    if (c.seq > seq) break;
    if (c.machine == machine) latest = &c;
  }
  return latest != nullptr && latest->primary && latest->slots.test(static_cast<size_t>(slot));
}

std::string LossWindows::LossAllowed(const AckedWrite& w, std::string* why_not) const {
  std::string not_allowed;
  if (why_not == nullptr) why_not = &not_allowed;
  // The write as the acknowledging primary applied it.
  const WriteEntry* applied = nullptr;
  auto wit = writes_.find({w.acker, w.key});
  if (wit != writes_.end())
    for (const WriteEntry& e : wit->second)
      if (e.digest == w.argv_digest && e.time_us >= w.invoke_us && e.time_us <= w.complete_us)
        applied = &e;
  if (applied == nullptr) {
    *why_not = Node(w.acker) + " acknowledged it but never traced applying it";
    return {};
  }
  if (auto [other, claim] = StaleAt(w.acker, w.slot, applied->seq); other >= 0)
    return "stale primary: " + Node(w.acker) + " acknowledged it at " + Ms(applied->time_us) +
           " after " + Node(other) + " had claimed slot " + std::to_string(w.slot) +
           " with configEpoch " + std::to_string(claim->config_epoch) + " at " +
           Ms(claim->time_us);
  Copy copy{w.acker, applied->replid, applied->offset, applied->seq};
  const std::vector<Transition> timeline = OwnerTimeline(w.slot);
  for (int steps = 0; steps < kHandOffsMax; ++steps) {
    const Transition* next = nullptr;
    for (const Transition& t : timeline)
      if (t.seq > copy.seq && t.owner >= 0 && t.owner != copy.machine) {
        next = &t;
        break;
      }
    auto cit = crashes_.find(copy.machine);
    const auto* crash = FirstAfter(cit == crashes_.end() ? nullptr : &cit->second, copy.seq);
    int64_t next_seq = next != nullptr ? next->seq : INT64_MAX;
    if (crash != nullptr) next_seq = std::min(next_seq, crash->first);
    // A native migration moves the key before the slot: MIGRATE loads it
    // on the importing node, and from then on that copy is the one.
    if (auto load = ImportedBefore(copy, w.key, w.slot, next_seq)) {
      copy = *load;
      continue;
    }
    next_seq = next != nullptr ? next->seq : INT64_MAX;
    std::string allowed;
    if (crash != nullptr && crash->first < next_seq) {
      const int64_t before = copy.seq;
      if (!FollowCrash(&copy, crash->first, crash->second, next_seq, &allowed, why_not))
        return allowed;
      if (copy.seq != before) continue;  // restarted from disk with it
    }
    if (next == nullptr) {
      *why_not = "the write (offset " + std::to_string(copy.offset) +
                 ") should be on " + Node(copy.machine) + ": every hand-off carried it";
      return {};
    }
    if (!FollowTransition(&copy, *next, w.key, w.slot, &allowed, why_not))
      return allowed;
  }
  SLOTSIM_CHECK_MSG(false, "loss walk exceeded kHandOffsMax");
  return {};
}

}  // namespace slotsim
