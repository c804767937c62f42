#include "traces/merge.h"

#include <sqlite3.h>

#include <utility>

#include "traces/derived_rows.h"
#include "traces/schema.h"

namespace slotsim {
namespace {

// Columns of `runs` in schema 1, and those schema 2 added.
constexpr const char* kRunColumnsV1 =
    "seed, scenario, scenario_path, build, settings, started_at, outcome, violations, "
    "sim_seconds, events, trace_hash, wall_seconds, converged_ms, ops, ops_ok";
constexpr const char* kRunColumnsV2 = ", scenario_text, pid, host, lost_writes_allowed";

// Tables keyed by run_id whose rows are copied as they are (schema 2),
// with their columns after run_id.
constexpr std::pair<const char*, const char*> kTypedTables[] = {
    {"nodes", "node, name"},
    {"messages",
     "msg, msg_type, from_node, to_node, bytes, send_seq, send_us, deliver_seq, deliver_us"},
    {"client_ops",
     "seq, time_us, client, command, key, outcome, latency_us, redirects, retries, reply"},
    {"node_states",
     "seq, time_us, node, role, primary_name, current_epoch, config_epoch, last_vote_epoch, "
     "state, slots, known_nodes"},
    {"violations", "seq, time_us, id, message"},
    {"violation_causes", "violation_seq, cause_seq"},
};

constexpr const char* kClientOpColumnsV3 = ", asks, tryagain, clusterdown";

class Sql {
 public:
  explicit Sql(sqlite3* db) : db_(db) {}
  bool Exec(const std::string& sql, std::string* error) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return true;
    *error = err ? err : "unknown SQLite error";
    sqlite3_free(err);
    return false;
  }

 private:
  sqlite3* db_;
};

bool CopyRuns(sqlite3* db, int version, std::vector<std::pair<int64_t, int64_t>>* id_map,
              std::string* error) {
  Sql sql(db);
  std::vector<int64_t> ids;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT id FROM src.runs ORDER BY id", -1, &st, nullptr) !=
      SQLITE_OK) {
    *error = sqlite3_errmsg(db);
    return false;
  }
  while (sqlite3_step(st) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  const std::string columns =
      std::string(kRunColumnsV1) + (version >= 2 ? kRunColumnsV2 : "");
  for (const int64_t old_id : ids) {
    const std::string from = std::to_string(old_id);
    if (!sql.Exec("INSERT INTO main.runs(" + columns + ") SELECT " + columns +
                      " FROM src.runs WHERE id=" + from,
                  error))
      return false;
    const std::string to = std::to_string(sqlite3_last_insert_rowid(db));
    if (!sql.Exec("INSERT INTO main.events SELECT " + to +
                      ", seq, time_us, node, kind, peer, msg_type, details FROM src.events "
                      "WHERE run_id=" + from,
                  error))
      return false;
    if (version >= 2) {
      for (const auto& [table, base_cols] : kTypedTables) {
        std::string cols = base_cols;
        if (version >= 3 && std::string_view(table) == "client_ops") cols += kClientOpColumnsV3;
        if (!sql.Exec("INSERT INTO main." + std::string(table) + "(run_id, " + cols +
                          ") SELECT " + to + ", " + cols + " FROM src." + table +
                          " WHERE run_id=" + from,
                      error))
          return false;
      }
      if (version == 2 && !BackfillClientErrorKinds(db, std::stoll(to), error)) return false;
    } else if (!DeriveRowsFromEvents(db, std::stoll(to), error)) {
      return false;
    }
    id_map->push_back({old_id, std::stoll(to)});
  }
  return true;
}

}  // namespace

bool MergeTraceInto(TraceDb& dst, const std::string& src_path,
                    std::vector<std::pair<int64_t, int64_t>>* id_map, std::string* error) {
  // Check the source on its own read-only connection first, for a clear
  // message on a foreign or corrupt file.
  sqlite3* src = nullptr;
  if (sqlite3_open_v2(src_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + src_path + ": " + (src ? sqlite3_errmsg(src) : "out of memory");
    sqlite3_close(src);
    return false;
  }
  std::string why;
  const int version = TraceSchemaVersion(src, &why);
  sqlite3_close(src);
  if (version <= 0 || version > kTraceSchemaVersion) {
    *error = src_path + ": " +
             (version == 0 ? std::string("an empty database, not a slotsim trace")
              : version < 0
                  ? why
                  : "trace schema version " + std::to_string(version) +
                        "; this slotsim reads up to " + std::to_string(kTraceSchemaVersion));
    return false;
  }
  sqlite3* db = dst.handle();
  Sql sql(db);
  sqlite3_stmt* attach = nullptr;
  sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS src", -1, &attach, nullptr);
  sqlite3_bind_text(attach, 1, src_path.c_str(), -1, SQLITE_TRANSIENT);
  const bool attached = sqlite3_step(attach) == SQLITE_DONE;
  sqlite3_finalize(attach);
  if (!attached) {
    *error = "cannot attach " + src_path + ": " + sqlite3_errmsg(db);
    return false;
  }
  std::vector<std::pair<int64_t, int64_t>> map;
  bool ok = sql.Exec("BEGIN IMMEDIATE", error);
  if (ok) {
    ok = CopyRuns(db, version, &map, error);
    std::string ignored;
    if (ok) ok = sql.Exec("COMMIT", error);
    else sql.Exec("ROLLBACK", &ignored);
  }
  std::string ignored;
  sql.Exec("DETACH DATABASE src", &ignored);
  if (!ok) {
    *error = "cannot merge " + src_path + ": " + *error;
    return false;
  }
  id_map->insert(id_map->end(), map.begin(), map.end());
  return true;
}

}  // namespace slotsim
