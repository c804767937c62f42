#include "traces/trace_db.h"

#include <sqlite3.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <vector>

#include "engine/check.h"

namespace slotsim {
namespace {

// Records per transaction: large enough to amortize the commit, small
// enough that a crash loses little.
constexpr int64_t kBatchRecords = 20000;

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

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::unique_ptr<TraceDb> TraceDb::Open(const std::string& path, std::string* error) {
  std::unique_ptr<TraceDb> t(new TraceDb());
  if (sqlite3_open_v2(path.c_str(), &t->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    *error = "cannot open trace database " + path + ": " +
             (t->db_ ? sqlite3_errmsg(t->db_) : "out of memory");
    return nullptr;
  }
  sqlite3_busy_timeout(t->db_, 10000);
  std::string why;
  if (TraceSchemaVersion(t->db_, &why) < 0) {
    *error = path + ": " + why;
    return nullptr;
  }
  if (!t->Exec("PRAGMA journal_mode=WAL") || !t->Exec("PRAGMA synchronous=NORMAL")) {
    *error = "cannot initialize trace database " + path + ": " + t->error_;
    return nullptr;
  }
  if (!EnsureTraceSchema(t->db_, path, error)) return nullptr;
  if (sqlite3_prepare_v2(t->db_,
                         "INSERT INTO events(run_id, seq, time_us, node, kind, peer, "
                         "msg_type, details) VALUES(?,?,?,?,?,?,?,?)",
                         -1, &t->insert_event_, nullptr) != SQLITE_OK ||
      !t->derived_.Prepare(t->db_, error)) {
    if (error->empty()) *error = sqlite3_errmsg(t->db_);
    return nullptr;
  }
  t->MarkDeadRunsCrashed();
  return t;
}

void TraceDb::MarkDeadRunsCrashed() {
  sqlite3_stmt* st = nullptr;
  SLOTSIM_CHECK(sqlite3_prepare_v2(db_,
                                   "SELECT id, pid FROM runs WHERE outcome='running' AND host=?",
                                   -1, &st, nullptr) == SQLITE_OK);
  const std::string host = HostName();
  sqlite3_bind_text(st, 1, host.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<int64_t, int64_t>> dead;
  // Bounded by the runs table.
  while (sqlite3_step(st) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(st, 0), pid = sqlite3_column_int64(st, 1);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      dead.push_back({id, pid});
  }
  sqlite3_finalize(st);
  for (const auto& [id, pid] : dead)
    MarkCrashed(id, "process " + std::to_string(pid) + " died during the run");
}

bool TraceDb::MarkCrashed(int64_t id, const std::string& why) {
  sqlite3_stmt* st = nullptr;
  SLOTSIM_CHECK(sqlite3_prepare_v2(db_,
                                   "UPDATE runs SET outcome='crashed', violations=json_array("
                                   "json_object('id','crash','message',?,'time_ms',NULL)), "
                                   "events=(SELECT count(*) FROM events WHERE run_id=?2) "
                                   "WHERE id=?2 AND outcome='running'",
                                   -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_text(st, 1, why.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, id);
  const bool ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db_) == 1;
  sqlite3_finalize(st);
  return ok;
}

TraceDb::~TraceDb() {
  if (batch_ > 0) Commit();
  sqlite3_finalize(insert_event_);
  derived_.Finalize();
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
                    "started_at, outcome, scenario_text, pid, host) "
                    "VALUES(?,?,?,?,?,?,'running',?,?,?)",
                    -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(info.seed));
  sqlite3_bind_text(st, 2, info.scenario.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, info.scenario_path.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, info.build.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, info.settings.c_str(), -1, SQLITE_TRANSIENT);
  const std::string now = UtcNow();
  sqlite3_bind_text(st, 6, now.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, info.scenario_text.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 8, static_cast<int64_t>(getpid()));
  const std::string host = HostName();
  sqlite3_bind_text(st, 9, host.c_str(), -1, SQLITE_TRANSIENT);
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
  SLOTSIM_CHECK_MSG(derived_.Write(run_id_, r, &error_), error_.c_str());
  if (++batch_ >= kBatchRecords) Commit();
}

void TraceDb::FinishRun(const RunSummary& s) {
  if (batch_ == 0) SLOTSIM_CHECK_MSG(Exec("BEGIN"), error_.c_str());
  batch_++;
  SLOTSIM_CHECK_MSG(derived_.FlushUndelivered(&error_), error_.c_str());
  Commit();
  sqlite3_stmt* st = nullptr;
  SLOTSIM_CHECK(sqlite3_prepare_v2(
                    db_,
                    "UPDATE runs SET outcome=?, violations=?, sim_seconds=?, events=?, "
                    "trace_hash=?, wall_seconds=?, converged_ms=?, ops=?, ops_ok=?, "
                    "lost_writes_allowed=? WHERE id=?",
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
  sqlite3_bind_int64(st, 10, s.lost_writes_allowed);
  sqlite3_bind_int64(st, 11, run_id_);
  SLOTSIM_CHECK_MSG(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db_));
  sqlite3_finalize(st);
  run_id_ = -1;
}

}  // namespace slotsim
