// The SQLite run store (schema in docs/store.md; versioned with PRAGMA user_version and
// migrated forward on open). WAL mode, busy timeout, one transaction per write.
// A run is `running` until finish_run commits its metrics and status together; a run
// whose process died is marked `interrupted` by the next open.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/util/env.h"

namespace dfq {

class SqliteDb;

struct RunKey {
  std::string suite = "adhoc";
  std::string method, model, dataset;
  int w_bits = 32, a_bits = 32;
  int64_t seed = 0;
};

// The key as a JSON object: suite, method, model, dataset, w_bits, a_bits, seed.
nlohmann::json key_json(const RunKey& key);

struct RunRecord {
  int64_t id = 0;
  RunKey key;
  std::string config_json, config_hash, status, error, started_at, ended_at;
  std::string git_sha, host, torch_version, device;
  bool git_dirty = false;
  int threads = 0;
  int64_t pid = 0;
  std::string paper;  // the method's paper, as its descriptor names it
  int year = 0;
  nlohmann::json notes = nlohmann::json::array();  // how the run departs from the official code (strings)
  std::string uid;          // names the run in every store it is merged into (schema 5)
  std::string slurm_job;    // ARRAYJOB_TASK (or the job id) it ran in; "" outside Slurm
  std::string merged_from;  // the store it was copied from by dfq merge; "" if written here
  std::string build_commit;  // the commit the binary was built from ("+dirty": local changes)
  std::string cpu;           // the processor's model name (/proc/cpuinfo); "" where unknown
};

// "method W4A4 seed 0 (suite S)", for messages.
std::string cell_label(const RunKey& key);

struct CurvePoint {
  int64_t step;
  std::string key;
  double value;
};

struct RunFilter {
  std::string suite, method, model, dataset, status;
  int64_t limit = 0;  // 0: no limit
};

class RunStore {
 public:
  static constexpr int kSchemaVersion = 5;

  enum class Access { ReadWrite, ReadOnly };
  // ReadWrite creates the store if needed, migrates it forward and marks `running` runs of
  // dead local processes interrupted. ReadOnly (the commands that only read: runs, report,
  // check, sweep --dry-run, show, diff) changes nothing and creates nothing: the store must
  // exist; one of an older schema is copied into memory and migrated there (the file stays
  // as it is), a newer one is refused; a store in a read-only folder or mount is opened as
  // immutable;
  // runs of dead local processes read as interrupted without being rewritten.
  explicit RunStore(const std::string& path, Access access = Access::ReadWrite);
  ~RunStore();
  // SQLite's PRAGMA quick_check: throws CorruptFileError naming the store and the first
  // problem. Commands that report or gate on a store call it (a corrupt page would
  // otherwise read as missing rows).
  void verify_integrity() const;

  int64_t begin_run(const RunKey& key, const std::string& config_json, const std::string& config_hash,
                    const Environment& env, const std::string& paper = "", int year = 0,
                    const std::vector<std::string>& notes = {});
  // A sweep's claim on a cell, taken in one transaction before its worker starts, so that
  // two sweeps on one store never run the same cell twice. Claimed: a new `running` run
  // (pid: the caller's) that the worker takes over with adopt_run. Otherwise why not: Done
  // (a finished run with this configuration exists) or Running (a live process on this
  // host runs it; `pid`). Running rows of other hosts cannot be checked and do not block.
  struct Claim {
    enum Outcome { Claimed, Done, Running } outcome = Claimed;
    int64_t run_id = 0;
    int64_t pid = 0;
  };
  Claim claim_run(const RunKey& key, const std::string& config_json, const std::string& config_hash,
                  const Environment& env, const std::string& paper = "", int year = 0,
                  const std::vector<std::string>& notes = {});
  // The worker takes over a claimed run: its pid, environment and start time. Throws
  // InvalidInputError when `run` is not a running claim of this cell and configuration.
  void adopt_run(int64_t run, const RunKey& key, const std::string& config_hash, const Environment& env);
  // Ends a run only if it is still `running` (a worker that died before ending it, or a
  // claim never adopted); returns whether it did.
  bool end_if_running(int64_t run, const std::string& status, const std::string& error);
  // One transaction for all points of a step.
  void log_curves(int64_t run, int64_t step, const std::vector<std::pair<std::string, double>>& values);
  // Metrics and status `done` commit together, or not at all.
  void finish_run(int64_t run, const std::map<std::string, double>& metrics);
  // Adds (or replaces) metrics of a finished run in one transaction (dfq measure's latencies);
  // throws InvalidInputError when the run is not `done`.
  void add_metrics(int64_t run, const std::map<std::string, double>& metrics);
  // status: "failed" or "interrupted"; metrics already logged are kept out of reports by status.
  void end_run(int64_t run, const std::string& status, const std::string& error);

  // Copies a run from another store (dfq merge) with its metrics and curves, keeping its
  // uid, provenance and times; `merged_from` names the store it came from. A run whose uid
  // is here already is left alone when its content is the same (merging twice adds nothing)
  // and refused with InvalidInputError naming the difference otherwise.
  struct Import {
    bool added = false;
    int64_t run_id = 0;  // here
  };
  Import import_run(const RunRecord& run, const std::map<std::string, double>& metrics,
                    const std::vector<CurvePoint>& curves, const std::string& merged_from);
  std::optional<RunRecord> find_uid(const std::string& uid) const;

  std::vector<RunRecord> list_runs(const RunFilter& filter = {}) const;
  std::optional<RunRecord> get_run(int64_t run) const;
  std::optional<RunRecord> find_done(const RunKey& key, const std::string& config_hash) const;
  std::map<std::string, double> metrics(int64_t run) const;
  std::vector<CurvePoint> curves(int64_t run) const;
  int schema_version() const;
  // The schema version of the store file at `path` (0: its schema is not created yet, as
  // while a Slurm task is starting), read without migrating or checking it.
  static int schema_version_of(const std::string& path);
  // Marks `running` runs of dead local processes as interrupted; returns how many.
  int64_t recover_interrupted();
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

 private:
  // The INSERT of a new `running` run (begin_run, claim_run), inside the caller's transaction.
  int64_t insert_running(const RunKey& key, const std::string& config_json, const std::string& config_hash,
                         const Environment& env, const std::string& paper, int year,
                         const std::vector<std::string>& notes);
  // Read-only access: a `running` run of a dead local process, shown as interrupted.
  void as_seen(RunRecord& r) const;
  bool read_only_ = false;
  void migrate();
  std::string path_;
  std::unique_ptr<SqliteDb> db_;
};

// UTC timestamp, ISO 8601.
std::string utc_now();

}  // namespace dfq
