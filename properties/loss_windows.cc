#include "properties/loss_windows.h"

#include <algorithm>

#include "engine/slot_ranges.h"
#include "properties/election_checker.h"

namespace slotsim {

void LossWindows::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  if (r.kind == "Crash") {
    machines_[r.node].crashes.push_back(r.time_us);
    return;
  }
  if (r.kind == "Restart") {
    machines_[r.node].restarts.push_back(r.time_us);
    return;
  }
  if (r.kind != "NodeState") return;
  Machine& m = machines_[r.node];
  const bool primary = DetailValue(r.details, "role") == "primary";
  if (m.seen && m.primary && !primary) m.demotions.push_back(r.time_us);
  m.primary = primary;
  m.seen = true;
  SlotBitmap now;
  if (primary)
    if (auto parsed = ParseSlotRanges(DetailValue(r.details, "slots"))) now = *parsed;
  if (m.claims.empty() || m.claims.back().second != now) m.claims.push_back({r.time_us, now});
}

bool LossWindows::HeldAfter(const Machine& m, int slot, int64_t t) const {
  // The claim in force at t, and every later one.
  auto it = std::upper_bound(m.claims.begin(), m.claims.end(), t,
                             [](int64_t time, const auto& c) { return time < c.first; });
  if (it != m.claims.begin()) --it;
  for (; it != m.claims.end(); ++it)
    if (it->second.test(static_cast<size_t>(slot))) return true;
  return false;
}

std::string LossWindows::LossAllowed(int acker, int slot, int64_t acked_us) const {
  for (const auto& [index, m] : machines_) {
    if (index != acker && !HeldAfter(m, slot, acked_us)) continue;
    const std::string who = "node" + std::to_string(index);
    for (int64_t t : m.demotions)
      if (t >= acked_us)
        return who + " was demoted at " + std::to_string(t / 1000) +
               " ms (failover: asynchronous replication)";
    for (int64_t t : m.crashes) {
      if (t < acked_us) continue;
      const bool restarted =
          std::any_of(m.restarts.begin(), m.restarts.end(), [t](int64_t r) { return r > t; });
      if (!restarted)
        return who + " crashed at " + std::to_string(t / 1000) +
               " ms and never came back (its replica took over)";
      if (!durable_restarts_)
        return who + " crashed at " + std::to_string(t / 1000) +
               " ms without fsyncing every write";
    }
  }
  return {};
}

}  // namespace slotsim
