#include "traces/schema.h"

#include <sqlite3.h>


#include "traces/derived_rows.h"

namespace slotsim {
namespace {

// Version 1: runs and events.
const char* kV1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE runs(
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
CREATE TABLE events(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  node INTEGER NOT NULL,
  kind TEXT NOT NULL,
  peer INTEGER NOT NULL,
  msg_type TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
CREATE INDEX events_by_kind ON events(run_id, kind, seq);
CREATE INDEX runs_by_scenario ON runs(scenario, outcome);
INSERT INTO meta(key, value) VALUES('schema_version', '1');
)sql";

// Version 2: what replay and crash marking need on runs, and typed tables
// derived from the events (nodes, message pairs, client operations, node
// states, violations with their causes) so that queries need not parse
// `details`.
const char* kV1ToV2 = R"sql(
ALTER TABLE runs ADD COLUMN scenario_text TEXT;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
ALTER TABLE runs ADD COLUMN lost_writes_allowed INTEGER;
CREATE TABLE nodes(
  run_id INTEGER NOT NULL,
  node INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY(run_id, node)) WITHOUT ROWID;
CREATE TABLE messages(
  run_id INTEGER NOT NULL,
  msg INTEGER NOT NULL,
  msg_type TEXT NOT NULL,
  from_node INTEGER NOT NULL,
  to_node INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  send_seq INTEGER NOT NULL,
  send_us INTEGER NOT NULL,
  deliver_seq INTEGER,
  deliver_us INTEGER,
  PRIMARY KEY(run_id, msg)) WITHOUT ROWID;
CREATE INDEX messages_by_time ON messages(run_id, send_us);
CREATE TABLE client_ops(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  client INTEGER NOT NULL,
  command TEXT NOT NULL,
  key TEXT NOT NULL,
  outcome TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  redirects INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  reply TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
CREATE TABLE node_states(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  node INTEGER NOT NULL,
  role TEXT NOT NULL,
  primary_name TEXT,
  current_epoch INTEGER NOT NULL,
  config_epoch INTEGER NOT NULL,
  last_vote_epoch INTEGER NOT NULL,
  state TEXT NOT NULL,
  slots TEXT NOT NULL,
  known_nodes INTEGER NOT NULL,
  PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
CREATE INDEX node_states_by_node ON node_states(run_id, node, time_us);
CREATE TABLE violations(
  run_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  id TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
CREATE TABLE violation_causes(
  run_id INTEGER NOT NULL,
  violation_seq INTEGER NOT NULL,
  cause_seq INTEGER NOT NULL,
  PRIMARY KEY(run_id, violation_seq, cause_seq)) WITHOUT ROWID;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
)sql";

// Version 3: what the viewer needs. client_ops splits its redirects and
// retries by kind (ASK, TRYAGAIN, CLUSTERDOWN; MOVED is redirects - asks),
// and messages are indexed by type and time instead of time alone, so that
// the space-time diagram can count and fetch one message type in a time
// window from the index (nothing read messages by time across types, and
// a second index on the largest table would slow every run's writes).
const char* kV2ToV3 = R"sql(
DROP INDEX IF EXISTS messages_by_time;
ALTER TABLE client_ops ADD COLUMN asks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE client_ops ADD COLUMN tryagain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE client_ops ADD COLUMN clusterdown INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_type ON messages(run_id, msg_type, send_us);
UPDATE meta SET value = '3' WHERE key = 'schema_version';
)sql";

bool Exec(sqlite3* db, const char* sql, std::string* error) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    *error = err ? err : "unknown SQLite error";
    sqlite3_free(err);
    return false;
  }
  return true;
}

}  // namespace

int TraceSchemaVersion(sqlite3* db, std::string* error) {
  sqlite3_stmt* st = nullptr;
  // Reading sqlite_master is the first access: a file that is not SQLite
  // fails here ("file is not a database").
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, nullptr) !=
          SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    *error = std::string("not a SQLite database (") + sqlite3_errmsg(db) + ")";
    sqlite3_finalize(st);
    return -1;
  }
  const int tables = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (tables == 0) return 0;
  int version = -1;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version <= 0) *error = "a SQLite database, but not a slotsim trace (no schema_version)";
  return version <= 0 ? -1 : version;
}

bool EnsureTraceSchema(sqlite3* db, const std::string& path, std::string* error) {
  int version = TraceSchemaVersion(db, error);
  if (version < 0) {
    *error = path + ": " + *error;
    return false;
  }
  if (version == kTraceSchemaVersion) return true;
  if (version > kTraceSchemaVersion) {
    *error = path + " has trace schema version " + std::to_string(version) +
             "; this slotsim reads up to " + std::to_string(kTraceSchemaVersion);
    return false;
  }
  if (!Exec(db, "BEGIN IMMEDIATE", error)) return false;
  // Re-read under the write lock: another process may have migrated it.
  version = TraceSchemaVersion(db, error);
  bool ok = version >= 0;
  if (ok && version == 0) ok = Exec(db, kV1, error), version = 1;
  // From version 1 the typed rows are derived after the last DDL step, so
  // they get every column; from version 2 only the new client_ops columns
  // need filling.
  if (ok && version == 1)
    ok = Exec(db, kV1ToV2, error) && Exec(db, kV2ToV3, error) &&
         DeriveRowsFromEvents(db, -1, error);
  else if (ok && version == 2)
    ok = Exec(db, kV2ToV3, error) && BackfillClientErrorKinds(db, -1, error);
  if (!ok) {
    std::string ignored;
    Exec(db, "ROLLBACK", &ignored);
    *error = "cannot bring " + path + " to trace schema " +
             std::to_string(kTraceSchemaVersion) + ": " + *error;
    return false;
  }
  return Exec(db, "COMMIT", error);
}

}  // namespace slotsim
