// Runs one resolved cell: loads its data and teacher, records the run in the store, runs
// the method and the deployment measurements, and leaves the run done, failed or
// interrupted.
#pragma once
#include <map>
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
CellResult run_cell(RunStore& store, const ResolvedCell& cell, const std::string& cache_dir, int64_t claimed_run = 0);
// The cell's teacher (its zoo, else the default one; sha256 checked), frozen and in eval
// mode, checked against the data set's shape.
Net load_cell_teacher(const ResolvedCell& cell, TeacherManifest& manifest);
// resolve_cell, then the above.
CellResult run_cell(RunStore& store, const CellRequest& request);

}  // namespace dfq
