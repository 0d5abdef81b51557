// Thin RAII wrapper over the SQLite C API: prepared statements and transactions only.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

namespace dfq {

class SqliteDb;

class Statement {
 public:
  Statement(SqliteDb& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t v);
  Statement& bind(int index, double v);
  Statement& bind(int index, const std::string& v);
  Statement& bind_null(int index);
  // true while a row is available.
  bool step();
  // Runs to completion (for statements without results).
  void run();
  void reset();

  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);
  // Opens an existing database for reading only (SQLITE_OPEN_READONLY); `immutable`: also
  // tells SQLite the file cannot change, so it needs no -shm file (a store in a read-only
  // folder or mount).
  static std::unique_ptr<SqliteDb> open_read_only(const std::string& path, bool immutable);
  // A copy of `source` in memory (SQLite's online backup); changes to it never reach the
  // file. `path()` stays the source's, for messages.
  static std::unique_ptr<SqliteDb> copy_in_memory(SqliteDb& source);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const std::string& sql);
  int user_version();
  void set_user_version(int v);
  int64_t last_insert_id() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }
  // SQLite's message with the system's reason appended where it saw one.
  std::string error_text(const std::string& message) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  SqliteDb(const std::string& path, const std::string& name, int flags);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so busy_timeout applies),
// ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db);
  ~Transaction();
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace dfq
