#include "properties/election_rules.h"

#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {

ElectionRules::ElectionRules(const CheckerSettings& settings)
    : node_timeout_ms_(settings.node_timeout_ms),
      max_data_age_ms_(settings.replica_validity_factor == 0
                           ? 0
                           : settings.repl_ping_period_ms +
                                 settings.node_timeout_ms * settings.replica_validity_factor) {}

void ElectionRules::Report(std::string id, std::string message, const TraceRecord& r) {
  if (violations_.size() >= kViolationsMax) return;
  violations_.push_back({std::move(id), "node" + std::to_string(r.node) + " " + message,
                         r.time_us, {r.seq}});
}

void ElectionRules::JudgeDataAge(const TraceRecord& r, const Candidate& c) {
  if (max_data_age_ms_ == 0 || c.manual || c.link_up) return;
  if (c.down_since_ever) {
    Report("candidate-data-fresh",
           "ran for election (" + r.kind +
               ") without having synced with its primary since it started or was promoted",
           r);
    return;
  }
  if (clock_faulted_.count(r.node)) return;
  int64_t age_ms = (r.time_us - c.down_since_us) / 1000;
  // clusterHandleSlaveFailover discounts one node_timeout: the primary
  // was unreachable for that long before it was marked failed.
  if (age_ms > node_timeout_ms_) age_ms -= node_timeout_ms_;
  if (age_ms > max_data_age_ms_ + kMarginMs)
    Report("candidate-data-fresh",
           "ran for election (" + r.kind + ") with data " + std::to_string(age_ms) +
               " ms old (its link to its primary went down at " +
               std::to_string(c.down_since_us / 1000) + " ms; at most " +
               std::to_string(max_data_age_ms_) + " ms is allowed)",
           r);
}

void ElectionRules::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  const std::string_view k = r.kind;
  if (k == "ClockJump" || k == "ClockDrift") {
    clock_faulted_.insert(r.node);
  } else if (k == "Restart") {
    candidates_[r.node] = Candidate{};
    for (auto it = last_grant_.begin(); it != last_grant_.end();)
      it = it->first.first == r.node ? last_grant_.erase(it) : std::next(it);
  } else if (k == "ReplLinkUp") {
    candidates_[r.node].link_up = true;
  } else if (k == "ReplLinkDown") {
    Candidate& c = candidates_[r.node];
    c.link_up = false;
    c.down_since_ever = false;
    c.down_since_us = r.time_us;
  } else if (k == ReplPromotedRecord::kKind) {
    Candidate& c = candidates_[r.node];
    c.link_up = false;
    c.down_since_ever = true;
  } else if (k == ElectionRankRecord::kScheduledKind || k == ElectionRankRecord::kRankRaisedKind) {
    const auto e = ParseRecordOrDie<ElectionRankRecord>(r);
    int64_t ahead = 0;
    for (const auto& [name, offset] : e.siblings)
      if (offset > e.offset) ++ahead;
    const int64_t want = e.manual ? 0 : ahead;
    if (e.rank != want)
      Report("replica-rank-follows-offsets",
             "took rank " + std::to_string(e.rank) + " (" + r.kind + ") at offset " +
                 std::to_string(e.offset) + ", but " + std::to_string(ahead) + " of its " +
                 std::to_string(e.siblings.size()) + " siblings were ahead of it" +
                 (e.manual ? " (a manual failover ranks 0)" : ""),
             r);
    Candidate& c = candidates_[r.node];
    if (k == ElectionRankRecord::kScheduledKind) c.manual = e.manual;
    JudgeDataAge(r, c);
  } else if (k == "ElectionStarted") {
    JudgeDataAge(r, candidates_[r.node]);
  } else if (k == VoteGrantedRecord::kKind) {
    const auto g = ParseRecordOrDie<VoteGrantedRecord>(r);
    if (g.owner_epoch > g.claim_epoch)
      Report("vote-refuses-stale-slot-claims",
             "voted in epoch " + std::to_string(g.epoch) + " for " + g.to +
                 ", whose slots are claimed with configEpoch " + std::to_string(g.claim_epoch) +
                 " while it knows an owner of them with configEpoch " +
                 std::to_string(g.owner_epoch),
             r);
    auto [it, fresh] = last_grant_.try_emplace({r.node, g.primary}, g.local_ms, r.seq);
    if (!fresh) {
      const int64_t since_ms = g.local_ms - it->second.first;
      if (since_ms < 2 * node_timeout_ms_ && violations_.size() < kViolationsMax)
        violations_.push_back(
            {"votes-for-siblings-spaced",
             "node" + std::to_string(r.node) + " voted in epoch " + std::to_string(g.epoch) +
                 " for " + g.to + ", a replica of " + g.primary + ", " +
                 std::to_string(since_ms) + " ms (its own clock) after voting for a replica of " +
                 "the same primary; Redis waits 2 x node_timeout = " +
                 std::to_string(2 * node_timeout_ms_) + " ms",
             r.time_us,
             {it->second.second, r.seq}});
      it->second = {g.local_ms, r.seq};
    }
  }
}

}  // namespace slotsim
