// Runs one resolved cell: loads its data and teacher, records the run in the store, runs
// the method and the deployment measurements, and leaves the run done, failed or
// interrupted.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "apps/cell.h"
#include "core/store/run_store.h"
#include "models/zoo.h"

namespace dfq {

struct CellResult {
  int64_t run_id = 0;
  std::string status;
  std::map<std::string, double> metrics;
  std::string config_json;
};

// Checks data and teacher before the run is recorded, then runs it. Throws with a message
// that says what to fix; a run that started is left failed or interrupted in the store.
// `claimed_run` > 0: the run a sweep claimed for this cell (RunStore::claim_run) is taken
// over instead of recording a new one.
struct RunFolders {
  std::string cache;        // synthesised images (zeroq, intraq); empty: none
  // Per-epoch checkpoints of trained runs (checkpoint_path): a run that finds its cell's
  // checkpoint resumes from it; a run that ends done or failed removes it, an interrupted one
  // keeps it. Empty: none.
  std::string checkpoints;
};
CellResult run_cell(RunStore& store, const ResolvedCell& cell, const RunFolders& folders, int64_t claimed_run = 0);
// What run_cell runs a method on: the cell's data and teacher (checked), and its context
// with everything but the logger; the caller seeds (seed_everything(ctx.seed)) and runs.
struct PreparedCell {
  DataSplits data;
  TeacherManifest manifest;
  RunContext ctx;  // ctx.data points at `data`
};
std::unique_ptr<PreparedCell> prepare_cell(const ResolvedCell& cell, const RunFolders& folders);
// Where a cell's checkpoint lives in `folder`: SUITE/CELL.CONFIGHASH.pt.
std::string checkpoint_path(const std::string& folder, const ResolvedCell& cell);
// The cell's teacher (its zoo, else the default one; sha256 checked), frozen and in eval
// mode, checked against the data set's shape.
Net load_cell_teacher(const ResolvedCell& cell, TeacherManifest& manifest);
// resolve_cell, then the above.
CellResult run_cell(RunStore& store, const CellRequest& request);

}  // namespace dfq
