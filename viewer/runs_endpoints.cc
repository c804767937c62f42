// The runs list and one run's summary (faults, marks, nodes, violations).
#include <map>
#include <set>

#include "engine/trace_records.h"
#include "traces/derived_rows.h"
#include "traces/trace_reader.h"
#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr int64_t kMaxRunsPage = 500;
// Failover and convergence marks returned with a summary.
constexpr int64_t kMaxMarks = 5000;
// Fault records read for the bands.
constexpr int64_t kMaxFaultRecords = 100000;
constexpr int64_t kMaxViolations = 1000;
constexpr int64_t kMaxCausesPerViolation = 100;

constexpr const char* kRunColumns =
    "id, seed, scenario, scenario_path, build, settings, started_at, outcome, violations, "
    "sim_seconds, events, trace_hash, wall_seconds, converged_ms, ops, ops_ok, "
    "lost_writes_allowed, host, pid, "
    "(SELECT count(*) FROM violations v WHERE v.run_id = runs.id) AS violation_count";

Json ParseJsonOr(const std::string& text, Json fallback) {
  if (text.empty()) return fallback;
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

Json NullableInt(const Stmt& st, int col) {
  return st.IsNull(col) ? Json(nullptr) : Json(st.Int(col));
}

Json RunRow(const Stmt& st) {
  StoredRun r;
  r.seed = static_cast<uint64_t>(st.Int(1));
  r.scenario_path = st.Text(3);
  r.settings = st.Text(5);
  return Json{{"id", st.Int(0)},
              {"seed", st.Int(1)},
              {"scenario", st.Text(2)},
              {"scenario_path", st.Text(3)},
              {"build", st.Text(4)},
              {"settings", ParseJsonOr(st.Text(5), Json::object())},
              {"started_at", st.Text(6)},
              {"outcome", st.Text(7)},
              {"violations", ParseJsonOr(st.Text(8), Json::array())},
              {"sim_seconds", st.IsNull(9) ? Json(nullptr) : Json(st.Real(9))},
              {"events", NullableInt(st, 10)},
              {"trace_hash", st.Text(11)},
              {"wall_seconds", st.IsNull(12) ? Json(nullptr) : Json(st.Real(12))},
              {"converged_ms", NullableInt(st, 13)},
              {"ops", NullableInt(st, 14)},
              {"ops_ok", NullableInt(st, 15)},
              {"lost_writes_allowed", NullableInt(st, 16)},
              {"host", st.Text(17)},
              {"pid", NullableInt(st, 18)},
              {"violation_count", st.Int(19)},
              {"repro", ReproCommand(r)}};
}

// Sortable columns: the name the client sends -> the SQL expression.
const std::map<std::string, std::string>& SortColumns() {
  static const std::map<std::string, std::string> m = {
      {"id", "id"},
      {"seed", "seed"},
      {"scenario", "scenario"},
      {"outcome", "outcome"},
      {"events", "events"},
      {"sim_seconds", "sim_seconds"},
      {"wall_seconds", "wall_seconds"},
      {"converged_ms", "converged_ms"},
      {"ops", "ops"},
      {"ops_ok", "ops_ok"},
      {"violation_count", "violation_count"},
      {"started_at", "started_at"},
  };
  return m;
}

std::vector<std::string> Distinct(const ReadOnlyDb& db, const char* sql) {
  std::vector<std::string> out;
  Stmt st(db, sql);
  while (st.Step()) out.push_back(st.Text(0));
  return out;
}

// A Partition, Heal or Clog record's direction; a malformed one is the
// trace's fault, reported rather than drawn as a band between no nodes.
LinkFaultRecord LinkFault(const std::string& details) {
  std::string error;
  auto l = LinkFaultRecord::Parse(details, &error);
  if (!l) throw ApiError(500, "malformed link fault record: " + error);
  return *l;
}
std::pair<int, int> Link(const std::string& details) {
  const LinkFaultRecord l = LinkFault(details);
  return {static_cast<int>(l.from), static_cast<int>(l.to)};
}

// Fault bands: partitions (cut links grouped by when they were cut and
// healed), clogs, crashes and pauses per node; clock jumps as points.
Json Faults(const ReadOnlyDb& db, int64_t run, int64_t end_us) {
  Stmt st(db,
          "SELECT seq, time_us, node, kind, details FROM events INDEXED BY events_by_kind WHERE run_id = ? AND kind IN "
          "('Partition', 'Heal', 'Clog', 'Crash', 'Restart', 'Pause', 'Resume', 'ClockJump', "
          "'ClockDrift') ORDER BY seq LIMIT ?");
  st.Bind(1, run).Bind(2, kMaxFaultRecords);
  std::map<std::pair<int, int>, int64_t> cut_since, clog_since;
  std::map<int, int64_t> crashed_since, paused_since;
  // (kind, start, end) -> links, so that one partition step is one band.
  std::map<std::tuple<std::string, int64_t, int64_t>, Json> link_bands;
  Json bands = Json::array(), points = Json::array();
  auto node_band = [&](const char* kind, int node, int64_t start, int64_t end) {
    bands.push_back({{"kind", kind}, {"node", node}, {"start_us", start}, {"end_us", end}});
  };
  auto link_band = [&](const char* kind, std::pair<int, int> link, int64_t start, int64_t end) {
    auto& links = link_bands[{kind, start, end}];
    if (links.is_null()) links = Json::array();
    links.push_back({link.first, link.second});
  };
  while (st.Step()) {
    const int64_t t = st.Int(1);
    const int node = static_cast<int>(st.Int(2));
    const std::string kind = st.Text(3), details = st.Text(4);
    if (kind == "Partition") {
      cut_since.emplace(Link(details), t);
    } else if (kind == "Heal") {
      auto it = cut_since.find(Link(details));
      if (it != cut_since.end()) link_band("partition", it->first, it->second, t), cut_since.erase(it);
    } else if (kind == "Clog") {
      const auto link = Link(details);
      auto it = clog_since.find(link);
      if (it != clog_since.end()) link_band("clog", link, it->second, t), clog_since.erase(it);
      if (LinkFault(details).extra_us.value_or(0) != 0) clog_since.emplace(link, t);
    } else if (kind == "Crash") {
      crashed_since.emplace(node, t);
    } else if (kind == "Restart") {
      auto it = crashed_since.find(node);
      if (it != crashed_since.end()) node_band("crash", node, it->second, t), crashed_since.erase(it);
    } else if (kind == "Pause") {
      paused_since.emplace(node, t);
    } else if (kind == "Resume") {
      auto it = paused_since.find(node);
      if (it != paused_since.end()) node_band("pause", node, it->second, t), paused_since.erase(it);
    } else {
      points.push_back({{"kind", kind == "ClockJump" ? "clock-jump" : "clock-drift"},
                        {"node", node}, {"time_us", t}, {"seq", st.Int(0)}, {"details", details}});
    }
  }
  // Faults still in force at the end of the run last to its end.
  for (const auto& [link, t] : cut_since) link_band("partition", link, t, end_us);
  for (const auto& [link, t] : clog_since) link_band("clog", link, t, end_us);
  for (const auto& [node, t] : crashed_since) node_band("crash", node, t, end_us);
  for (const auto& [node, t] : paused_since) node_band("pause", node, t, end_us);
  for (auto& [key, links] : link_bands)
    bands.push_back({{"kind", std::get<0>(key)},
                     {"start_us", std::get<1>(key)},
                     {"end_us", std::get<2>(key)},
                     {"links", std::move(links)}});
  std::stable_sort(bands.begin(), bands.end(), [](const Json& a, const Json& b) {
    return a["start_us"].get<int64_t>() < b["start_us"].get<int64_t>();
  });
  return {{"bands", bands}, {"points", points}};
}

Json Marks(const ReadOnlyDb& db, int64_t run) {
  Stmt st(db,
          "SELECT seq, time_us, node, kind, peer, details FROM events INDEXED BY events_by_kind "
          "WHERE run_id = ? AND "
          "kind IN ('ElectionStarted', 'ElectionWon', 'FailoverDone', 'ReplPromoted', "
          "'FailSet', 'ConfigEpochBumped', 'Converged', 'ConvergenceLost', 'LostWrite', "
          "'AdminStep', 'AdminFailed') ORDER BY seq LIMIT ?");
  st.Bind(1, run).Bind(2, kMaxMarks);
  Json out = Json::array();
  while (st.Step())
    out.push_back({{"seq", st.Int(0)}, {"time_us", st.Int(1)}, {"node", st.Int(2)},
                   {"kind", st.Text(3)}, {"peer", st.Int(4)}, {"details", st.Text(5)}});
  return out;
}

Json Nodes(const ReadOnlyDb& db, int64_t run) {
  std::map<int64_t, std::string> ids = ClusterNodeIds(db, run);
  Stmt st(db, "SELECT node, name FROM nodes WHERE run_id = ? ORDER BY node");
  st.Bind(1, run);
  Json out = Json::array();
  while (st.Step()) {
    const int64_t node = st.Int(0);
    const std::string name = st.Text(1);
    auto it = ids.find(node);
    const char* kind = it != ids.end()                    ? "cluster"
                       : name.rfind("client", 0) == 0     ? "client"
                                                          : "admin";
    out.push_back({{"node", node}, {"name", name}, {"kind", kind},
                   {"id", it != ids.end() ? it->second : ""}});
    ids.erase(node);
  }
  // A real-mode trace (slotsim node --trace) has no simulator MachineAdded
  // records: name its node after the NodeStart record.
  for (const auto& [node, id] : ids)
    out.push_back({{"node", node}, {"name", "node" + std::to_string(node)}, {"kind", "cluster"},
                   {"id", id}});
  return out;
}

Json Violations(const ReadOnlyDb& db, int64_t run) {
  Stmt st(db,
          "SELECT seq, time_us, id, message FROM violations WHERE run_id = ? ORDER BY seq "
          "LIMIT ?");
  st.Bind(1, run).Bind(2, kMaxViolations);
  Stmt causes(db,
              "SELECT cause_seq FROM violation_causes WHERE run_id = ? AND violation_seq = ? "
              "ORDER BY cause_seq LIMIT ?");
  Json out = Json::array();
  while (st.Step()) {
    Json c = Json::array();
    causes.Reset();
    causes.Bind(1, run).Bind(2, st.Int(0)).Bind(3, kMaxCausesPerViolation);
    while (causes.Step()) c.push_back(causes.Int(0));
    out.push_back({{"seq", st.Int(0)}, {"time_us", st.Int(1)}, {"id", st.Text(2)},
                   {"message", st.Text(3)}, {"causes", c}});
  }
  return out;
}

}  // namespace

