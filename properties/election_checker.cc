#include "properties/election_checker.h"

#include "engine/slot_ranges.h"
#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {

bool ElectionChecker::OwnsSlots(int machine) const {
  auto it = claims_.find(machine);
  return it != claims_.end() && it->second.primary && it->second.slots.any();
}

int ElectionChecker::SlotOwningPrimaries() const {
  std::set<int> owners;
  for (size_t slot = 0; slot < kClusterSlots; ++slot) {
    int best = -1;
    int64_t best_epoch = -1;
    for (const auto& [m, c] : claims_)
      if (c.primary && c.slots.test(slot) && c.config_epoch > best_epoch)
        best = m, best_epoch = c.config_epoch;
    if (best >= 0) owners.insert(best);
  }
  return static_cast<int>(owners.size());
}

void ElectionChecker::OnTrace(const TraceRecord& r) {
  if (r.kind == NodeStateRecord::kKind) {
    const auto n = ParseRecordOrDie<NodeStateRecord>(r);
    Claim& c = claims_[r.node];
    c.primary = n.primary;
    c.config_epoch = n.config_epoch;
    auto slots = ParseSlotRanges(n.primary ? n.slots : "");
    SLOTSIM_CHECK_MSG(slots.has_value(), "NodeState: malformed slots");
    c.slots = *slots;
  } else if (r.kind == VoteGrantedRecord::kKind) {
    votes_seen_++;
    const auto g = ParseRecordOrDie<VoteGrantedRecord>(r);
    auto [it, fresh] = grants_.emplace(std::make_pair(r.node, g.epoch), Seen{r.peer, r.seq});
    if (!fresh && it->second.node != r.peer)
      violations_.push_back({"one-vote-per-epoch",
                             "node" + std::to_string(r.node) + " granted its epoch " +
                                 std::to_string(g.epoch) + " vote to node" +
                                 std::to_string(it->second.node) + " and to node" +
                                 std::to_string(r.peer),
                             r.time_us,
                             {it->second.seq, r.seq}});
    // Only a slot-owning primary's vote counts (clusterSendFailoverAuthIfNeeded).
    if (OwnsSlots(r.node)) {
      voters_[{r.peer, g.epoch}].insert(r.node);
      grant_seqs_[{r.peer, g.epoch}].push_back(r.seq);
    }
  } else if (r.kind == ElectionWonRecord::kKind) {
    wins_seen_++;
    const auto w = ParseRecordOrDie<ElectionWonRecord>(r);
    const size_t votes = voters_[{r.node, w.epoch}].size();
    const int size = SlotOwningPrimaries();
    if (static_cast<int>(votes) < size / 2 + 1) {
      violations_.push_back(
          {"election-won-by-majority",
           "node" + std::to_string(r.node) + " won epoch " + std::to_string(w.epoch) +
               " with grants from " + std::to_string(votes) + " of " + std::to_string(size) +
               " slot-owning primaries (it counted " + std::to_string(w.votes) + " of " +
               std::to_string(w.size) + ")",
           r.time_us, grant_seqs_[{r.node, w.epoch}]});
      violations_.back().causes.push_back(r.seq);
    }
    // Judged when the winner claims its slots (its next NodeState as a
    // primary): two winners of one epoch conflict only over the same
    // slots.
    pending_win_[r.node] = {w.epoch, r.seq};
  }
  if (r.kind == NodeStateRecord::kKind) {
    auto pending = pending_win_.find(r.node);
    const Claim& c = claims_[r.node];
    if (pending == pending_win_.end() || !c.primary || c.slots.none()) return;
    const auto [epoch, win_seq] = pending->second;
    pending_win_.erase(pending);
    for (const auto& [other, other_slots, other_seq] : winners_[epoch]) {
      if (other == r.node || (other_slots & c.slots).none()) continue;
      violations_.push_back({"one-winner-per-epoch",
                             "node" + std::to_string(other) + " and node" +
                                 std::to_string(r.node) + " both won epoch " +
                                 std::to_string(epoch) + " for the same slots",
                             r.time_us,
                             {other_seq, win_seq}});
      break;
    }
    winners_[epoch].push_back({r.node, c.slots, win_seq});
  }
}

}  // namespace slotsim
