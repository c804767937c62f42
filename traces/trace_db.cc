#include "traces/trace_db.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>

#include "engine/check.h"

namespace slotsim {
namespace {

// Records per transaction: large enough to amortize the commit, small
// enough that a crash loses little.
constexpr int64_t kBatchRecords = 20000;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  seed INTEGER NOT NULL,
  scenario TEXT NOT NULL,
  scenario_path TEXT,
  build TEXT,
  settings TEXT,
  started_at TEXT,
  outcome TEXT NOT NULL,
  violations TEXT,
  sim_seconds REAL,
  events INTEGER,
  trace_hash TEXT,
  wall_seconds REAL,
  converged_ms INTEGER,
  ops INTEGER,
  ops_ok INTEGER);
CREATE TABLE IF NOT EXISTS events(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  node INTEGER NOT NULL,
  kind TEXT NOT NULL,
  peer INTEGER NOT NULL,
  msg_type TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_kind ON events(run_id, kind, seq);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs(scenario, outcome);
)sql";

std::string UtcNow() {
  // Wall-clock time belongs to run metadata only, never to events.
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::unique_ptr<TraceDb> TraceDb::Open(const std::string& path,
                                       std::string* error) {
  std::unique_ptr<TraceDb> t(new TraceDb());
  if (sqlite3_open_v2(path.c_str(), &t->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    *error = "cannot open trace database " + path + ": " +
             (t->db_ ? sqlite3_errmsg(t->db_) : "out of memory");
    return nullptr;
  }
  sqlite3_busy_timeout(t->db_, 10000);
  if (!t->Exec("PRAGMA journal_mode=WAL") || !t->Exec("PRAGMA synchronous=NORMAL") ||
      !t->Exec(kSchema)) {
    *error = "cannot initialize trace database " + path + ": " + t->error_;
    return nullptr;
  }
  // Refuse a database written by a newer slotsim rather than corrupt it.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(t->db_, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, nullptr);
  int version = 0;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version > kTraceSchemaVersion) {
    *error = path + " has trace schema version " + std::to_string(version) +
             "; this slotsim reads up to " + std::to_string(kTraceSchemaVersion);
    return nullptr;
  }
  if (version == 0 &&
      !t->Exec("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '1')")) {
    *error = t->error_;
    return nullptr;
  }
  if (sqlite3_prepare_v2(t->db_,
                         "INSERT INTO events(run_id, seq, time_us, node, kind, peer, "
                         "msg_type, details) VALUES(?,?,?,?,?,?,?,?)",
                         -1, &t->insert_event_, nullptr) != SQLITE_OK) {
    *error = sqlite3_errmsg(t->db_);
    return nullptr;
  }
  return t;
}

TraceDb::~TraceDb() {
  if (batch_ > 0) Commit();
  sqlite3_finalize(insert_event_);
  sqlite3_close(db_);
}

bool TraceDb::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    error_ = err ? err : "unknown error";
    sqlite3_free(err);
    return false;
  }
  return true;
}

void TraceDb::Commit() {
  SLOTSIM_CHECK_MSG(Exec("COMMIT"), error_.c_str());
  batch_ = 0;
}

int64_t TraceDb::BeginRun(const RunInfo& info) {
  sqlite3_stmt* st = nullptr;
  SLOTSIM_CHECK(sqlite3_prepare_v2(
                    db_,
                    "INSERT INTO runs(seed, scenario, scenario_path, build, settings, "
                    "started_at, outcome) VALUES(?,?,?,?,?,?,'running')",
                    -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(info.seed));
  sqlite3_bind_text(st, 2, info.scenario.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, info.scenario_path.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, info.build.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, info.settings.c_str(), -1, SQLITE_TRANSIENT);
  const std::string now = UtcNow();
  sqlite3_bind_text(st, 6, now.c_str(), -1, SQLITE_TRANSIENT);
  SLOTSIM_CHECK_MSG(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db_));
  sqlite3_finalize(st);
  run_id_ = sqlite3_last_insert_rowid(db_);
  return run_id_;
}

void TraceDb::OnTrace(const TraceRecord& r) {
  SLOTSIM_CHECK(run_id_ >= 0);
  if (batch_ == 0) SLOTSIM_CHECK_MSG(Exec("BEGIN"), error_.c_str());
  sqlite3_stmt* st = insert_event_;
  sqlite3_bind_int64(st, 1, run_id_);
  sqlite3_bind_int64(st, 2, r.seq);
  sqlite3_bind_int64(st, 3, r.time_us);
  sqlite3_bind_int(st, 4, r.node);
  sqlite3_bind_text(st, 5, r.kind.data(), static_cast<int>(r.kind.size()), SQLITE_STATIC);
  sqlite3_bind_int(st, 6, r.peer);
  sqlite3_bind_text(st, 7, r.msg_type.data(), static_cast<int>(r.msg_type.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 8, r.details.data(), static_cast<int>(r.details.size()), SQLITE_STATIC);
  SLOTSIM_CHECK_MSG(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db_));
  sqlite3_reset(st);
  if (++batch_ >= kBatchRecords) Commit();
}

void TraceDb::FinishRun(const RunSummary& s) {
  if (batch_ > 0) Commit();
  sqlite3_stmt* st = nullptr;
  SLOTSIM_CHECK(sqlite3_prepare_v2(
                    db_,
                    "UPDATE runs SET outcome=?, violations=?, sim_seconds=?, events=?, "
                    "trace_hash=?, wall_seconds=?, converged_ms=?, ops=?, ops_ok=? "
                    "WHERE id=?",
                    -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_text(st, 1, s.outcome.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, s.violations.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 3, s.sim_seconds);
  sqlite3_bind_int64(st, 4, s.events);
  sqlite3_bind_text(st, 5, s.trace_hash.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 6, s.wall_seconds);
  if (s.converged_ms >= 0) sqlite3_bind_int64(st, 7, s.converged_ms);
  else sqlite3_bind_null(st, 7);
  sqlite3_bind_int64(st, 8, s.ops);
  sqlite3_bind_int64(st, 9, s.ops_ok);
  sqlite3_bind_int64(st, 10, run_id_);
  SLOTSIM_CHECK_MSG(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db_));
  sqlite3_finalize(st);
  run_id_ = -1;
}

}  // namespace slotsim
