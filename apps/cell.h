// A cell (method x model x dataset x bits x seed) and its configuration, resolved once:
// method defaults < preset < suite `set` < `method_set` < variant < `--set`, then the method's "auto"
// rules, then its checks. A sweep resolves each cell, writes it as JSON and its worker
// runs exactly that (`dfq run --config FILE`); `dfq run --print-config` prints it.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/config/params.h"
#include "core/quant/quantize.h"
#include "core/store/run_store.h"
#include "methods/method.h"

namespace dfq {

struct CellRequest {
  RunKey key;
  std::string preset;                  // a named override set of the method, applied first
  std::vector<std::string> overrides;  // "key=value", in order (suite set, method_set, variant, --set)
  std::string data_root;
  std::string zoo;                     // empty: the default zoo
  std::string cache_dir;               // synthesised-image cache; empty: none
  std::string checkpoint_dir;          // per-epoch checkpoints of trained runs; empty: none
  std::string device = "cpu";          // cpu | cuda | cuda:N | auto (checked when the cell runs)
};

struct ResolvedCell {
  RunKey key;
  std::string data_root, zoo;
  // Where it runs. Not part of the configuration or its hash: the draws are the same on
  // every device (core/util/device.h), so a device changes rounding only, like threads.
  std::string device = "cpu";
  const MethodDescriptor* method = nullptr;
  QuantConfig quant;  // bits from the key, tracker from the configuration
  Config config;      // every key of the method, auto values filled
  std::vector<std::string> notes;  // how this cell departs from the official code

  // {"format": "dfqbench-cell/1", "suite", "method", ..., "config": {...}}
  nlohmann::json to_json() const;
  // Checks the method's schema and cross-key rules; applies no auto rule.
  static ResolvedCell from_json(const nlohmann::json& cell);
};

// Validates method, bits, preset and keys and resolves the configuration; reads no data
// and no weights. Throws InvalidInputError saying what to fix.
ResolvedCell resolve_cell(const CellRequest& request);
// Reads a file written by write_resolved_cell (or by hand).
ResolvedCell load_resolved_cell(const std::string& path);
void write_resolved_cell(const std::string& path, const ResolvedCell& cell);

}  // namespace dfq
