// The CI accuracy gate: expected top-1 per cell (results/reference/<suite>.yaml) with a
// tolerance, compared with the newest finished run of each cell in the store.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/store/run_store.h"
#include "reports/selection.h"

namespace dfq {

struct ReferenceCell {
  RunKey key;
  double top1 = 0;
  double atol = -1;  // < 0: the file's default
};

struct Reference {
  std::string suite;
  double atol = 1.0;
  std::vector<ReferenceCell> cells;
};

Reference load_reference(const std::string& path);
void write_reference(const std::string& path, const Reference& reference);
// Which of the suite's runs count: see RunSelection::mismatch (unset: all). Runs left out
// are counted in `left_out`.
struct CheckRuns {
  std::function<std::string(const RunRecord&)> mismatch;
  LeftOut* left_out = nullptr;
};

// A reference holding the newest finished run of every cell of `suite` in the store.
Reference reference_from_store(const RunStore& store, const std::string& suite, double atol,
                               const CheckRuns& runs = {});

enum class Verdict { Ok, Regression, Improvement, Missing };

struct CheckOutcome {
  ReferenceCell cell;
  double atol = 0;
  std::optional<double> got;
  std::optional<double> diverged_at_epoch;  // a run that diverged is a regression whatever its top-1
  int threads = 0;                          // CPU threads of the compared run (0: none compared, or unknown)
  Verdict verdict = Verdict::Missing;
  std::string describe() const;  // one line naming the cell, the values and the verdict
};

std::vector<CheckOutcome> check_reference(const RunStore& store, const Reference& reference,
                                          const CheckRuns& runs = {});

// #17 item 3: thread counts change the numbers in their last bits, and the thread count is not
// part of a cell's identity. When the compared runs mix thread counts, a line that says so
// (how many cells at each count); "" when they do not.
std::string thread_mix_note(const std::vector<CheckOutcome>& outcomes);

}  // namespace dfq
