#include "viewer/sql.h"

#include <sqlite3.h>

#include "traces/schema.h"
#include "viewer/api_error.h"

namespace slotsim::viewer {

std::unique_ptr<ReadOnlyDb> ReadOnlyDb::Open(const std::string& path, std::string* error) {
  std::unique_ptr<ReadOnlyDb> db(new ReadOnlyDb());
  if (sqlite3_open_v2(path.c_str(), &db->db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (db->db_ ? sqlite3_errmsg(db->db_) : "out of memory");
    return nullptr;
  }
  sqlite3_busy_timeout(db->db_, 2000);
  if (sqlite3_exec(db->db_, "PRAGMA query_only = ON", nullptr, nullptr, nullptr) != SQLITE_OK) {
    *error = path + ": " + sqlite3_errmsg(db->db_);
    return nullptr;
  }
  const int version = TraceSchemaVersion(db->db_, error);
  if (version < 0) {
    *error = path + ": " + *error;
    return nullptr;
  }
  if (version == 0) {
    *error = path + " is empty: not a slotsim trace";
    return nullptr;
  }
  if (version < kTraceSchemaVersion) {
    *error = path + " has trace schema " + std::to_string(version) +
             "; the viewer needs " + std::to_string(kTraceSchemaVersion) +
             " and never writes the file. Migrate it once with: slotsim runs " + path;
    return nullptr;
  }
  if (version > kTraceSchemaVersion) {
    *error = path + " has trace schema " + std::to_string(version) +
             "; this slotsim reads up to " + std::to_string(kTraceSchemaVersion);
    return nullptr;
  }
  return db;
}

ReadOnlyDb::~ReadOnlyDb() { sqlite3_close(db_); }

Stmt::Stmt(const ReadOnlyDb& db, std::string_view sql) : db_(db.handle()) {
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st_, nullptr) !=
      SQLITE_OK)
    throw ApiError(500, std::string("query failed: ") + sqlite3_errmsg(db_));
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

bool Stmt::Step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw ApiError(500, std::string("query failed: ") + sqlite3_errmsg(db_));
}

void Stmt::Reset() { sqlite3_reset(st_); }

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(st_, col); }
double Stmt::Real(int col) const { return sqlite3_column_double(st_, col); }

std::string Stmt::Text(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(st_, col)))
           : std::string();
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

}  // namespace slotsim::viewer
