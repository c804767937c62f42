#include "traces/trace_reader.h"

#include <nlohmann/json.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include "traces/derived_rows.h"
#include "traces/schema.h"

namespace slotsim {

std::string ReproCommand(const StoredRun& run) {
  const auto settings = nlohmann::json::parse(run.settings, nullptr, false);
  std::string repro =
      "slotsim run " + run.scenario_path + " --seed " + std::to_string(run.seed);
  if (settings.is_object() && !settings.value("buggify", true)) repro += " --no-buggify";
  if (settings.is_object())
    for (const auto& b : settings.value("injected_bugs", std::vector<std::string>{}))
      repro += " --inject-bug " + b;
  return repro;
}
namespace {

std::string Text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

std::unique_ptr<TraceReader> TraceReader::Open(const std::string& path, std::string* error) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    *error = path + ": no such trace database";
    return nullptr;
  }
  std::unique_ptr<TraceReader> r(new TraceReader());
  if (sqlite3_open_v2(path.c_str(), &r->db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (r->db_ ? sqlite3_errmsg(r->db_) : "out of memory");
    return nullptr;
  }
  sqlite3_busy_timeout(r->db_, 10000);
  std::string why;
  r->version_ = TraceSchemaVersion(r->db_, &why);
  if (r->version_ == 0) why = "an empty database, not a slotsim trace";
  if (r->version_ > kTraceSchemaVersion)
    why = "trace schema version " + std::to_string(r->version_) + "; this slotsim reads up to " +
          std::to_string(kTraceSchemaVersion);
  if (r->version_ <= 0 || r->version_ > kTraceSchemaVersion) {
    *error = path + ": " + why;
    return nullptr;
  }
  return r;
}

TraceReader::~TraceReader() { sqlite3_close(db_); }

std::vector<StoredRun> TraceReader::Query(const std::string& where, int64_t id) const {
  const std::string text_col = version_ >= 2 ? "scenario_text" : "''";
  const std::string sql =
      "SELECT id, seed, scenario, scenario_path, " + text_col +
      ", build, settings, outcome, trace_hash, violations, events, wall_seconds FROM runs " +
      where + " ORDER BY id";
  sqlite3_stmt* st = nullptr;
  std::vector<StoredRun> out;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return out;
  if (!where.empty()) sqlite3_bind_int64(st, 1, id);
  // Bounded by the runs table.
  while (sqlite3_step(st) == SQLITE_ROW) {
    StoredRun r;
    r.id = sqlite3_column_int64(st, 0);
    r.seed = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
    r.scenario = Text(st, 2);
    r.scenario_path = Text(st, 3);
    r.scenario_text = Text(st, 4);
    r.build = Text(st, 5);
    r.settings = Text(st, 6);
    r.outcome = Text(st, 7);
    r.trace_hash = Text(st, 8);
    r.violations = Text(st, 9);
    r.events = sqlite3_column_int64(st, 10);
    r.wall_seconds = sqlite3_column_double(st, 11);
    out.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  return out;
}

std::vector<StoredRun> TraceReader::Runs() const { return Query("", 0); }

std::optional<StoredRun> TraceReader::Run(int64_t id) const {
  auto runs = Query("WHERE id=?", id);
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

void TraceReader::ForEachEvent(int64_t id, int64_t from_seq,
                               const std::function<bool(const TraceRecord&)>& fn) const {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT seq, time_us, node, kind, peer, msg_type, details FROM events "
                         "WHERE run_id=? AND seq>=? ORDER BY seq",
                         -1, &st, nullptr) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, from_seq);
  // Bounded by the run's events.
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (!fn(EventFromRow(st, 0))) break;
  }
  sqlite3_finalize(st);
}

}  // namespace slotsim
