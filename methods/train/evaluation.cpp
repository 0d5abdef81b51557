#include "methods/train/evaluation.h"

#include "core/eval/accuracy.h"
#include "core/losses/losses.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"

namespace dfq {

StudentEvaluator::StudentEvaluator(const RunContext& ctx) : ctx_(ctx) {
  teacher_val_logits_ = logits_of([&](const torch::Tensor& x) { return ctx.teacher->forward(x); }, ctx.data->val,
                                  ctx.data->info, kEvalBatch, ctx.device);
}

EpochEval StudentEvaluator::evaluate(NetImpl& student, Values& out) {
  torch::NoGradGuard ng;
  // Evaluation images must never move the activation ranges (that would calibrate on
  // the test set); the trainer re-enables calibration per iteration when due.
  set_calibration(student, false);
  const Forward forward = [&](const torch::Tensor& x) { return student.forward(x); };
  auto test = dfq::evaluate(forward, ctx_.data->test, ctx_.data->info, kEvalBatch, ctx_.device);
  auto val_logits = logits_of(forward, ctx_.data->val, ctx_.data->info, kEvalBatch, ctx_.device);
  double val_top1 = accuracy_of(val_logits, ctx_.data->val.labels.to(ctx_.device)).top1;
  auto kl = kd_loss(val_logits, teacher_val_logits_, 1.0, 1.0, KDReduction::BatchMean).item<double>();
  auto mismatch = val_logits.argmax(1).ne(teacher_val_logits_.argmax(1)).to(torch::kFloat64).mean().item<double>();
  out.emplace_back("test_top1", test.top1);
  out.emplace_back("test_top5", test.top5);
  out.emplace_back("val_top1", val_top1);
  out.emplace_back("val_kl_pq", kl);
  out.emplace_back("val_mismatch", 100.0 * mismatch);
  return {test.top1, test.top5, val_top1};
}

void log_final_metrics(RunContext& ctx, const std::vector<EpochEval>& evals, double seconds, int64_t images) {
  if (evals.empty()) throw Error("no evaluation was made");
  const auto& last = evals.back();
  size_t best_val = 0;
  double best_test = evals[0].test_top1;
  for (size_t i = 0; i < evals.size(); ++i) {
    if (evals[i].val_top1 > evals[best_val].val_top1) best_val = i;
    best_test = std::max(best_test, evals[i].test_top1);
  }
  ctx.log->metric("top1", last.test_top1);
  ctx.log->metric("top5", last.test_top5);
  ctx.log->metric("top1_val", last.val_top1);
  ctx.log->metric("top1_val_selected", evals[best_val].test_top1);
  ctx.log->metric("top1_best_test", best_test);  // optimistic: selected on the test set
  if (ctx.fp_top1 >= 0) ctx.log->metric("fp_top1", ctx.fp_top1);
  ctx.log->metric("train_seconds", seconds);
  ctx.log->metric("train_images", static_cast<double>(images));
}

}  // namespace dfq
