// zeroq: "ZeroQ: A Novel Zero Shot Quantization Framework", Cai et al., CVPR 2020.
// Post-training: `distill_batches` batches of `distill_batch_size` (32) images are optimised
// directly, from (randint(0, 255) - 127.5) / 5418.75, on BNS(per_sample) + the input term
// (per-sample mean 0, std 1), Adam lr 0.5 with ReduceLROnPlateau (patience 100, min lr
// 1e-4) for 500 iterations; the activation ranges are then calibrated on them (min/max,
// which is what one update of the official tracker gives) and Q is not fine-tuned.
// `finetune: true` is the protocol later papers call "ZeroQ": KD fine-tuning of Q on the
// distilled images with the shared trainer. The run records which (metric `finetuned`).
#include <fmt/format.h>

#include "core/util/device.h"
#include "core/gen/synthesis.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/util/progress.h"
#include "methods/registry.h"
#include "methods/train/calibration.h"
#include "methods/train/fixed_set.h"
#include "methods/train/student_loss.h"
#include "methods/train/trained_method.h"
#include "methods/train/trainer.h"

namespace dfq {
namespace {

struct Distillation {
  int64_t batches = 1;
  int64_t batch_size = 32;
  int64_t iters = 500;
  double lr = 0.5;
  int64_t patience = 100;
  double min_lr = 1e-4;
  double input_weight = 1.0;
  static const ParamBlock<Distillation>& block() {
    static const auto block =
        ParamBlock<Distillation>("distillation")
            .integer("distill_batches", &Distillation::batches, Bounds::at_least(1), "batches of distilled images")
            .integer("distill_batch_size", &Distillation::batch_size, Bounds::in(1, kMaxBatch), "images per batch")
            .integer("distill_iters", &Distillation::iters, Bounds::at_least(1), "Adam iterations per batch")
            .number("distill_lr", &Distillation::lr, Bounds::positive(), "Adam learning rate on the pixels")
            .integer("distill_patience", &Distillation::patience, Bounds::at_least(1),
                     "plateau schedule: iterations without improvement before the rate is cut")
            .number("distill_min_lr", &Distillation::min_lr, Bounds::positive(), "plateau schedule: smallest rate")
            .number("input_weight", &Distillation::input_weight, Bounds::at_least(0),
                    "weight of the input term (per-sample mean 0, std 1)");
    return block;
  }
};

struct Protocol {
  bool finetune = false;
  static const ParamBlock<Protocol>& block() {
    static const auto block = ParamBlock<Protocol>("zeroq").flag(
        "finetune", &Protocol::finetune,
        "KD fine-tuning on the distilled images (the protocol later papers call ZeroQ; the released code does not)");
    return block;
  }
};

ImageSet distill(RunContext& ctx, const Distillation& d) {
  const auto& info = ctx.data->info;
  BNStatsLoss bns(*ctx.teacher, BNSVariant::PerSample);
  SynthesisOptions o{d.iters, d.lr, d.patience, d.min_lr};
  ProgressReporter progress(ctx.title + " distilling", d.batches * o.iterations, "it");
  std::vector<torch::Tensor> images, labels;
  for (int64_t i = 0; i < d.batches; ++i) {
    auto x = (randint_on(0, 255, {d.batch_size, info.channels, info.size, info.size}, ctx.device)
                 .to(torch::kFloat32) -
              127.5) / 5418.75;
    optimise_images(
        x, o,
        [&](const torch::Tensor& xi, int64_t) {
          bns.clear();
          ctx.teacher->forward(xi);
          return bns.loss() + d.input_weight * zeroq_input_loss(xi);
        },
        [&](int64_t it, double loss) {
          progress.update(i * o.iterations + it + 1, fmt::format("batch {}/{} loss {:.4g}", i + 1, d.batches, loss));
        });
    torch::NoGradGuard ng;
    bns.set_enabled(false);
    labels.push_back(ctx.teacher->forward(x).argmax(1));
    bns.set_enabled(true);
    images.push_back(x);
  }
  progress.finish(fmt::format("{} images distilled", d.batches * d.batch_size));
  return {torch::cat(images).cpu(), torch::cat(labels).cpu()};  // image sets live on the CPU
}

void run_zeroq(RunContext& ctx) {
  const auto d = Distillation::block().read(ctx.config);
  ImageSet images = cached_synthesis(ctx, "zeroq", Distillation::block().to_json(d), [&] { return distill(ctx, d); });
  const bool finetune = Protocol::block().read(ctx.config).finetune;
  ctx.log->metric("finetuned", finetune ? 1.0 : 0.0);
  if (!finetune) {
    const int64_t b = d.batch_size, n = images.size();
    run_calibration_only(ctx, (n + b - 1) / b, [&](int64_t i) {
      return images.images.narrow(0, i * b, std::min(b, n - i * b)).to(ctx.device);
    }, "calibrating on distilled images");
    return;
  }
  const auto schedule = Schedule::block().read(ctx.config);
  TrainerParts parts;
  parts.make_source = [&] {
    return std::make_unique<FixedImageSet>(images, ctx.data->info, schedule.batch_size, *ctx.teacher, ctx.seed,
                                           ctx.device, FixedSetOptions{});
  };
  parts.student_loss = kd_ce_student_loss(KdSettings::block().read(ctx.config));
  run_trainer(ctx, schedule, parts);
}

}  // namespace

MethodDescriptor zeroq_method() {
  MethodDescriptor d = trained_method("zeroq", "ZeroQ: A Novel Zero Shot Quantization Framework (Cai et al., CVPR)",
                                      2020);
  Schedule schedule;  // fine-tuning protocol (finetune: true): KD on the distilled images, no labels
  schedule.batch_size = 32;
  QuantConfig quant;
  quant.tracker = RangeTrackerKind::MinMax;
  KdSettings kd;
  kd.ce_weight = 0.0;
  d.params = join({Distillation::block().schema({}), Protocol::block().schema({}), Schedule::block().schema(schedule),
                   quant_block().schema(quant), KdSettings::block().schema(kd)});
  d.needs_generator = false;
  d.fine_tunes = false;  // by default; `finetune: true` fine-tunes
  d.deviations = {"the released code quantizes W8A8 post-training only (amirgholami/ZeroQ, uniform_test.py): rows "
                  "below 8 bits and finetune=true are this project's extension"};
  d.presets = {{"tiny", {"distill_iters=2", "distill_batch_size=8", "distill_batches=2", "epochs=1", "iters_per_epoch=2", "batch_size=8",
                         "warmup_epochs=0", "calib_epochs=1"}},
               {"short", {"epochs=4", "iters_per_epoch=50", "calib_epochs=1"}}};
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) {
    if (Protocol::block().read(c).finetune) resolve_trained(c, q);
  };
  d.validate = [](const Config& c, const QuantConfig& q) {
    if (Protocol::block().read(c).finetune) {
      validate_trained(c, q);
      return;
    }
    // Calibration is one pass over the distilled batches.
    check_calibration_updates(q, static_cast<double>(Distillation::block().read(c).batches), "distill_batches");
  };
  d.run = run_zeroq;
  return d;
}

}  // namespace dfq
