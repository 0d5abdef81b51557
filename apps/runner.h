// Runs one cell (method x model x dataset x bits x seed): validates everything before any
// work, records the run in the store, and leaves it done, failed or interrupted.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/store/run_store.h"

namespace dfq {

struct CellRequest {
  RunKey key;
  std::string preset;                  // a named override set of the method, applied first
  std::vector<std::string> overrides;  // "key=value"
  std::string data_root;
  std::string zoo;                     // empty: the default zoo
  std::string cache_dir;               // synthesised-image cache; empty: none
  bool quiet = false;
};

struct CellResult {
  int64_t run_id = 0;
  std::string status;
  std::map<std::string, double> metrics;
  std::string config_json;
};

// A cell's method configuration after presets, overrides and the method's resolve step:
// what run_cell records (and its hash, which a sweep uses to skip cells already done).
struct ResolvedCell {
  std::string config_json, config_hash;
};
// Validates method, bits, preset and config keys and resolves the configuration; reads no
// data and no weights.
ResolvedCell resolve_cell(const CellRequest& request);

// Checks everything that can be checked without training (method, bits, config keys,
// data, teacher) before the run is recorded, then runs it. Throws with a message that
// says what to fix; a run that started is left failed or interrupted in the store.
CellResult run_cell(RunStore& store, const CellRequest& request);

}  // namespace dfq
