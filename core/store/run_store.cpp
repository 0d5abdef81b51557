#include "core/store/run_store.h"

#include <fmt/format.h>

#include <filesystem>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/store/sqlite_db.h"
#include "core/util/error.h"

namespace dfq {
namespace {

// Schema steps; step i takes user_version i to i+1. Never edit a shipped step: append one.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> steps = {
      // 0 -> 1: the first schema (docs/store.md).
      R"sql(
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        suite TEXT NOT NULL, method TEXT NOT NULL, model TEXT NOT NULL, dataset TEXT NOT NULL,
        w_bits INTEGER NOT NULL, a_bits INTEGER NOT NULL, seed INTEGER NOT NULL,
        config_json TEXT NOT NULL, config_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','done','failed','interrupted')),
        error TEXT, started_at TEXT NOT NULL, ended_at TEXT,
        git_sha TEXT, git_dirty INTEGER, host TEXT, torch_version TEXT, threads INTEGER, device TEXT);
      CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value REAL,
        PRIMARY KEY (run_id, key));
      CREATE TABLE curves (run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL,
        key TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, step, key));
      CREATE INDEX runs_cell ON runs(suite, method, model, dataset, w_bits, a_bits, seed);
      )sql",
      // 1 -> 2: the writer's pid, so a later open can tell a live run from a killed one.
      R"sql(
      ALTER TABLE runs ADD COLUMN pid INTEGER;
      CREATE INDEX runs_status ON runs(status);
      )sql",
      // 2 -> 3: the method's paper and year, so reports can cite without the plugins.
      R"sql(
      ALTER TABLE runs ADD COLUMN paper TEXT;
      ALTER TABLE runs ADD COLUMN year INTEGER;
      )sql",
      // 3 -> 4: how the run departs from the method's official code (a JSON list of lines),
      // so reports can say it without the plugins.
      R"sql(
      ALTER TABLE runs ADD COLUMN notes TEXT;
      )sql",
      // 4 -> 5: runs from many stores in one (dfq merge: Slurm shards). `uid` names a run in
      // every store it is copied to; `slurm_job` is the job (ARRAYJOB_TASK) it ran in;
      // `merged_from` the shard it was copied from ("" when it was written here);
      // `build_commit` the commit the binary was built from (git_sha is the checkout's);
      // `cpu` the processor's model name (timings compare only on one model).
      R"sql(
      ALTER TABLE runs ADD COLUMN uid TEXT;
      UPDATE runs SET uid = lower(hex(randomblob(16)));
      CREATE UNIQUE INDEX runs_uid ON runs(uid);
      ALTER TABLE runs ADD COLUMN slurm_job TEXT;
      ALTER TABLE runs ADD COLUMN merged_from TEXT;
      ALTER TABLE runs ADD COLUMN build_commit TEXT;
      ALTER TABLE runs ADD COLUMN cpu TEXT;
      )sql",
  };
  return steps;
}

const char* kRunColumns =
    "id, suite, method, model, dataset, w_bits, a_bits, seed, config_json, config_hash, status, "
    "COALESCE(error,''), started_at, COALESCE(ended_at,''), COALESCE(git_sha,''), COALESCE(git_dirty,0), "
    "COALESCE(host,''), COALESCE(torch_version,''), COALESCE(threads,0), COALESCE(device,''), COALESCE(pid,0), "
    "COALESCE(paper,''), COALESCE(year,0), COALESCE(notes,'[]'), COALESCE(uid,''), COALESCE(slurm_job,''), "
    "COALESCE(merged_from,''), COALESCE(build_commit,''), COALESCE(cpu,'')";

RunRecord read_run(const Statement& s) {
  RunRecord r;
  r.id = s.int64(0);
  r.key.suite = s.text(1);
  r.key.method = s.text(2);
  r.key.model = s.text(3);
  r.key.dataset = s.text(4);
  r.key.w_bits = static_cast<int>(s.int64(5));
  r.key.a_bits = static_cast<int>(s.int64(6));
  r.key.seed = s.int64(7);
  r.config_json = s.text(8);
  r.config_hash = s.text(9);
  r.status = s.text(10);
  r.error = s.text(11);
  r.started_at = s.text(12);
  r.ended_at = s.text(13);
  r.git_sha = s.text(14);
  r.git_dirty = s.int64(15) != 0;
  r.host = s.text(16);
  r.torch_version = s.text(17);
  r.threads = static_cast<int>(s.int64(18));
  r.device = s.text(19);
  r.pid = s.int64(20);
  r.paper = s.text(21);
  r.year = static_cast<int>(s.int64(22));
  r.notes = nlohmann::json::parse(s.text(23), nullptr, /*allow_exceptions=*/false);
  if (!r.notes.is_array()) r.notes = nlohmann::json::array();  // unreadable: shown as none
  r.uid = s.text(24);
  r.slurm_job = s.text(25);
  r.merged_from = s.text(26);
  r.build_commit = s.text(27);
  r.cpu = s.text(28);
  return r;
}

