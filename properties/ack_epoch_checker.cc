#include "properties/ack_epoch_checker.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "engine/keyslot.h"
#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {

bool IsWriteCommand(const std::string& command) {
  return command == "SET" || command == "INCR" || command == "HSET" || command == "DEL";
}

void AckEpochChecker::OnTrace(const TraceRecord& r) {
  if (r.kind != NodeStateRecord::kKind) return;
  const auto n = ParseRecordOrDie<NodeStateRecord>(r);
  State s;
  s.time_us = r.time_us;
  s.seq = r.seq;
  s.primary = n.primary;
  s.config_epoch = static_cast<uint64_t>(n.config_epoch);
  states_[r.node].push_back(s);
}

std::vector<Violation> AckEpochChecker::Check(const OpHistory& history,
                                              const std::map<std::string, int>& machine_by_addr,
                                              int64_t now_us) const {
  // (slot, configEpoch) -> the first writer: machine and its state record.
  std::map<std::pair<int, uint64_t>, std::pair<int, int64_t>> writers;
  for (const auto& op : history.ops()) {
    if (op.outcome != OpOutcome::kOk || !IsWriteCommand(op.command)) continue;
    const auto m = machine_by_addr.find(op.node);
    if (m == machine_by_addr.end()) continue;
    const auto st = states_.find(m->second);
    if (st == states_.end()) continue;
    // The node's last state at or before the answer reached the client.
    const auto& timeline = st->second;
    auto it = std::upper_bound(timeline.begin(), timeline.end(), op.complete_us,
                               [](int64_t t, const State& s) { return t < s.time_us; });
    if (it == timeline.begin()) continue;
    const State& s = *std::prev(it);
    if (!s.primary) continue;  // demoted in flight: no claim to judge
    const int slot = KeyHashSlot(op.key);
    auto [w, fresh] = writers.emplace(std::make_pair(slot, s.config_epoch),
                                      std::make_pair(m->second, s.seq));
    if (fresh || w->second.first == m->second) continue;
    // One violation is enough to fail the run; the message names both.
    return {Violation("one-writer-per-slot-epoch",
                      "node" + std::to_string(w->second.first) + " and node" +
                          std::to_string(m->second) +
                          " both acknowledged writes to slot " + std::to_string(slot) +
                          " with configEpoch " + std::to_string(s.config_epoch) + " (e.g. " +
                          op.command + " " + op.key + " at " +
                          std::to_string(op.complete_us / 1000) + " ms)",
                      now_us, {w->second.second, s.seq})};
  }
  return {};
}

}  // namespace slotsim
