// `dfq sweep`: expands a suite into cells, skips cells already done with the same config
// hash, and runs the rest in worker processes (each `dfq run --config` on the resolved cell),
// showing overall progress.
// Each cell is claimed in the store before its worker starts, so two sweeps on one store
// split the cells. Killing the sweep (even with SIGKILL: workers die with it) loses at most
// the cells that were running: they are recorded as interrupted (or found dead on the next
// open) and run again by the next sweep.
#pragma once
#include <string>
#include <vector>

#include "apps/runner.h"
#include "core/config/suite.h"

namespace dfq {

// The Slurm backend's settings (apps/slurm.h).
struct SlurmOptions {
  std::string partition, gres, time, account;  // sbatch's --partition, --gres, --time, --account
  int cpus_per_task = 1;                       // also each task's LibTorch threads
  int max_parallel = 0;                        // tasks at once (the %N of --array); 0: no limit
  int cells_per_task = 1;
  std::string sweep_dir;                       // empty: <store folder>/slurm/<suite>
  bool emit_only = false;                      // write the script, do not submit
  bool wait = false;                           // wait for the array, then merge
  double poll_seconds = 10;                    // how often --wait asks squeue
};

struct SweepOptions {
  std::string suite;                 // name (configs/<name>.yaml) or path
  std::string configs_dir;           // empty: the project's configs/
  std::vector<std::string> methods;  // filters; empty: the suite's
  std::vector<BitWidth> bits;
  std::vector<int64_t> seeds;
  std::vector<std::string> variants;  // only these of the suite's variants; empty: all
  int jobs = 1;                      // worker processes
  int threads_per_job = 0;           // 0: cores / jobs
  std::string store, cache;
  std::string checkpoints;  // per-epoch checkpoints of trained runs ("" none): a stopped cell resumes
  std::string device;                // empty: the suite's `device`
  std::string data_root, zoo;        // non-empty: instead of the suite's
  // Smoke scale: every method's `tiny` preset applied after the suite's settings (so it
  // wins), recorded as suite "<name>-smoke"; for checking that a suite runs at all (CI).
  bool smoke = false;
  // --dry-run: a YAML map method -> measured milliseconds per training iteration; the listing
  // then estimates each cell's training time from it. Empty: no estimates.
  std::string rates;
  bool dry_run = false;              // list the cells and what would run
  // A worker whose log has not grown for this long is reported (workers write a progress
  // line at least every 10 s while they train); with kill_stalled it is killed and its run
  // recorded failed with the reason (a stopped or hung process never ends on its own).
  double stall_seconds = 3600;
  bool kill_stalled = false;
  // After the training cells, measure the latency of each run this sweep finished, one at a
  // time with no worker running (apps/measure.h); false leaves it to `dfq measure --suite`.
  bool measure = true;
  std::string executable = "/proc/self/exe";  // the `dfq` binary the workers run
  std::string backend = "local";              // local (worker processes) or slurm (a job array)
  SlurmOptions slurm;
  bool status = false;                        // print each cell's state, run nothing
};

// The suite's cells after the filters, as `dfq run` requests. Checks names (methods,
// bit-widths, keys of `set`) against the registry.
std::vector<CellRequest> expand_suite(const Suite& suite, const SweepOptions& options);

struct SweepSummary {
  int total = 0, skipped = 0, done = 0, failed = 0, interrupted = 0;
  int elsewhere = 0;  // cells a live process (another sweep) was running: not started
  int not_started = 0;  // cells left when a drain (SIGUSR1) or a full disk ended the sweep
  double seconds = 0;
  std::vector<std::string> failures;  // cell name and log file
};

// Runs what is missing; returns the summary (also printed).
SweepSummary run_sweep(const SweepOptions& options);

// method-dataset-model-WxAy-seedN, plus "@variant" for a run of a suite variant.
std::string cell_name(const RunKey& key);

}  // namespace dfq
