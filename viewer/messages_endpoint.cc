// The space-time diagram's data: messages in a time window. A window of a
// long run can hold hundreds of thousands of messages, so the rarest types
// (elections, FAIL, UPDATE: the interesting ones) come one by one and the
// most frequent types, past `limit`, come as counts per time bucket. Both
// read the (run_id, msg_type, send_us) index: counting never touches rows.
#include <algorithm>
#include <map>
#include <set>

#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr int64_t kDefaultLimit = 4000;
constexpr int64_t kMaxLimit = 20000;
constexpr int64_t kDefaultBuckets = 300;
constexpr int64_t kMaxBuckets = 2000;
constexpr size_t kMaxTypesParam = 64;
constexpr size_t kMaxNodesParam = 256;

}  // namespace

Json RunMessages(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({"from_us", "to_us", "nodes", "types", "limit", "buckets"});
  RequireRun(db, run);
  const auto [from_us, to_us] = RequestedWindow(db, run, p);
  const int64_t limit = p.Int("limit", kDefaultLimit, 0, kMaxLimit);
  const int64_t buckets = p.Int("buckets", kDefaultBuckets, 1, kMaxBuckets);
  const auto node_list = p.IntList("nodes", kMaxNodesParam, -1, 1 << 20);
  const std::set<int64_t> nodes(node_list.begin(), node_list.end());
  std::vector<std::string> types = p.List("types", kMaxTypesParam);
  if (!p.Has("types")) {
    Stmt t(db, "SELECT DISTINCT msg_type FROM messages WHERE run_id = ?");
    t.Bind(1, run);
    while (t.Step()) types.push_back(t.Text(0));
  }
  // One pass over the type index per type: counts per time bucket, whose
  // sum is the type's count in the window. Then whole types, rarest first,
  // are sent one by one while they fit in `limit`; the rest stay counts.
  const int64_t bucket_us = std::max<int64_t>(1, (to_us - from_us + buckets) / buckets);
  // Bucketed here rather than with GROUP BY, which would sort: the index
  // already yields send_us in order.
  Stmt per_bucket(db,
                  "SELECT send_us FROM messages WHERE run_id = ?1 AND msg_type = ?2 AND send_us "
                  "BETWEEN ?3 AND ?4");
  std::vector<std::pair<int64_t, std::string>> counted;
  std::map<std::string, std::vector<int64_t>> histograms;
  Json type_counts = Json::object();
  for (const auto& type : types) {
    std::vector<int64_t> counts(static_cast<size_t>(buckets), 0);
    int64_t total = 0;
    per_bucket.Reset();
    per_bucket.Bind(1, run).Bind(2, type).Bind(3, from_us).Bind(4, to_us);
    // Bounded by the messages in the window.
    while (per_bucket.Step()) {
      counts[static_cast<size_t>(
          std::clamp<int64_t>((per_bucket.Int(0) - from_us) / bucket_us, 0, buckets - 1))]++;
      total++;
    }
    counted.push_back({total, type});
    type_counts[type] = total;
    histograms[type] = std::move(counts);
  }
  std::sort(counted.begin(), counted.end());
  const bool all_nodes = nodes.empty();
  auto wanted = [&](int64_t from, int64_t to) {
    return all_nodes || (nodes.count(from) > 0 && nodes.count(to) > 0);
  };
  Json messages = Json::array(), aggregated = Json::object(), shown = Json::array();
  int64_t budget = limit;
  Stmt each(db,
            "SELECT msg, from_node, to_node, send_us, deliver_us, send_seq, deliver_seq, bytes "
            "FROM messages WHERE run_id = ? AND msg_type = ? AND send_us BETWEEN ? AND ? "
            "ORDER BY send_us");
  for (const auto& [n, type] : counted) {
    if (n == 0) continue;
    if (n > budget) {
      aggregated[type] = histograms[type];
      continue;
    }
    budget -= n;
    shown.push_back(type);
    each.Reset();
    each.Bind(1, run).Bind(2, type).Bind(3, from_us).Bind(4, to_us);
    while (each.Step()) {
      if (!wanted(each.Int(1), each.Int(2))) continue;
      messages.push_back({each.Int(0), type, each.Int(1), each.Int(2), each.Int(3),
                          each.IsNull(4) ? Json(nullptr) : Json(each.Int(4)), each.Int(5),
                          each.IsNull(6) ? Json(nullptr) : Json(each.Int(6)), each.Int(7)});
    }
  }
  std::sort(messages.begin(), messages.end(),
            [](const Json& a, const Json& b) { return a[4].get<int64_t>() < b[4].get<int64_t>(); });
  return {{"from_us", from_us},
          {"to_us", to_us},
          {"bucket_us", bucket_us},
          {"columns", {"msg", "type", "from", "to", "send_us", "deliver_us", "send_seq",
                       "deliver_seq", "bytes"}},
          {"messages", messages},
          {"shown_types", shown},
          {"type_counts", type_counts},
          {"aggregated", aggregated}};
}

}  // namespace slotsim::viewer
