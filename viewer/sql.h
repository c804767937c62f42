// A read-only connection to a trace database and a prepared-statement
// wrapper for the viewer's queries. Every value reaches SQLite through a
// bound parameter; SQL text is only ever built from fixed strings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace slotsim::viewer {

class ReadOnlyDb {
 public:
  // Opens `path` read-only (SQLITE_OPEN_READONLY and PRAGMA query_only):
  // nothing the viewer does can change the file. The file must be a
  // slotsim trace of the current schema; an older one is refused with a
  // sentence saying how to migrate it. nullptr and *error otherwise.
  static std::unique_ptr<ReadOnlyDb> Open(const std::string& path, std::string* error);
  ~ReadOnlyDb();
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  sqlite3* handle() const { return db_; }

 private:
  ReadOnlyDb() = default;
  sqlite3* db_ = nullptr;
};

// One prepared statement. Errors (a bad statement, a failing step) throw
// ApiError 500 with SQLite's message: they are bugs or a damaged file,
// never the user's input.
class Stmt {
 public:
  Stmt(const ReadOnlyDb& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds parameter `i` (1-based); returns *this for chaining.
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);
  // Advances to the next row; false when there are no more.
  bool Step();
  // Clears the bindings' results so that the statement can run again.
  void Reset();
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;  // "" for NULL
  bool IsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace slotsim::viewer