// A process of this host that still exists (EPERM: it exists, owned by another user).
bool local_process_alive(int64_t pid) {
  return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::string local_host() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

}  // namespace

std::string cell_label(const RunKey& k) {
  return fmt::format("{} W{}A{} seed {} (suite {})", k.method, k.w_bits, k.a_bits, k.seed, k.suite);
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

namespace {

// A new store appears whole: its first page is written in a temporary sibling that is then
// linked into place, so no other process (a second sweep, `dfq runs` while a sweep starts)
// ever opens it as the empty file that open_store_file takes for a truncated store. When
// another process linked its own first, that one is used.
void create_store_file(const std::string& path) {
  const auto tmp = fmt::format("{}.new.{}", path, ::getpid());
  try {
    SqliteDb db(tmp);
    db.exec("PRAGMA journal_mode=WAL");  // writes the header page
  } catch (const Error&) {
    return;  // the folder is missing or not writable: opening `path` says so, naming it
  }
  // Where the file system has no hard links, SQLite creates the store in place, as before.
  ::link(tmp.c_str(), path.c_str());
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(tmp + suffix, ignored);
}

// SQLite takes an empty file for a new database; a store that is an empty file was truncated
// (or never written), and starting afresh over it would hide that.
std::unique_ptr<SqliteDb> open_store_file(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) create_store_file(path);
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
    throw CorruptFileError(fmt::format("run store '{}' is an empty file (a truncated store?); restore it from a copy, "
                                       "or delete it to start a new store",
                                       path));
  return std::make_unique<SqliteDb>(path);
}

std::unique_ptr<SqliteDb> open_store_read_only(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw MissingFileError(fmt::format("no run store at {}; check --store (commands that only read never create one)",
                                       path));
  if (!S_ISREG(st.st_mode)) throw InvalidInputError(fmt::format("run store '{}' is not a file", path));
  if (st.st_size == 0)
    throw CorruptFileError(fmt::format("run store '{}' is an empty file (a truncated store?); restore it from a copy",
                                       path));
  // SQLite reads a WAL-mode database through a -shm file it must be able to create. In a
  // folder it cannot write, with no pending -wal file, the store is read as immutable.
  const auto dir = std::filesystem::path(path).parent_path();
  const bool dir_writable = access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
  const bool pending_wal = stat((path + "-wal").c_str(), &st) == 0 && st.st_size > 0;
  return SqliteDb::open_read_only(path, !dir_writable && !pending_wal);
}

}  // namespace

RunStore::RunStore(const std::string& path, Access access)
    : path_(path),
      db_(access == Access::ReadOnly ? open_store_read_only(path) : open_store_file(path)),
      read_only_(access == Access::ReadOnly) {
  if (read_only_) {
    int v = 0;
    try {
      v = db_->user_version();
    } catch (const Error& e) {
      throw CorruptFileError(fmt::format("run store '{}' cannot be read: {}", path, e.what()));
    }
    if (v > kSchemaVersion || v == 0)
      throw InvalidInputError(fmt::format(
          "run store '{}' has schema version {}, this build reads {}; {}", path, v, kSchemaVersion,
          v > kSchemaVersion ? "update dfqbench" : "it holds no run store schema yet (is it a run store?)"));
    if (v < kSchemaVersion) {
      // A store of an older version (an archived or committed one) is read through a copy
      // in memory, migrated there: the file is left as it is.
      db_ = SqliteDb::copy_in_memory(*db_);
      migrate();
      db_->exec("PRAGMA query_only=ON");  // a reader still: writes fail as on the file
    }
    db_->exec("PRAGMA foreign_keys=ON");
    return;
  }
  db_->exec("PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=NORMAL");
  db_->exec("PRAGMA foreign_keys=ON");
  migrate();
  recover_interrupted();
}

