// The trace database's schema: version, tables, and the migrations that
// bring an older file up to date. traces/SCHEMA.md documents every table;
// keep the two in step.
#pragma once

#include <string>

struct sqlite3;

namespace slotsim {

constexpr int kTraceSchemaVersion = 3;

// The schema version `db` holds: 0 for an empty file (no tables yet), -1
// (with *error) if it is not a slotsim trace database at all (a foreign
// SQLite file, or not SQLite: corrupt).
int TraceSchemaVersion(sqlite3* db, std::string* error);

// Creates the schema in an empty database, or migrates an older one to
// kTraceSchemaVersion in one transaction. Refuses a newer version. False
// and *error on failure; the file is then unchanged.
bool EnsureTraceSchema(sqlite3* db, const std::string& path, std::string* error);

}  // namespace slotsim