std::map<int64_t, std::string> ClusterNodeIds(const ReadOnlyDb& db, int64_t run) {
  std::map<int64_t, std::string> ids;
  Stmt st(db,
          "SELECT node, details FROM events INDEXED BY events_by_kind WHERE run_id = ? AND "
          "kind = 'NodeStart'");
  st.Bind(1, run);
  while (st.Step()) ids.emplace(st.Int(0), std::string(DetailField(st.Text(1), "node")));
  return ids;
}

std::string RequireRun(const ReadOnlyDb& db, int64_t id) {
  Stmt st(db, "SELECT outcome FROM runs WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) throw ApiError(404, "no run " + std::to_string(id) + " in this database");
  return st.Text(0);
}

std::pair<int64_t, int64_t> LastRecord(const ReadOnlyDb& db, int64_t run) {
  Stmt st(db, "SELECT seq, time_us FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1");
  st.Bind(1, run);
  if (!st.Step()) return {-1, -1};
  return {st.Int(0), st.Int(1)};
}

std::pair<int64_t, int64_t> RequestedWindow(const ReadOnlyDb& db, int64_t run, const Params& p) {
  const int64_t end_us = std::max<int64_t>(LastRecord(db, run).second, 0);
  const int64_t from_us = p.Int("from_us", 0, 0, INT64_MAX / 4);
  const int64_t to_us = p.Int("to_us", end_us, 0, INT64_MAX / 4);
  if (to_us < from_us)
    throw ApiError(400, "to_us (" + std::to_string(to_us) + ") is before from_us (" +
                            std::to_string(from_us) + ")");
  return {from_us, to_us};
}

int64_t SeqAtTime(const ReadOnlyDb& db, int64_t run, int64_t t_us) {
  // First record with seq >= mid: seqs need not be dense.
  Stmt at(db, "SELECT seq, time_us FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT 1");
  int64_t lo = -1, hi = LastRecord(db, run).first;  // answer in [lo, hi]
  // Bounded by log2 of the run's length.
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    at.Reset();
    at.Bind(1, run).Bind(2, mid);
    if (!at.Step()) {
      hi = mid - 1;
      continue;
    }
    if (at.Int(1) <= t_us) lo = at.Int(0);
    else hi = mid - 1;
  }
  return lo;
}

