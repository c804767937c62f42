#include "properties/epoch_checker.h"

#include <string>

#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {

void EpochChecker::OnTrace(const TraceRecord& r) {
  if (r.kind == "ConfigSaved" && r.node >= 0) {
    DetailsReader d(r.details);
    const auto current = d.Int("current_epoch");
    const auto vote = d.Int("last_vote_epoch");
    if (current && vote) saved_[r.node] = {static_cast<uint64_t>(*current), static_cast<uint64_t>(*vote), r.seq};
    return;
  }
  if (r.kind == "Crash" && r.node >= 0 && r.details.find("cause=exit") != std::string::npos) {
    // A process exit (Env::Exit) keeps what was written: the node comes
    // back with its last save, which may be behind what it held (a save
    // that failed is why it exited). Redis writes its bus messages after
    // clusterBeforeSleep's save, so nobody saw the lost raise from it.
    auto it = nodes_.find(r.node);
    auto saved = saved_.find(r.node);
    if (it != nodes_.end() && saved != saved_.end()) it->second = saved->second;
    return;
  }
  if (r.kind != NodeStateRecord::kKind) return;
  states_seen_++;
  const auto n = ParseRecordOrDie<NodeStateRecord>(r);
  const uint64_t current = static_cast<uint64_t>(n.current_epoch);
  const uint64_t config = static_cast<uint64_t>(n.config_epoch);
  const uint64_t vote = static_cast<uint64_t>(n.last_vote_epoch);
  const std::string node = "node" + std::to_string(r.node);
  if (config > current)
    violations_.push_back({"config-epoch-le-current",
                           node + " has configEpoch " + std::to_string(config) +
                               " above its currentEpoch " + std::to_string(current),
                           r.time_us, {r.seq}});
  auto [it, fresh] = nodes_.emplace(r.node, Seen{current, vote, r.seq});
  if (fresh) return;
  Seen& seen = it->second;
  if (current < seen.current_epoch)
    violations_.push_back({"current-epoch-monotonic",
                           node + "'s currentEpoch went from " + std::to_string(seen.current_epoch) +
                               " to " + std::to_string(current),
                           r.time_us, {seen.seq, r.seq}});
  if (vote < seen.last_vote_epoch)
    violations_.push_back({"last-vote-epoch-monotonic",
                           node + "'s lastVoteEpoch went from " +
                               std::to_string(seen.last_vote_epoch) + " to " + std::to_string(vote),
                           r.time_us, {seen.seq, r.seq}});
  seen.current_epoch = std::max(seen.current_epoch, current);
  seen.last_vote_epoch = std::max(seen.last_vote_epoch, vote);
  seen.seq = r.seq;
}

}  // namespace slotsim