void RunStore::as_seen(RunRecord& r) const {
  if (!read_only_ || r.status != "running" || r.host != local_host()) return;
  if (local_process_alive(r.pid)) return;
  r.status = "interrupted";
  r.error = "process ended before the run finished";
}

RunStore::~RunStore() = default;

void RunStore::verify_integrity() const {
  std::string first;
  int problems = 0;
  try {
    Statement s(*db_, "PRAGMA quick_check");
    while (s.step()) {
      const auto line = s.text(0);
      if (line == "ok") continue;
      if (problems++ == 0) first = line;
    }
  } catch (const Error& e) {
    throw CorruptFileError(fmt::format("run store '{}' failed its integrity check: {}; restore it from a copy",
                                       path_, e.what()));
  }
  if (problems > 0)
    throw CorruptFileError(fmt::format("run store '{}' is corrupt ({} problem(s), first: {}); restore it from a copy",
                                       path_, problems, first));
}

void RunStore::migrate() {
  Transaction tx(*db_);
  int v = db_->user_version();
  const auto& steps = migrations();
  if (v > static_cast<int>(steps.size()))
    throw Error(fmt::format("run store '{}' has schema version {}, newer than this build's {}; update dfqbench or "
                            "use another --store",
                            path_, v, steps.size()));
  for (; v < static_cast<int>(steps.size()); ++v) {
    db_->exec(steps[v]);
    db_->set_user_version(v + 1);
  }
  tx.commit();
}

int RunStore::schema_version() const { return db_->user_version(); }

int RunStore::schema_version_of(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) == 0 || ec) return 0;
  return open_store_read_only(path)->user_version();
}

int64_t RunStore::recover_interrupted() {
  const std::string host = local_host();
  std::vector<int64_t> dead;
  {
    Statement s(*db_, "SELECT id, COALESCE(pid,0) FROM runs WHERE status='running' AND host=?");
    s.bind(1, host);
    while (s.step()) {
      if (!local_process_alive(s.int64(1))) dead.push_back(s.int64(0));
    }
  }
  if (dead.empty()) return 0;
  Transaction tx(*db_);
  Statement u(*db_,
              "UPDATE runs SET status='interrupted', ended_at=?, error='process ended before the run finished' "
              "WHERE id=? AND status='running'");
  for (int64_t id : dead) {
    u.bind(1, utc_now()).bind(2, id);
    u.run();
  }
  tx.commit();
  return static_cast<int64_t>(dead.size());
}

int64_t RunStore::begin_run(const RunKey& k, const std::string& config_json, const std::string& config_hash,
                            const Environment& env, const std::string& paper, int year,
                            const std::vector<std::string>& notes) {
  Transaction tx(*db_);
  const int64_t id = insert_running(k, config_json, config_hash, env, paper, year, notes);
  tx.commit();
  return id;
}

int64_t RunStore::insert_running(const RunKey& k, const std::string& config_json, const std::string& config_hash,
                                 const Environment& env, const std::string& paper, int year,
                                 const std::vector<std::string>& notes) {
  Statement s(*db_,
              "INSERT INTO runs (suite, method, model, dataset, w_bits, a_bits, seed, config_json, config_hash, "
              "status, started_at, git_sha, git_dirty, host, torch_version, threads, device, pid, paper, year, notes, "
              "uid, slurm_job, build_commit, cpu) VALUES (?,?,?,?,?,?,?,?,?,'running',?,?,?,?,?,?,?,?,?,?,?,"
              "lower(hex(randomblob(16))),?,?,?)");
  s.bind(1, k.suite).bind(2, k.method).bind(3, k.model).bind(4, k.dataset);
  s.bind(5, int64_t{k.w_bits}).bind(6, int64_t{k.a_bits}).bind(7, k.seed);
  s.bind(8, config_json).bind(9, config_hash).bind(10, utc_now());
  s.bind(11, env.git_sha).bind(12, int64_t{env.git_dirty}).bind(13, env.host).bind(14, env.torch_version);
  s.bind(15, int64_t{env.threads}).bind(16, env.device).bind(17, int64_t{getpid()});
  s.bind(18, paper).bind(19, int64_t{year}).bind(20, nlohmann::json(notes).dump()).bind(21, env.slurm_job);
  s.bind(22, env.build_commit).bind(23, env.cpu);
  s.run();
  return db_->last_insert_id();
}

