// zeroq: "ZeroQ: A Novel Zero Shot Quantization Framework", Cai et al., CVPR 2020.
// Post-training: `distill_batches` batches of `distill_batch_size` (32) images are optimised
// directly, from (randint(0, 255) - 127.5) / 5418.75, on BNS(per_sample) + the input term
// (per-sample mean 0, std 1), Adam lr 0.5 with ReduceLROnPlateau (patience 100, min lr
// 1e-4) for 500 iterations; the activation ranges are then calibrated on them (min/max,
// which is what one update of the official tracker gives) and Q is not fine-tuned.
// `finetune: true` is the protocol later papers call "ZeroQ": KD fine-tuning of Q on the
// distilled images with the shared trainer. The run records which (metric `finetuned`).
#include <fmt/format.h>

#include "core/gen/synthesis.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "methods/registry.h"
#include "methods/trainer.h"

namespace dfq {
namespace {

const std::vector<std::string> kDistillKeys = {"distill_batches", "distill_batch_size", "distill_iters",
                                               "distill_lr",      "distill_patience",   "distill_min_lr",
                                               "input_weight"};

ImageSet distill(RunContext& ctx) {
  const Config& c = ctx.config;
  const auto& info = ctx.data->info;
  BNStatsLoss bns(*ctx.teacher, BNSVariant::PerSample);
  const int64_t batches = c.integer("distill_batches"), b = c.integer("distill_batch_size");
  SynthesisOptions o{c.integer("distill_iters"), c.num("distill_lr"), c.integer("distill_patience"),
                     c.num("distill_min_lr")};
  const double input_weight = c.num("input_weight");
  ProgressReporter progress(ctx.title + " distilling", batches * o.iterations, "it");
  std::vector<torch::Tensor> images, labels;
  for (int64_t i = 0; i < batches; ++i) {
    auto x = (torch::randint(0, 255, {b, info.channels, info.size, info.size}, torch::TensorOptions().device(ctx.device)) -
              127.5) / 5418.75;
    optimise_images(
        x, o,
        [&](const torch::Tensor& xi, int64_t) {
          bns.clear();
          ctx.teacher->forward(xi);
          return bns.loss() + input_weight * zeroq_input_loss(xi);
        },
        [&](int64_t it, double loss) {
          progress.update(i * o.iterations + it + 1, fmt::format("batch {}/{} loss {:.4g}", i + 1, batches, loss));
        });
    torch::NoGradGuard ng;
    bns.set_enabled(false);
    labels.push_back(ctx.teacher->forward(x).argmax(1));
    bns.set_enabled(true);
    images.push_back(x);
  }
  progress.finish(fmt::format("{} images distilled", batches * b));
  return {torch::cat(images), torch::cat(labels)};
}

void run_zeroq(RunContext& ctx) {
  const Config& c = ctx.config;
  ImageSet images = cached_synthesis(ctx, "zeroq", kDistillKeys, [&] { return distill(ctx); });
  const bool finetune = c.flag("finetune");
  ctx.log->metric("finetuned", finetune ? 1.0 : 0.0);
  if (!finetune) {
    const int64_t b = c.integer("distill_batch_size"), n = images.size();
    run_post_training(ctx, (n + b - 1) / b, [&](int64_t i) {
      return images.images.narrow(0, i * b, std::min(b, n - i * b)).to(ctx.device);
    }, "calibrating on distilled images");
    return;
  }
  TrainerHooks hooks;
  hooks.uses_generator = false;
  hooks.images = &images;
  hooks.student_loss = kd_ce_student_loss(c);
  run_trainer(ctx, hooks);
}

}  // namespace

MethodDescriptor zeroq_method() {
  MethodDescriptor d = trainer_descriptor("zeroq", "ZeroQ: A Novel Zero Shot Quantization Framework (Cai et al., CVPR)",
                                          2020);
  for (const char* key : {"lr_g", "adam_beta1", "adam_beta2", "latent_dim", "gen_bn_eps", "generator"})
    d.defaults.erase(key);  // no generator
  d.defaults.update({{"distill_batches", 1}, {"distill_batch_size", 32}, {"distill_iters", 500}, {"distill_lr", 0.5},
                     {"distill_patience", 100}, {"distill_min_lr", 1e-4}, {"input_weight", 1.0},
                     {"range_tracker", "minmax"}, {"finetune", false},
                     // fine-tuning protocol (finetune: true): KD on the distilled images, no labels
                     {"batch_size", 32}, {"kd_temperature", 20.0}, {"kd_alpha", 1.0}, {"kd_reduction", "mean"},
                     {"ce_weight", 0.0}});
  d.needs_generator = false;
  d.fine_tunes = false;  // by default; `finetune: true` fine-tunes
  d.presets = {{"tiny", {"distill_iters=2", "distill_batch_size=8", "distill_batches=2", "epochs=1", "iters_per_epoch=2", "batch_size=8",
                         "warmup_epochs=0", "calib_epochs=1"}},
               {"short", {"epochs=4", "iters_per_epoch=50", "calib_epochs=1"}}};
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) {
    for (const char* k : {"distill_batches", "distill_batch_size", "distill_iters"})
      if (c.integer(k) <= 0) throw InvalidInputError(fmt::format("zeroq: {} must be positive, got {}", k, c.integer(k)));
    if (c.num("distill_lr") <= 0) throw InvalidInputError("zeroq: distill_lr must be positive");
    if (c.flag("finetune")) {
      resolve_trainer_config(c, q);
    } else if (parse_range_tracker(c.str("range_tracker")) == RangeTrackerKind::Official && q.a_bits < 32) {
      // One batch through the official tracker gives its exact min/max; several compound.
      if (c.integer("distill_batches") > 1)
        throw InvalidInputError("zeroq: range_tracker=official over several distilled batches compounds its bias "
                                "correction; use range_tracker=minmax (the default)");
    }
  };
  d.run = run_zeroq;
  return d;
}

}  // namespace dfq
