// The viewer's JSON endpoints. Each takes the read-only database and the
// request's parameters and returns the response body, or throws ApiError
// (4xx for a bad request, 404 for a missing run). docs: viewer/API.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "viewer/params.h"
#include "viewer/sql.h"

namespace slotsim::viewer {

using Json = nlohmann::json;

// GET /api/runs: runs, filtered, sorted and paged, each with its repro
// command; the distinct scenarios and outcomes for the filter menus.
Json ListRuns(const ReadOnlyDb& db, const Params& p);
// GET /api/runs/{id}: the run's summary, settings, scenario text, nodes,
// violations with their causes, fault bands and failover marks.
Json RunSummary(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/runs/{id}/messages: the messages sent in a time window between
// the chosen nodes, of the chosen types. Rare types come one by one; the
// rest, past `limit`, come as counts per time bucket and sender.
Json RunMessages(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/runs/{id}/state?t_us=: every cluster node at that moment: role,
// epochs, cluster state, open slots, the peers it marks PFAIL/FAIL, the
// links cut from it, and its view of the slot table.
Json RunState(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/runs/{id}/timeline: each node's state changes (for the
// scrubber's ticks and epoch lanes), at most `limit`.
Json RunTimeline(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/runs/{id}/client: client operations per time bucket: count,
// latency percentiles, outcomes, and errors by kind.
Json RunClient(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/runs/{id}/events: a page of trace records, by seq, filtered.
Json RunEvents(const ReadOnlyDb& db, int64_t run, const Params& p);
// GET /api/compare?a=&b=: where two runs first differ, with context.
Json CompareRuns(const ReadOnlyDb& db, const std::string& path, const Params& p);

// Throws 404 unless run `id` exists. Returns its outcome.
std::string RequireRun(const ReadOnlyDb& db, int64_t id);
// The last seq whose time is at most `t_us` (-1 if none): seq order is
// time order, so a binary search over the primary key finds it.
int64_t SeqAtTime(const ReadOnlyDb& db, int64_t run, int64_t t_us);
// The time window [from_us, to_us] a request names (parameters `from_us`
// and `to_us`), by default the whole run. Throws 400 if it is reversed.
std::pair<int64_t, int64_t> RequestedWindow(const ReadOnlyDb& db, int64_t run, const Params& p);
// Each cluster node's id from its NodeStart record, by node index.
std::map<int64_t, std::string> ClusterNodeIds(const ReadOnlyDb& db, int64_t run);
// The run's last record's seq and time (both -1 for an empty run).
std::pair<int64_t, int64_t> LastRecord(const ReadOnlyDb& db, int64_t run);

}  // namespace slotsim::viewer
