// Where two recorded runs first differ: shared by `slotsim diff` and the
// viewer's compare page. Records are compared in seq order a page at a
// time, so memory is bounded whatever the runs' length.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "traces/trace_reader.h"

namespace slotsim {

struct RunDifference {
  bool differ = false;
  int64_t equal_records = 0;  // records equal in both before the difference
  // The last `context` equal records before the difference.
  std::deque<TraceRecord> before;
  // From the first differing record on, up to `after` records of each run;
  // empty for the run that ended where the other goes on.
  std::vector<TraceRecord> a, b;
};

// Records are the same when time, node, kind, peer, message type, details
// and seq are equal.
bool SameRecord(const TraceRecord& a, const TraceRecord& b);

// Compares run `run_a` of `ra` with run `run_b` of `rb`. Both runs must
// exist. `context` and `after` bound what is kept (at most 1000 each).
RunDifference FirstDifference(const TraceReader& ra, int64_t run_a, const TraceReader& rb,
                              int64_t run_b, int context, int after);

}  // namespace slotsim
