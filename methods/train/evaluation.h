// Student evaluation: test and validation top-1/top-5 and the P/Q disagreement on the
// validation images, per epoch; and the final metrics drawn from those evaluations.
#pragma once
#include <vector>

#include "methods/method.h"

namespace dfq {

struct EpochEval {
  double test_top1, test_top5, val_top1;
};

class StudentEvaluator {
 public:
  explicit StudentEvaluator(const RunContext& ctx);
  // Fills test/val accuracy and adds val disagreement (KL(P||Q), top-1 mismatch %) to `out`.
  // Stops range calibration first: evaluation never calibrates.
  EpochEval evaluate(NetImpl& student, Values& out);

 private:
  const RunContext& ctx_;
  torch::Tensor teacher_val_logits_;
};

// Final-epoch (top1), validation-selected and best-on-test figures from per-epoch evaluations,
// and the run's compute: `seconds` of wall time in the trainer (evaluations included) and the
// `images` its loop computed on (generated, drawn from a fixed set, or calibration batches).
void log_final_metrics(RunContext& ctx, const std::vector<EpochEval>& evals, double seconds, int64_t images);

}  // namespace dfq
