// Combining trace databases: `slotsim merge`, and `slotsim suite`, whose
// child processes each write a database of their own.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "traces/trace_db.h"

namespace slotsim {

// Copies every run of the database at `src_path` into `dst`, with its
// events and typed rows, under new run ids, in one transaction. The
// source is opened read-only and may have any schema version up to the
// current one (typed rows are derived for older ones). On success
// *id_map holds (source id, new id) pairs in source order. False and
// *error otherwise; `dst` is then unchanged.
bool MergeTraceInto(TraceDb& dst, const std::string& src_path,
                    std::vector<std::pair<int64_t, int64_t>>* id_map, std::string* error);

}  // namespace slotsim
