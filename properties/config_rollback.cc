#include "properties/config_rollback.h"

#include "engine/check.h"
#include "engine/slot_ranges.h"
#include "engine/trace_records.h"

namespace slotsim {

ConfigRollbacks::State ConfigRollbacks::Parse(const std::string& details) {
  std::string err;
  auto n = NodeStateRecord::Parse(details, &err);
  SLOTSIM_CHECK_MSG(n.has_value(), err.c_str());
  State s;
  s.seen = true;
  auto slots = ParseSlotRanges(n->primary ? n->slots : "");
  SLOTSIM_CHECK_MSG(slots.has_value(), "NodeState: malformed slots");
  s.slots = *slots;
  // "[8214->-<name>],[7-<-<name>]": each token starts with its slot.
  for (size_t at = n->open.find('['); at != std::string::npos; at = n->open.find('[', at + 1)) {
    int slot = 0, digits = 0;
    for (size_t i = at + 1; i < n->open.size() && n->open[i] >= '0' && n->open[i] <= '9';
         ++i, ++digits)
      slot = slot * 10 + (n->open[i] - '0');
    SLOTSIM_CHECK_MSG(digits > 0 && digits <= 5 && slot < kClusterSlots,
                      "NodeState: malformed open slot");
    s.open.insert(slot);
  }
  return s;
}

void ConfigRollbacks::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  const std::string& k = r.kind;
  if (k == "ConfigSaved") {
    machines_[r.node].unsynced_save = DetailsReader(r.details).OptionalStr("fsync") != "1";
  } else if (k == "Crash") {
    Machine& m = machines_[r.node];
    m.crashed_unsynced = m.unsynced_save && m.last.seen;
    m.before_crash = m.last;
    m.crash_ms = r.time_us / 1000;
    m.unsynced_save = false;
  } else if (k == "Restart") {
    Machine& m = machines_[r.node];
    m.awaiting_restored = m.crashed_unsynced;
    m.crashed_unsynced = false;
  } else if (k == NodeStateRecord::kKind) {
    Machine& m = machines_[r.node];
    m.last = Parse(r.details);
    if (m.awaiting_restored) {
      // The config this incarnation loaded: what the lost saves undid.
      m.awaiting_restored = false;
      m.rollback_crash_ms = m.crash_ms;
      for (int slot : m.last.open)
        if (!m.before_crash.open.count(slot)) m.stale_open.insert(slot);
      m.stale_claims |= m.last.slots ^ m.before_crash.slots;
      m.restored_slots = m.last.slots;
      return;
    }
    // An explanation holds only while nothing since changed it.
    for (auto it = m.stale_open.begin(); it != m.stale_open.end();)
      it = m.last.open.count(*it) ? std::next(it) : m.stale_open.erase(it);
    m.stale_claims &= ~(m.last.slots ^ m.restored_slots);
  }
}

bool ConfigRollbacks::ExplainsOpenSlot(int machine, int slot, std::string* why) const {
  auto it = machines_.find(machine);
  if (it == machines_.end() || !it->second.stale_open.count(slot)) return false;
  *why = "node" + std::to_string(machine) + " lost unsynced nodes.conf saves at its crash at " +
         std::to_string(it->second.rollback_crash_ms) + " ms and restarted with slot " +
         std::to_string(slot) + " open again (Redis 7.0 saves CLUSTER SETSLOT without fsync)";
  return true;
}

bool ConfigRollbacks::ExplainsClaim(int machine, int slot, std::string* why) const {
  auto it = machines_.find(machine);
  if (it == machines_.end()) return false;
  const Machine& m = it->second;
  if (!m.stale_claims.test(static_cast<size_t>(slot))) return false;
  *why = "node" + std::to_string(machine) + " lost unsynced nodes.conf saves at its crash at " +
         std::to_string(m.rollback_crash_ms) + " ms and restarted " +
         (m.last.slots.test(static_cast<size_t>(slot)) ? "claiming" : "not claiming") +
         " slot " + std::to_string(slot) + " (Redis 7.0 saves CLUSTER SETSLOT without fsync)";
  return true;
}

}  // namespace slotsim