Json ListRuns(const ReadOnlyDb& db, const Params& p) {
  p.AllowOnly({"scenario", "outcome", "seed", "sort", "order", "limit", "offset"});
  const std::string scenario = p.Text("scenario", 200);
  const std::string outcome =
      p.Has("outcome") ? p.OneOf("outcome", "", {"pass", "expected", "violation", "crashed", "running"}) : "";
  const int64_t seed = p.Int("seed", -1, 0, INT64_MAX);
  std::string sort = p.Text("sort", 40);
  if (sort.empty()) sort = "id";
  auto col = SortColumns().find(sort);
  if (col == SortColumns().end()) {
    std::string names;
    for (const auto& [name, sql] : SortColumns()) names += (names.empty() ? "" : ", ") + name;
    throw ApiError(400, "cannot sort by '" + sort + "' (columns: " + names + ")");
  }
  const std::string order = p.OneOf("order", "asc", {"asc", "desc"});
  const int64_t limit = p.Int("limit", 100, 1, kMaxRunsPage);
  const int64_t offset = p.Int("offset", 0, 0, INT64_MAX / 2);
  const char* where =
      " WHERE (?1 = '' OR scenario = ?1) AND (?2 = '' OR outcome = ?2) AND (?3 < 0 OR seed = ?3)";
  Stmt count(db, std::string("SELECT count(*) FROM runs") + where);
  count.Bind(1, scenario).Bind(2, outcome).Bind(3, seed);
  count.Step();
  // The sort expression comes from SortColumns(), never from the request.
  Stmt st(db, std::string("SELECT ") + kRunColumns + " FROM runs" + where + " ORDER BY " +
                  col->second + (order == "desc" ? " DESC" : " ASC") + ", id LIMIT ?4 OFFSET ?5");
  st.Bind(1, scenario).Bind(2, outcome).Bind(3, seed).Bind(4, limit).Bind(5, offset);
  Json runs = Json::array();
  while (st.Step()) runs.push_back(RunRow(st));
  return {{"total", count.Int(0)},
          {"offset", offset},
          {"runs", runs},
          {"scenarios", Distinct(db, "SELECT DISTINCT scenario FROM runs ORDER BY 1")},
          {"outcomes", Distinct(db, "SELECT DISTINCT outcome FROM runs ORDER BY 1")}};
}

Json RunSummary(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({});
  RequireRun(db, run);
  Stmt st(db, std::string("SELECT ") + kRunColumns + ", scenario_text FROM runs WHERE id = ?");
  st.Bind(1, run);
  st.Step();
  Json out = RunRow(st);
  out["scenario_text"] = st.Text(20);
  const auto [last_seq, last_us] = LastRecord(db, run);
  out["last_seq"] = last_seq;
  out["end_us"] = std::max<int64_t>(last_us, 0);
  out["nodes"] = Nodes(db, run);
  out["violation_list"] = Violations(db, run);
  out["faults"] = Faults(db, run, out["end_us"].get<int64_t>());
  out["marks"] = Marks(db, run);
  Json types = Json::array();
  {
    Stmt t(db, "SELECT DISTINCT msg_type FROM messages WHERE run_id = ? ORDER BY 1");
    t.Bind(1, run);
    while (t.Step()) types.push_back(t.Text(0));
  }
  out["message_types"] = types;
  return out;
}

}  // namespace slotsim::viewer
