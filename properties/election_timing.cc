#include "properties/election_timing.h"

#include <algorithm>

namespace slotsim {

ElectionTiming::ElectionTiming(int64_t node_timeout_ms)
    : bound_us_(std::max<int64_t>(2 * node_timeout_ms, 2000) * 1000 + kMarginUs) {}

void ElectionTiming::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  const std::string_view k = r.kind;
  if (k == "ClockJump" || k == "ClockDrift") {
    clock_faulted_.insert(r.node);
  } else if (k == "Restart") {
    started_.erase(r.node);
  } else if (k == "ElectionStarted") {
    started_[r.node] = {r.time_us, r.seq};
  } else if (k == "ElectionWon") {
    auto it = started_.find(r.node);
    if (it == started_.end() || clock_faulted_.count(r.node)) return;
    const int64_t age_us = r.time_us - it->second.first;
    if (age_us > bound_us_ && violations_.size() < kViolationsMax)
      violations_.push_back({"election-won-in-time",
                             "node" + std::to_string(r.node) + " won an election at " +
                                 std::to_string(r.time_us / 1000) + " ms that it started at " +
                                 std::to_string(it->second.first / 1000) + " ms, " +
                                 std::to_string(age_us / 1000) + " ms later (it expires after " +
                                 std::to_string((bound_us_ - kMarginUs) / 1000) + " ms)",
                             r.time_us,
                             {it->second.second, r.seq}});
  }
}

}  // namespace slotsim
