// The client panels' data: operations per time bucket, with latency
// percentiles and the error replies clients saw, by kind. MOVED and ASK
// are redirects the client followed, TRYAGAIN and CLUSTERDOWN replies it
// retried or gave up on; `failed` counts operations that ended in an error.
#include <algorithm>

#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr int64_t kDefaultBuckets = 200;
constexpr int64_t kMaxBuckets = 1000;

struct Bucket {
  int64_t ops = 0, ok = 0, failed = 0, unknown = 0;
  int64_t moved = 0, ask = 0, tryagain = 0, clusterdown = 0, other_errors = 0;
  std::vector<int64_t> latencies;
};

int64_t Percentile(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

Json RunClient(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({"from_us", "to_us", "buckets"});
  RequireRun(db, run);
  const auto [from_us, to_us] = RequestedWindow(db, run, p);
  const int64_t n = p.Int("buckets", kDefaultBuckets, 1, kMaxBuckets);
  const int64_t bucket_us = std::max<int64_t>(1, (to_us - from_us + n) / n);
  std::vector<Bucket> buckets(static_cast<size_t>(n));
  // client_ops is keyed by seq, and seq order is time order: the window is
  // one primary-key range.
  const int64_t first = SeqAtTime(db, run, from_us - 1) + 1;
  const int64_t last = SeqAtTime(db, run, to_us);
  // Outcome as 0 ok, 1 error, 2 unknown; the last column is 1 for a final
  // error that is not one of the retried kinds (those are counted from
  // their own columns): a transport failure, a command's own error.
  Stmt st(db,
          "SELECT time_us, latency_us, CASE outcome WHEN 'ok' THEN 0 WHEN 'error' THEN 1 ELSE 2 "
          "END, redirects, asks, tryagain, clusterdown, outcome = 'error' AND "
          "instr(reply, 'TRYAGAIN') = 0 AND instr(reply, 'CLUSTERDOWN') = 0 "
          "FROM client_ops WHERE run_id = ? AND seq BETWEEN ? AND ?");
  st.Bind(1, run).Bind(2, first).Bind(3, last);
  int64_t total = 0;
  while (st.Step()) {
    Bucket& b = buckets[static_cast<size_t>(
        std::clamp<int64_t>((st.Int(0) - from_us) / bucket_us, 0, n - 1))];
    total++;
    b.ops++;
    const int64_t outcome = st.Int(2);
    if (outcome == 0) b.ok++, b.latencies.push_back(st.Int(1));
    else if (outcome == 1) b.failed++;
    else b.unknown++;
    b.ask += st.Int(4);
    b.moved += st.Int(3) - st.Int(4);
    b.tryagain += st.Int(5);
    b.clusterdown += st.Int(6);
    b.other_errors += st.Int(7);
  }
  Json rows = Json::array();
  for (int64_t i = 0; i < n; ++i) {
    Bucket& b = buckets[static_cast<size_t>(i)];
    rows.push_back({from_us + i * bucket_us, b.ops, b.ok, b.failed, b.unknown,
                    Percentile(b.latencies, 0.5), Percentile(b.latencies, 0.99),
                    b.latencies.empty() ? 0 : *std::max_element(b.latencies.begin(), b.latencies.end()),
                    b.moved, b.ask, b.tryagain, b.clusterdown, b.other_errors});
  }
  return {{"from_us", from_us},
          {"to_us", to_us},
          {"bucket_us", bucket_us},
          {"ops", total},
          {"columns", {"start_us", "ops", "ok", "failed", "unknown", "p50_us", "p99_us",
                       "max_us", "moved", "ask", "tryagain", "clusterdown", "other_errors"}},
          {"buckets", rows}};
}

}  // namespace slotsim::viewer
