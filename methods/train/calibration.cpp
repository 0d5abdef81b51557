#include "methods/train/calibration.h"

#include <fmt/format.h>

#include "core/quant/quantize.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"
#include "methods/train/evaluation.h"

namespace dfq {

void run_calibration_only(RunContext& ctx, int64_t batches, const std::function<torch::Tensor(int64_t)>& batch,
                          const std::string& what) {
  Net student = ctx.make_student();
  ProgressReporter progress(ctx.title, batches, "batch");
  set_calibration(*student, true);
  int64_t images = 0;
  {
    torch::NoGradGuard ng;
    for (int64_t i = 0; i < batches; ++i) {
      throw_if_stopped();
      const auto x = batch(i);
      images += x.size(0);
      student->forward(x);
      progress.update(i + 1, what);
    }
  }
  set_calibration(*student, false);
  StudentEvaluator evaluator(ctx);
  Values values;
  auto e = evaluator.evaluate(*student, values);
  const double updates = static_cast<double>(calibration_updates(*student));
  values.emplace_back("calib_updates", updates);
  values.emplace_back("images_seen", static_cast<double>(images));
  values.emplace_back("wall_seconds", progress.elapsed_seconds());
  ctx.log->curve(1, values);
  ctx.student = student;
  progress.finish(fmt::format("test top-1 {:.2f}%", e.test_top1));
  ctx.log->metric("calib_updates", updates);
  log_final_metrics(ctx, {e}, progress.elapsed_seconds(), images);
}

}  // namespace dfq
