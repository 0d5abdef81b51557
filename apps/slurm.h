// The Slurm backend of `dfq sweep` (--backend slurm) and the sweep's status (--status).
//
// A Slurm sweep expands the suite into the same resolved cells as the local backend,
// merges the finished runs of earlier tasks into the store, and submits the cells that are
// neither done nor pending/running in a live task as one job array. Each task runs its
// cell(s) with `dfq run --config` and writes its own store shard, so no two nodes ever
// write one SQLite file (SQLite on a network file system is unsafe). The sweep's folder
// (default <store folder>/slurm/<suite>) holds everything:
//   cells/<cell>.<config hash>.json   the resolved cells the tasks run
//   submissions/<n>/job.sbatch        the script of the n-th submission (sbatch's input)
//   submissions/<n>/tasks.txt         line i: the cell files task i runs
//   submissions/<n>/job_id            the array's job id, once submitted
//   shards/task-<job>_<task>.sqlite   one store per task
//   logs/task-<job>_<task>.log        the task's output (Slurm's --output)
#pragma once
#include <string>
#include <vector>

#include "apps/sweep.h"

namespace dfq {

// The sbatch script of one submission: the array and the resources the user asked for.
struct SlurmScript {
  std::string job_name;
  int tasks = 0;
  int max_parallel = 0;  // the %N of --array; 0: no limit
  int cpus_per_task = 1;
  std::string partition, gres, time, account;  // empty: the cluster's default
  std::string sweep_dir;                       // absolute
  std::string submission;                      // "submissions/<n>"
  std::string workdir;                         // --chdir: where relative suite paths resolve
  std::string executable, cache;               // the dfq binary; the synthesised-image cache ("" none)
  std::string checkpoints;                     // trained runs' per-epoch checkpoints ("" none)
};
std::string sbatch_script(const SlurmScript& s);

// --backend slurm: merge, submit what is missing (or, with emit_only, only write the
// script), and with wait poll until the array ends, then merge again.
SweepSummary run_slurm_sweep(const Suite& suite, const std::vector<CellRequest>& cells, const SweepOptions& o);

// --status: one line per cell (done, running, pending, failed with its log, ...) from the
// store, the Slurm sweep's shards and, where available, squeue and sacct. Reads only.
SweepSummary print_sweep_status(const Suite& suite, const std::vector<CellRequest>& cells, const SweepOptions& o);

// The sweep folder of a suite: o.slurm.sweep_dir, else <store folder>/slurm/<suite>.
std::string slurm_sweep_dir(const SweepOptions& o, const std::string& suite_name);

}  // namespace dfq
