#include "core/store/sqlite_db.h"

#include <fmt/format.h>

#include <cstring>

#include "core/util/error.h"

namespace dfq {

SqliteDb::SqliteDb(const std::string& path)
    : SqliteDb(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX) {}

std::unique_ptr<SqliteDb> SqliteDb::open_read_only(const std::string& path, bool immutable) {
  // A URI (file:PATH?mode=ro[&immutable=1]) with the path's special characters escaped.
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x21 || c > 0x7e) uri += fmt::format("%{:02X}", c);
    else uri += static_cast<char>(c);
  }
  uri += immutable ? "?mode=ro&immutable=1" : "?mode=ro";
  return std::unique_ptr<SqliteDb>(
      new SqliteDb(path, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX));
}

std::unique_ptr<SqliteDb> SqliteDb::copy_in_memory(SqliteDb& source) {
  std::unique_ptr<SqliteDb> copy(
      new SqliteDb(source.path(), ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX));
  sqlite3_backup* backup = sqlite3_backup_init(copy->db_, "main", source.db_, "main");
  if (!backup) copy->fail("cannot copy the store into memory");
  const int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) source.fail("cannot copy the store into memory");
  return copy;
}

SqliteDb::SqliteDb(const std::string& path, const std::string& name, int flags) : path_(path) {
  if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("cannot open run store '{}': {}; check the --store path and its folder", path, msg));
  }
  sqlite3_busy_timeout(db_, 60000);
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

// SQLite's message, and the system's reason where SQLite saw one ("disk I/O error" says
// little; "No space left on device" says what to fix).
std::string SqliteDb::error_text(const std::string& message) const {
  const int code = sqlite3_extended_errcode(db_) & 0xff;
  const int os = sqlite3_system_errno(db_);
  if (os != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN))
    return fmt::format("{} ({})", message, std::strerror(os));
  return message;
}

void SqliteDb::fail(const std::string& what) const {
  throw Error(fmt::format("run store '{}': {}: {}", path_, what, error_text(sqlite3_errmsg(db_))));
}

void SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = error_text(err ? err : "?");
    sqlite3_free(err);
    throw Error(fmt::format("run store '{}': {} (in: {})", path_, msg, sql.substr(0, 80)));
  }
}

int SqliteDb::user_version() {
  Statement s(*this, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.int64(0));
}

void SqliteDb::set_user_version(int v) { exec(fmt::format("PRAGMA user_version = {}", v)); }

int64_t SqliteDb::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::changes() const { return sqlite3_changes(db_); }

Statement::Statement(SqliteDb& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    db.fail("cannot prepare '" + sql.substr(0, 60) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_.fail("bind");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) db_.fail("bind");
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  if (sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_.fail("bind");
  return *this;
}
Statement& Statement::bind_null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("step");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::int64(int c) const { return sqlite3_column_int64(stmt_, c); }
double Statement::real(int c) const { return sqlite3_column_double(stmt_, c); }
std::string Statement::text(int c) const {
  auto p = sqlite3_column_text(stmt_, c);
  return p ? reinterpret_cast<const char*>(p) : "";
}
bool Statement::is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

Transaction::Transaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dfq
