// The typed tables of the trace database (nodes, messages, client_ops,
// node_states, violations, violation_causes), derived from trace records
// as they are written, and by the schema migration from older runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <map>
#include <utility>

#include "sim/trace.h"

struct sqlite3;
struct sqlite3_stmt;

namespace slotsim {

// The value of `key` in a "k1=v1 k2=v2" details string; empty if absent.
// Keys in `kRestOfLineKeys` (reply, message) run to the end of the string,
// since their values contain spaces and are always written last.
std::string_view DetailField(std::string_view details, std::string_view key);

// The record in columns first..first+6 of the current row of `st`, a
// query of events' (seq, time_us, node, kind, peer, msg_type, details).
TraceRecord EventFromRow(sqlite3_stmt* st, int first);

// Derives the typed rows of run `run_id` (every run if -1) from the
// events already in `db` (schema migration, merging an older file). Must
// run inside the caller's transaction. False and *error on failure.
bool DeriveRowsFromEvents(sqlite3* db, int64_t run_id, std::string* error);

// Fills client_ops' asks, tryagain and clusterdown columns (schema 3) of
// run `run_id` (every run if -1) from the ClientOp records, for rows that
// were written by schema 2. Must run inside the caller's transaction.
bool BackfillClientErrorKinds(sqlite3* db, int64_t run_id, std::string* error);

class DerivedRowWriter {
 public:
  DerivedRowWriter() = default;
  DerivedRowWriter(const DerivedRowWriter&) = delete;
  DerivedRowWriter& operator=(const DerivedRowWriter&) = delete;
  ~DerivedRowWriter();

  // Prepares the statements on `db` (schema version 2 or later). False
  // and *error if that fails.
  bool Prepare(sqlite3* db, std::string* error);
  // Adds the typed rows record `r` of run `run_id` implies (most records
  // imply none). Must run inside the caller's transaction.
  bool Write(int64_t run_id, const TraceRecord& r, std::string* error);
  // Writes the messages sent but not (yet) delivered, with NULL delivery,
  // and forgets them. Call at the end of a run (a message row is written
  // when its delivery is seen, so one insert serves both ends).
  bool FlushUndelivered(std::string* error);
  // Finalizes the statements (before the connection closes); idempotent.
  void Finalize();

 private:
  struct Sent {
    std::string msg_type;
    int from_node = -1, to_node = -1;
    int64_t bytes = 0, seq = 0, time_us = 0;
  };
  // Messages in flight at once: far above any run's (connections x
  // window), low enough to stop a runaway writer.
  static constexpr size_t kInFlightMax = 10'000'000;
  bool WriteMessage(const std::pair<int64_t, int64_t>& key, const Sent& sent, int to_node,
                    int64_t deliver_seq, int64_t deliver_us, std::string* error);
  bool Step(sqlite3_stmt* st, std::string* error);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* node_ = nullptr;
  sqlite3_stmt* message_ = nullptr;
  std::map<std::pair<int64_t, int64_t>, Sent> in_flight_;  // (run_id, msg) -> send
  sqlite3_stmt* client_op_ = nullptr;
  sqlite3_stmt* node_state_ = nullptr;
  sqlite3_stmt* violation_ = nullptr;
  sqlite3_stmt* cause_ = nullptr;
};

}  // namespace slotsim