RunStore::Claim RunStore::claim_run(const RunKey& k, const std::string& config_json, const std::string& config_hash,
                                   const Environment& env, const std::string& paper, int year,
                                   const std::vector<std::string>& notes) {
  Transaction tx(*db_);  // BEGIN IMMEDIATE: a second claimant waits here, then sees this row
  Statement q(*db_,
              "SELECT status, COALESCE(pid,0), host FROM runs WHERE status IN ('done','running') AND suite=? AND "
              "method=? AND model=? AND dataset=? AND w_bits=? AND a_bits=? AND seed=? AND config_hash=?");
  q.bind(1, k.suite).bind(2, k.method).bind(3, k.model).bind(4, k.dataset);
  q.bind(5, int64_t{k.w_bits}).bind(6, int64_t{k.a_bits}).bind(7, k.seed).bind(8, config_hash);
  const std::string host = local_host();
  while (q.step()) {
    if (q.text(0) == "done") return {Claim::Done, 0, 0};
    if (q.text(2) == host && local_process_alive(q.int64(1))) return {Claim::Running, 0, q.int64(1)};
  }
  Environment claimant = env;
  claimant.host = host;  // the claim's liveness is checked on this host
  const int64_t id = insert_running(k, config_json, config_hash, claimant, paper, year, notes);
  tx.commit();
  return {Claim::Claimed, id, 0};
}

void RunStore::adopt_run(int64_t run, const RunKey& k, const std::string& config_hash, const Environment& env) {
  Transaction tx(*db_);
  Statement u(*db_,
              "UPDATE runs SET pid=?, started_at=?, git_sha=?, git_dirty=?, host=?, torch_version=?, threads=?, "
              "device=?, slurm_job=?, build_commit=?, cpu=? WHERE id=? AND status='running' AND suite=? AND method=? AND "
              "model=? AND dataset=? AND w_bits=? AND a_bits=? AND seed=? AND config_hash=?");
  u.bind(1, int64_t{getpid()}).bind(2, utc_now()).bind(3, env.git_sha).bind(4, int64_t{env.git_dirty});
  u.bind(5, env.host).bind(6, env.torch_version).bind(7, int64_t{env.threads}).bind(8, env.device);
  u.bind(9, env.slurm_job).bind(10, env.build_commit).bind(11, env.cpu).bind(12, run);
  u.bind(13, k.suite).bind(14, k.method).bind(15, k.model).bind(16, k.dataset);
  u.bind(17, int64_t{k.w_bits}).bind(18, int64_t{k.a_bits}).bind(19, k.seed).bind(20, config_hash);
  u.run();
  if (db_->changes() != 1)
    throw InvalidInputError(fmt::format("run {} in {} is not a running claim of this cell and configuration; start "
                                        "the cell with `dfq sweep` or without --claimed-run",
                                        run, path_));
  tx.commit();
}

bool RunStore::end_if_running(int64_t run, const std::string& status, const std::string& error) {
  if (status != "failed" && status != "interrupted")
    throw InvalidInputError(fmt::format("end_if_running: status must be failed or interrupted, got '{}'", status));
  Transaction tx(*db_);
  Statement u(*db_, "UPDATE runs SET status=?, ended_at=?, error=? WHERE id=? AND status='running'");
  u.bind(1, status).bind(2, utc_now()).bind(3, error).bind(4, run);
  u.run();
  const bool ended = db_->changes() == 1;
  tx.commit();
  return ended;
}

void RunStore::log_curves(int64_t run, int64_t step, const std::vector<std::pair<std::string, double>>& values) {
  Transaction tx(*db_);
  Statement s(*db_, "INSERT OR REPLACE INTO curves (run_id, step, key, value) VALUES (?,?,?,?)");
  for (const auto& [key, value] : values) {
    s.bind(1, run).bind(2, step).bind(3, key).bind(4, value);
    s.run();
  }
  tx.commit();
}

void RunStore::finish_run(int64_t run, const std::map<std::string, double>& metrics) {
  Transaction tx(*db_);
  Statement s(*db_, "INSERT OR REPLACE INTO metrics (run_id, key, value) VALUES (?,?,?)");
  for (const auto& [key, value] : metrics) {
    s.bind(1, run).bind(2, key).bind(3, value);
    s.run();
  }
  Statement u(*db_, "UPDATE runs SET status='done', ended_at=?, error=NULL WHERE id=?");
  u.bind(1, utc_now()).bind(2, run);
  u.run();
  tx.commit();
}

