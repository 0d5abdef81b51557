// Which runs a table or a check reads: of every cell (row, model, data set, bit-widths,
// seed) of a suite, the newest finished run that has the metric. The one place this rule
// lives; reports and the accuracy gate both use it.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/config/suite.h"
#include "core/store/run_store.h"

namespace dfq {

// A cell of a suite: row (the method, or a protocol label), model, data set, W, A, seed.
using CellId = std::tuple<std::string, std::string, std::string, int, int, int64_t>;
inline CellId cell_id(const RunKey& k, const std::string& row) {
  return {row, k.model, k.dataset, k.w_bits, k.a_bits, k.seed};
}

struct SelectedRun {
  RunRecord run;
  std::map<std::string, double> metrics;
  std::string row;  // the row the run belongs to (its method, unless `row_of` says otherwise)
};

struct RunSelection {
  std::string suite;
  std::string metric = "top1";
  std::vector<std::string> methods;  // only these, if given
  std::vector<BitWidth> bits;        // only these, if given
  // The row of a run; runs of one method in different rows are different cells (zeroq's
  // post-training and fine-tuned protocols). Default: the method.
  std::function<std::string(const RunRecord&, const std::map<std::string, double>&)> row_of;
  // When set: why a run is not one of the suite file's cells as the file configures them
  // (an ad-hoc `dfq run --suite S --set ...`, or a run of an older version of the file);
  // "" when it is. Such runs are left out, however new.
  std::function<std::string(const RunRecord&)> mismatch;
};

// The runs a selection left out because `mismatch` named a difference.
struct LeftOut {
  int64_t runs = 0;
  int64_t example_run = 0;   // the newest of them
  std::string example_why;   // its difference
};

// Newest first.
std::vector<SelectedRun> select_runs(const RunStore& store, const RunSelection& selection, LeftOut* left_out = nullptr);

}  // namespace dfq
