// Reading a trace database without changing it: what replay, diff and
// the runs listing need. Opens read-only, so it also works on a copy
// from CI or a file another process is writing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/trace.h"

struct sqlite3;

namespace slotsim {

struct StoredRun {
  int64_t id = 0;
  uint64_t seed = 0;
  std::string scenario, scenario_path, scenario_text, build, settings, outcome, trace_hash;
  std::string violations;  // JSON array
  int64_t events = 0;
  double wall_seconds = 0;
};

// The command that re-runs `run` from its scenario file: seed, and the
// buggify and injected-bug settings it was recorded with.
std::string ReproCommand(const StoredRun& run);

class TraceReader {
 public:
  // The database at `path` must exist and be a slotsim trace of schema
  // version 1..current. nullptr and *error (a sentence) otherwise.
  static std::unique_ptr<TraceReader> Open(const std::string& path, std::string* error);
  ~TraceReader();

  int schema_version() const { return version_; }
  // Every run, by id.
  std::vector<StoredRun> Runs() const;
  std::optional<StoredRun> Run(int64_t id) const;
  // Calls `fn` with run `id`'s records in seq order, from `from_seq` on,
  // until it returns false.
  void ForEachEvent(int64_t id, int64_t from_seq,
                    const std::function<bool(const TraceRecord&)>& fn) const;

 private:
  TraceReader() = default;
  std::vector<StoredRun> Query(const std::string& where, int64_t id) const;

  sqlite3* db_ = nullptr;
  int version_ = 0;
};

}  // namespace slotsim
