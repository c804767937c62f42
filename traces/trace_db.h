// The trace database (SQLite): one row per run, one per trace record.
// Written in WAL mode with one prepared statement and batched
// transactions; every committed batch stays readable if the process dies.
// The full schema with migrations is documented in traces/SCHEMA.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/trace.h"

struct sqlite3;
struct sqlite3_stmt;

namespace slotsim {

constexpr int kTraceSchemaVersion = 1;

struct RunInfo {
  uint64_t seed = 0;
  std::string scenario;       // scenario name
  std::string scenario_path;  // file it came from
  std::string build;          // git revision of the binary
  std::string settings;       // JSON of run options
};

struct RunSummary {
  std::string outcome;        // pass | violation | crash
  std::string violations;     // JSON array
  double sim_seconds = 0;
  int64_t events = 0;
  std::string trace_hash;
  double wall_seconds = 0;
  int64_t converged_ms = -1;
  int64_t ops = 0, ops_ok = 0;
};

class TraceDb : public TraceSink {
 public:
  // Opens or creates the database at `path` and brings its schema to the
  // current version. nullptr and *error on failure.
  static std::unique_ptr<TraceDb> Open(const std::string& path,
                                       std::string* error);
  ~TraceDb() override;

  // Inserts a run row with outcome "running" and directs OnTrace to it.
  int64_t BeginRun(const RunInfo& info);
  // Appends one record to the current run (batched).
  void OnTrace(const TraceRecord& record) override;
  // Flushes the batch and writes the run's summary.
  void FinishRun(const RunSummary& summary);
  const std::string& last_error() const { return error_; }

 private:
  TraceDb() = default;
  bool Exec(const char* sql);
  void Commit();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  int64_t run_id_ = -1;
  int64_t batch_ = 0;
  std::string error_;
};

}  // namespace slotsim
