// The trace database (SQLite): one row per run, one per trace record, and
// typed rows derived from them (traces/derived_rows.h). Written in WAL
// mode with prepared statements and batched transactions; every committed
// batch stays readable if the process dies, and a run whose process died
// is marked "crashed" the next time a slotsim opens the file for writing.
// The schema and its migrations: traces/schema.h, traces/SCHEMA.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/trace.h"
#include "traces/derived_rows.h"
#include "traces/schema.h"

struct sqlite3;
struct sqlite3_stmt;

namespace slotsim {

struct RunInfo {
  uint64_t seed = 0;
  std::string scenario;       // scenario name
  std::string scenario_path;  // file it came from
  std::string scenario_text;  // the scenario as loaded (protobuf text): replay runs this
  std::string build;          // git revision of the binary
  std::string settings;       // JSON of run options
};

struct RunSummary {
  std::string outcome;        // pass | violation | crashed
  std::string violations;     // JSON array
  double sim_seconds = 0;
  int64_t events = 0;
  std::string trace_hash;
  double wall_seconds = 0;
  int64_t converged_ms = -1;
  int64_t ops = 0, ops_ok = 0;
  int64_t lost_writes_allowed = 0;
};

class TraceDb : public TraceSink {
 public:
  // Opens or creates the database at `path`, brings its schema to the
  // current version, and marks this host's runs whose process is gone as
  // crashed. nullptr and *error on failure (a foreign or corrupt file, a
  // newer schema, no permission).
  static std::unique_ptr<TraceDb> Open(const std::string& path, std::string* error);
  ~TraceDb() override;

  // Inserts a run row with outcome "running" (with this process's pid and
  // host) and directs OnTrace to it.
  int64_t BeginRun(const RunInfo& info);
  // Appends one record to the current run (batched).
  void OnTrace(const TraceRecord& record) override;
  // Flushes the batch and writes the run's summary.
  void FinishRun(const RunSummary& summary);
  // Marks run `id` crashed (its process died): outcome "crashed", with
  // `why` as its one violation. False if there is no such running run.
  bool MarkCrashed(int64_t id, const std::string& why);
  sqlite3* handle() const { return db_; }
  const std::string& last_error() const { return error_; }

 private:
  TraceDb() = default;
  bool Exec(const char* sql);
  void Commit();
  void MarkDeadRunsCrashed();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  DerivedRowWriter derived_;
  int64_t run_id_ = -1;
  int64_t batch_ = 0;
  std::string error_;
};

// This machine's name, as recorded in runs.host.
std::string HostName();

}  // namespace slotsim
