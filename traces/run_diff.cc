#include "traces/run_diff.h"

#include <algorithm>

#include "engine/check.h"

namespace slotsim {
namespace {

// Records compared per page.
constexpr int64_t kDiffPage = 10000;
constexpr int kMaxContext = 1000;

std::vector<TraceRecord> Page(const TraceReader& r, int64_t run, int64_t from) {
  std::vector<TraceRecord> out;
  r.ForEachEvent(run, from, [&](const TraceRecord& rec) {
    out.push_back(rec);
    return static_cast<int64_t>(out.size()) < kDiffPage;
  });
  return out;
}

void TakeFrom(const std::vector<TraceRecord>& page, size_t i, int after,
              std::vector<TraceRecord>* out) {
  for (size_t j = i; j < page.size() && out->size() < static_cast<size_t>(after); ++j)
    out->push_back(page[j]);
}

}  // namespace

bool SameRecord(const TraceRecord& a, const TraceRecord& b) {
  return a.seq == b.seq && a.time_us == b.time_us && a.node == b.node && a.kind == b.kind &&
         a.peer == b.peer && a.msg_type == b.msg_type && a.details == b.details;
}

RunDifference FirstDifference(const TraceReader& ra, int64_t run_a, const TraceReader& rb,
                              int64_t run_b, int context, int after) {
  SLOTSIM_CHECK(context >= 0 && context <= kMaxContext && after >= 0 && after <= kMaxContext);
  RunDifference d;
  int64_t from = 0;
  // Bounded by the shorter run, a page at a time.
  for (;;) {
    const auto a = Page(ra, run_a, from);
    const auto b = Page(rb, run_b, from);
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (!SameRecord(a[i], b[i])) {
        d.differ = true;
        TakeFrom(a, i, after, &d.a);
        TakeFrom(b, i, after, &d.b);
        return d;
      }
      d.before.push_back(a[i]);
      if (static_cast<int>(d.before.size()) > context) d.before.pop_front();
      d.equal_records++;
    }
    if (a.size() != b.size()) {
      d.differ = true;
      TakeFrom(a, n, after, &d.a);
      TakeFrom(b, n, after, &d.b);
      return d;
    }
    if (a.empty() || static_cast<int64_t>(a.size()) < kDiffPage) return d;
    from = a.back().seq + 1;
  }
}

}  // namespace slotsim
