#include "properties/identity_checker.h"

#include "engine/trace_records.h"

namespace slotsim {

void IdentityChecker::OnTrace(const TraceRecord& r) {
  const std::string_view k = r.kind;
  if (r.node < 0 || (k != "NodeStart" && k != "NodeRestart" && k != "ResetHard")) return;
  DetailsReader d(r.details);
  const std::optional<std::string> name = d.Str("node");
  if (!name) return;
  auto it = identity_.find(r.node);
  if (it == identity_.end() || k == "ResetHard") {
    identity_[r.node] = {*name, r.seq};
    return;
  }
  if (it->second.name == *name && k == "NodeRestart") return;
  if (violations_.size() < kViolationsMax) {
    violations_.emplace_back(
        "node-identity-kept",
        "node " + std::to_string(r.node) + " was " + it->second.name + " and came back as " +
            *name + (k == "NodeStart" ? " (a first start: its nodes.conf was not loaded)" : "") +
            ", without CLUSTER RESET HARD",
        r.time_us, std::vector<int64_t>{it->second.since_seq, r.seq});
  }
  it->second = {*name, r.seq};
}

}  // namespace slotsim