void RunStore::add_metrics(int64_t run, const std::map<std::string, double>& metrics) {
  Transaction tx(*db_);
  Statement q(*db_, "SELECT status FROM runs WHERE id=?");
  q.bind(1, run);
  if (!q.step() || q.text(0) != "done")
    throw InvalidInputError(fmt::format("run {} is not a finished run of {}: only finished runs take measurements", run,
                                        path_));
  Statement s(*db_, "INSERT OR REPLACE INTO metrics (run_id, key, value) VALUES (?,?,?)");
  for (const auto& [key, value] : metrics) {
    s.bind(1, run).bind(2, key).bind(3, value);
    s.run();
  }
  tx.commit();
}

void RunStore::end_run(int64_t run, const std::string& status, const std::string& error) {
  if (status != "failed" && status != "interrupted")
    throw InvalidInputError(fmt::format("end_run: status must be failed or interrupted, got '{}'", status));
  Transaction tx(*db_);
  Statement u(*db_, "UPDATE runs SET status=?, ended_at=?, error=? WHERE id=?");
  u.bind(1, status).bind(2, utc_now()).bind(3, error).bind(4, run);
  u.run();
  tx.commit();
}

std::vector<RunRecord> RunStore::list_runs(const RunFilter& f) const {
  // Read-only, a dead process's `running` run reads as interrupted: filter after that.
  const bool filter_after = read_only_ && (f.status == "running" || f.status == "interrupted");
  std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE (?1='' OR suite=?1) AND (?2='' OR method=?2) AND (?3='' OR model=?3) "
      "AND (?4='' OR dataset=?4) AND (?5='' OR status=?5) ORDER BY id DESC LIMIT ?6",
      kRunColumns);
  Statement s(*db_, sql);
  s.bind(1, f.suite).bind(2, f.method).bind(3, f.model).bind(4, f.dataset);
  s.bind(5, filter_after ? std::string("") : f.status);
  s.bind(6, f.limit > 0 && !filter_after ? f.limit : int64_t{-1});
  std::vector<RunRecord> out;
  while (s.step()) {
    auto r = read_run(s);
    as_seen(r);
    if (filter_after && r.status != f.status) continue;
    out.push_back(std::move(r));
    if (filter_after && f.limit > 0 && static_cast<int64_t>(out.size()) == f.limit) break;
  }
  return out;
}

std::optional<RunRecord> RunStore::get_run(int64_t run) const {
  Statement s(*db_, fmt::format("SELECT {} FROM runs WHERE id=?", kRunColumns));
  s.bind(1, run);
  if (!s.step()) return std::nullopt;
  auto r = read_run(s);
  as_seen(r);
  return r;
}

std::optional<RunRecord> RunStore::find_done(const RunKey& k, const std::string& config_hash) const {
  Statement s(*db_, fmt::format("SELECT {} FROM runs WHERE status='done' AND suite=? AND method=? AND model=? "
                                "AND dataset=? AND w_bits=? AND a_bits=? AND seed=? AND config_hash=? "
                                "ORDER BY id DESC LIMIT 1",
                                kRunColumns));
  s.bind(1, k.suite).bind(2, k.method).bind(3, k.model).bind(4, k.dataset);
  s.bind(5, int64_t{k.w_bits}).bind(6, int64_t{k.a_bits}).bind(7, k.seed).bind(8, config_hash);
  if (s.step()) return read_run(s);
  return std::nullopt;
}

std::optional<RunRecord> RunStore::find_uid(const std::string& uid) const {
  Statement s(*db_, fmt::format("SELECT {} FROM runs WHERE uid=?", kRunColumns));
  s.bind(1, uid);
  if (!s.step()) return std::nullopt;
  auto r = read_run(s);
  as_seen(r);
  return r;
}

