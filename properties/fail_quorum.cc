#include "properties/fail_quorum.h"

#include <optional>

#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {
namespace {

// The subject of a cluster node event: "node=NAME addr=... [extra]".
std::string Subject(const TraceRecord& r) {
  DetailsReader d(r.details);
  auto name = d.Str("node");
  SLOTSIM_CHECK_MSG(name.has_value(), (r.kind + " record without node=").c_str());
  return *name;
}

std::optional<int64_t> Field(const TraceRecord& r, std::string_view key) {
  DetailsReader d(r.details);
  auto v = d.Int(key);
  SLOTSIM_CHECK_MSG(v.has_value(), (r.kind + ": " + d.error()).c_str());
  return v;
}

}  // namespace

FailQuorumChecker::FailQuorumChecker(int64_t node_timeout_ms)
    : lookback_us_(2 * node_timeout_ms * 1000 + kHoldMaxUs) {}

void FailQuorumChecker::SetFlag(int machine, const std::string& subject, bool on,
                                int64_t now_us) {
  Flag& f = flags_[{machine, subject}];
  if (Primary(machine) && (f.on || on)) f.last_primary_on_us = now_us;
  f.on = on;
}

void FailQuorumChecker::OnTrace(const TraceRecord& r) {
  if (r.node < 0) return;
  const std::string_view k = r.kind;
  const int64_t now = r.time_us;
  if (k == NodeStateRecord::kKind) {
    const bool primary = ParseRecordOrDie<NodeStateRecord>(r).primary;
    if (primary == Primary(r.node)) return;
    // A role change: the flags held so far were held as the old role.
    for (auto it = flags_.lower_bound({r.node, std::string()});
         it != flags_.end() && it->first.first == r.node; ++it)
      if (it->second.on && Primary(r.node)) it->second.last_primary_on_us = now;
    primary_[r.node] = primary;
    return;
  }
  if (k == "PfailSet" || k == "FailReceived") {
    SetFlag(r.node, Subject(r), true, now);
    return;
  }
  if (k == "NodeLearned") {
    // Learned from gossip already flagged (CreateNode keeps the gossiped
    // PFAIL and FAIL): a flag for this moment only (its clear is not
    // traced as such).
    if (*Field(r, "failing") == 0) return;
    const std::string subject = Subject(r);
    if (!flags_[{r.node, subject}].on) {
      SetFlag(r.node, subject, true, now);
      SetFlag(r.node, subject, false, now);
    }
    return;
  }
  if (k == "PfailCleared" || k == "FailCleared") {
    SetFlag(r.node, Subject(r), false, now);
    return;
  }
  if (k != "FailSet") return;
  const std::string subject = Subject(r);
  const int64_t quorum = *Field(r, "quorum");
  const int64_t from = now - lookback_us_;
  int64_t reporters = 0;
  std::string who;
  for (const auto& [key, flag] : flags_) {
    const int machine = key.first;
    if (key.second != subject || machine == r.node) continue;
    const bool counts = (flag.on && Primary(machine)) || flag.last_primary_on_us >= from;
    if (!counts) continue;
    reporters++;
    who += (who.empty() ? "" : ",") + std::to_string(machine);
  }
  const bool self_primary = Primary(r.node);
  const int64_t counted = reporters + (self_primary ? 1 : 0);
  SetFlag(r.node, subject, true, now);
  if (counted >= quorum || violations_.size() >= kViolationsMax) return;
  violations_.push_back(
      {"fail-needs-primary-majority",
       "node" + std::to_string(r.node) + " marked " + subject.substr(0, 8) + " FAIL at " +
           std::to_string(now / 1000) + " ms with quorum " + std::to_string(quorum) +
           ", but only " + std::to_string(counted) + " primary view(s) could have reported it" +
           " (machines {" + who + "}" + (self_primary ? " and itself" : "") +
           " flagged it while primaries, within the last " +
           std::to_string(lookback_us_ / 1000) + " ms)",
       now,
       {r.seq}});
}

}  // namespace slotsim
