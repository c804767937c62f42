#include "properties/down_state_rule.h"

#include <iterator>
#include <string>

#include "engine/trace_records.h"
#include "properties/trace_parse.h"

namespace slotsim {

namespace {

// The workload's read-only keyed commands: the ones
// cluster-allow-reads-when-down lets a failed node serve.
bool IsRead(std::string_view command) { return command == "GET" || command == "HGET"; }

}  // namespace

DownStateRule::DownStateRule(bool allow_reads_when_down)
    : allow_reads_when_down_(allow_reads_when_down) {}

void DownStateRule::Note(int machine, int64_t time_us, Health h, int64_t seq) {
  changes_[machine][time_us] = {h, seq};
}

void DownStateRule::OnTrace(const TraceRecord& r) {
  const std::string_view k = r.kind;
  if (k == NodeStateRecord::kKind && r.node >= 0) {
    const auto n = ParseRecordOrDie<NodeStateRecord>(r);
    Note(r.node, r.time_us, n.state_ok ? Health::kOk : Health::kFail, r.seq);
    return;
  }
  if ((k == "Crash" || k == "Restart") && r.node >= 0) {
    Note(r.node, r.time_us, Health::kUnknown, r.seq);
    return;
  }
  if (k != ClientOpRecord::kKind || r.peer < 0) return;
  const auto op = ParseRecordOrDie<ClientOpRecord>(r);
  if (op.outcome != "ok") return;
  if (allow_reads_when_down_ && IsRead(r.msg_type)) return;
  auto node = changes_.find(r.peer);
  if (node == changes_.end()) return;
  const std::map<int64_t, Change>& timeline = node->second;
  const int64_t start_us = r.time_us - op.latency_us;
  auto after = timeline.upper_bound(start_us);  // first change after the start
  if (after == timeline.begin()) return;        // no state known at the start
  const Change& at_start = std::prev(after)->second;
  if (at_start.health != Health::kFail) return;
  if (after != timeline.end() && after->first <= r.time_us) return;  // changed meanwhile
  if (violations_.size() >= kViolationsMax) return;
  violations_.push_back(
      {"down-node-refuses-keyed-commands",
       "node" + std::to_string(r.peer) + " answered " + r.msg_type + " " + op.key + " (\"" +
           op.reply + "\") for client " + std::to_string(op.client) + " between " +
           std::to_string(start_us / 1000) + " ms and " + std::to_string(r.time_us / 1000) +
           " ms, in cluster_state:fail since " + std::to_string(std::prev(after)->first / 1000) +
           " ms (it must answer CLUSTERDOWN)",
       r.time_us,
       {at_start.seq, r.seq}});
}

}  // namespace slotsim
