// One recorded run: the runner plus its row in the trace database.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/runner.h"
#include "traces/trace_db.h"

namespace slotsim {

struct Recorded {
  RunResult result;
  double wall_seconds = 0;
  int64_t run_id = -1;  // -1 when not recorded
};

// Runs `sc` with `seed`, writing the run row and its events to `db` when
// db is not null. `extra_sinks` also receive every record.
Recorded RunRecorded(const scenario::Scenario& sc, const std::string& path,
                     uint64_t seed, bool buggify, TraceDb* db,
                     const std::vector<TraceSink*>& extra_sinks,
                     int64_t debug_crash_at_ms = -1,
                     const std::vector<std::string>& injected_bugs = {},
                     int64_t debug_perturb_at_ms = -1);

nlohmann::json ViolationsJson(const RunResult& r);
// The probes the run hit, each with its hit count (kProbes order).
nlohmann::json ProbesJson(const RunResult& r);

}  // namespace slotsim