namespace {

// What a copy of a run must agree on with the original: the cell, its configuration, its
// status, and every metric and curve point (values compared exactly: a copy is bytes).
std::string run_difference(const RunRecord& a, const std::map<std::string, double>& am,
                           const std::vector<CurvePoint>& ac, const RunRecord& b,
                           const std::map<std::string, double>& bm, const std::vector<CurvePoint>& bc) {
  if (a.key.suite != b.key.suite || a.key.method != b.key.method || a.key.model != b.key.model ||
      a.key.dataset != b.key.dataset || a.key.w_bits != b.key.w_bits || a.key.a_bits != b.key.a_bits ||
      a.key.seed != b.key.seed)
    return "another cell";
  if (a.config_hash != b.config_hash) return fmt::format("config hash {} vs {}", a.config_hash, b.config_hash);
  if (a.status != b.status) return fmt::format("status {} vs {}", a.status, b.status);
  if (am != bm) {
    for (const auto& [k, v] : am)
      if (!bm.count(k) || bm.at(k) != v) return fmt::format("metric {}", k);
    return "the set of metrics";
  }
  if (ac.size() != bc.size()) return fmt::format("{} vs {} curve points", ac.size(), bc.size());
  for (size_t i = 0; i < ac.size(); ++i)
    if (ac[i].step != bc[i].step || ac[i].key != bc[i].key || ac[i].value != bc[i].value)
      return fmt::format("curve {} at step {}", ac[i].key, ac[i].step);
  return "";
}

}  // namespace

RunStore::Import RunStore::import_run(const RunRecord& r, const std::map<std::string, double>& metrics,
                                      const std::vector<CurvePoint>& curves, const std::string& merged_from) {
  if (r.uid.empty()) throw InvalidInputError(fmt::format("run {} from {} has no uid; not merged", r.id, merged_from));
  Transaction tx(*db_);
  if (auto have = find_uid(r.uid)) {
    const auto why = run_difference(r, metrics, curves, *have, this->metrics(have->id), this->curves(have->id));
    if (!why.empty())
      throw InvalidInputError(fmt::format(
          "run {} ({}) from {} exists in {} as run {} with different content ({}); not merged: find out which copy "
          "is right before merging again",
          r.uid, cell_label(r.key), merged_from, path_, have->id, why));
    return {false, have->id};
  }
  Statement s(*db_,
              "INSERT INTO runs (suite, method, model, dataset, w_bits, a_bits, seed, config_json, config_hash, "
              "status, error, started_at, ended_at, git_sha, git_dirty, host, torch_version, threads, device, pid, "
              "paper, year, notes, uid, slurm_job, merged_from, build_commit, cpu) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(1, r.key.suite).bind(2, r.key.method).bind(3, r.key.model).bind(4, r.key.dataset);
  s.bind(5, int64_t{r.key.w_bits}).bind(6, int64_t{r.key.a_bits}).bind(7, r.key.seed);
  s.bind(8, r.config_json).bind(9, r.config_hash).bind(10, r.status);
  if (r.error.empty())
    s.bind_null(11);
  else
    s.bind(11, r.error);
  s.bind(12, r.started_at).bind(13, r.ended_at).bind(14, r.git_sha).bind(15, int64_t{r.git_dirty});
  s.bind(16, r.host).bind(17, r.torch_version).bind(18, int64_t{r.threads}).bind(19, r.device).bind(20, r.pid);
  s.bind(21, r.paper).bind(22, int64_t{r.year}).bind(23, r.notes.dump()).bind(24, r.uid).bind(25, r.slurm_job);
  s.bind(26, merged_from).bind(27, r.build_commit).bind(28, r.cpu);
  s.run();
  const int64_t id = db_->last_insert_id();
  Statement m(*db_, "INSERT INTO metrics (run_id, key, value) VALUES (?,?,?)");
  for (const auto& [key, value] : metrics) {
    m.bind(1, id).bind(2, key).bind(3, value);
    m.run();
  }
  Statement c(*db_, "INSERT INTO curves (run_id, step, key, value) VALUES (?,?,?,?)");
  for (const auto& p : curves) {
    c.bind(1, id).bind(2, p.step).bind(3, p.key).bind(4, p.value);
    c.run();
  }
  tx.commit();
  return {true, id};
}

std::map<std::string, double> RunStore::metrics(int64_t run) const {
  Statement s(*db_, "SELECT key, value FROM metrics WHERE run_id=?");
  s.bind(1, run);
  std::map<std::string, double> out;
  while (s.step()) out[s.text(0)] = s.real(1);
  return out;
}

std::vector<CurvePoint> RunStore::curves(int64_t run) const {
  Statement s(*db_, "SELECT step, key, value FROM curves WHERE run_id=? ORDER BY step, key");
  s.bind(1, run);
  std::vector<CurvePoint> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1), s.real(2)});
  return out;
}

nlohmann::json key_json(const RunKey& key) {
  return {{"suite", key.suite},   {"method", key.method}, {"model", key.model}, {"dataset", key.dataset},
          {"w_bits", key.w_bits}, {"a_bits", key.a_bits}, {"seed", key.seed}};
}

}  // namespace dfq
