// intraq: "IntraQ: Learning Synthetic Images with Intra-Class Heterogeneity for Zero-Shot
// Network Quantization", Zhong et al., CVPR 2022.
// Stage 1 (synthesis, no generator): `groups` (4) x `batches_per_group` (5) batches of
// `synth_batch_size` (256) images from randn, each optimised `synth_iters` (1000) times with
// Adam lr 0.5 and a plateau schedule (patience 50) on
//   w_bns * BNS + w_sil * SIL + w_mdc * MDC,
// with local object reinforcement: with probability `lor_prob` (0.5) per iteration the
// teacher sees a random resized crop (area `lor_scale_min`..1) with a flip of the images.
// SIL: half the samples target softmax_y = t ~ U[sil_tau, 1], the others 1.
// MDC: hinge on 1 - cos(f, c_y) within [mdc_lower, mdc_upper]; c_y is the class mean of the
// teacher's pooled features over the images of earlier groups (none for the first group).
// The images are cached per (teacher, seed, synthesis keys).
// Stage 2 (zysxmu/IntraQ main_direct.py and trainer_direct.py, cifar10_resnet20.hocon):
// 151 epochs of 200 iterations. During the first `calib_epochs` (4: 800 iterations) the
// activation ranges calibrate on the images of a GDFQ generator (batch `calib_batch_size`
// 16, L_G = CE + bns_weight 0.1 * BNS, Adam 1e-3) and Q is not updated; from then on the
// ranges are frozen and Q is fine-tuned on the stored images with random resized crop
// (0.5..1) and flip, batch 256, on KD(batchmean, alpha 20, T 20) + CE, lr 1e-4, steps at
// 20/40/60. The synthetic images never set a range.
#include <fmt/format.h>

#include "core/data/batch_loader.h"
#include "core/gen/synthesis.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "methods/registry.h"
#include "methods/train/fixed_set.h"
#include "methods/train/generator_game.h"
#include "methods/train/phased_source.h"
#include "methods/train/student_loss.h"
#include "methods/train/trained_method.h"
#include "methods/train/trainer.h"

namespace dfq {
namespace {

// Stage 1: the synthesis of the image set.
struct Synthesis {
  int64_t groups = 4, batches_per_group = 5, batch_size = 256, iters = 1000;
  double lr = 0.5;
  int64_t patience = 50;
  double min_lr = 1e-4, lor_prob = 0.5, lor_scale_min = 0.5, sil_tau = 0.95, mdc_lower = 0.05, mdc_upper = 0.8;
  double w_bns = 1.0, w_sil = 1.0, w_mdc = 1.0;
  static const ParamBlock<Synthesis>& block() {
    static const auto block =
        ParamBlock<Synthesis>("synthesis")
            .integer("groups", &Synthesis::groups, Bounds::at_least(1), "groups of batches (class centres of earlier groups steer later ones)")
            .integer("batches_per_group", &Synthesis::batches_per_group, Bounds::at_least(1), "batches per group")
            .integer("synth_batch_size", &Synthesis::batch_size, Bounds::in(1, kMaxBatch), "images per batch")
            .integer("synth_iters", &Synthesis::iters, Bounds::at_least(1), "Adam iterations per batch")
            .number("synth_lr", &Synthesis::lr, Bounds::positive(), "Adam learning rate on the pixels")
            .integer("synth_patience", &Synthesis::patience, Bounds::at_least(1),
                     "plateau schedule: iterations without improvement before the rate is cut")
            .number("synth_min_lr", &Synthesis::min_lr, Bounds::positive(), "plateau schedule: smallest rate")
            .number("lor_prob", &Synthesis::lor_prob, Bounds::in(0, 1),
                    "local object reinforcement: probability per iteration of a random resized crop")
            .number("lor_scale_min", &Synthesis::lor_scale_min, Bounds::above_up_to(0, 1),
                    "local object reinforcement: smallest crop area")
            .number("sil_tau", &Synthesis::sil_tau, Bounds::in(0, 1),
                    "soft inception loss: half the samples target softmax_y ~ U[sil_tau, 1]")
            .number("mdc_lower", &Synthesis::mdc_lower, Bounds::any(), "marginal distance constraint: lower bound")
            .number("mdc_upper", &Synthesis::mdc_upper, Bounds::any(), "marginal distance constraint: upper bound")
            .number("w_bns", &Synthesis::w_bns, Bounds::at_least(0), "weight of the BNS loss")
            .number("w_sil", &Synthesis::w_sil, Bounds::at_least(0), "weight of the soft inception loss")
            .number("w_mdc", &Synthesis::w_mdc, Bounds::at_least(0), "weight of the marginal distance constraint");
    return block;
  }
};

// Stage 2: the calibration generator's batch and the fine-tuning augmentation.
struct Stage2 {
  int64_t calib_batch_size = 16;
  double scale_min = 0.5;
  static const ParamBlock<Stage2>& block() {
    static const auto block =
        ParamBlock<Stage2>("fine-tuning")
            .integer("calib_batch_size", &Stage2::calib_batch_size, Bounds::in(1, kMaxBatch),
                     "generator images per calibration iteration (16, fixed in the official code)")
            .number("aug_scale_min", &Stage2::scale_min, Bounds::above_up_to(0, 1),
                    "smallest area of the random resized crop on the synthetic images");
    return block;
  }
};

ImageSet synthesise(RunContext& ctx, const Synthesis& c) {
  const auto& info = ctx.data->info;
  BNStatsLoss bns(*ctx.teacher, BNSVariant::Batch);
  const int64_t groups = c.groups, per_group = c.batches_per_group, b = c.batch_size;
  SynthesisOptions o{c.iters, c.lr, c.patience, c.min_lr};
  const double lor_prob = c.lor_prob, lor_min = c.lor_scale_min, tau = c.sil_tau;
  const double lo = c.mdc_lower, hi = c.mdc_upper;
  const double w_bns = c.w_bns, w_sil = c.w_sil, w_mdc = c.w_mdc;
  at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle on the seeded global generator

  ProgressReporter progress(ctx.title + " synthesising", groups * per_group * o.iterations, "it");
  std::vector<torch::Tensor> images, labels;
  torch::Tensor sums, counts;  // per-class feature sums and image counts of finished groups
  for (int64_t g = 0; g < groups; ++g) {
    torch::Tensor centres, has_centre;
    if (counts.defined()) {
      has_centre = counts > 0;
      centres = sums / counts.clamp_min(1).unsqueeze(1);
    }
    std::vector<torch::Tensor> group_feats, group_labels;
    for (int64_t i = 0; i < per_group; ++i) {
      auto x = randn_on({b, info.channels, info.size, info.size}, ctx.device);
      auto y = randint_on(0, info.classes, {b}, ctx.device);
      auto t = soft_inception_targets(b, tau, gen).to(ctx.device);
      const int64_t done = (g * per_group + i) * o.iterations;
      optimise_images(
          x, o,
          [&](const torch::Tensor& xi, int64_t) {
            auto in = torch::rand({1}).item<double>() < lor_prob ? random_resized_crop_flip(xi, lor_min, 1.0, gen) : xi;
            bns.clear();
            auto f = ctx.teacher->features(in);
            auto z = ctx.teacher->head(f);
            auto loss = w_bns * bns.loss() + w_sil * soft_inception_loss(z, y, t);
            if (centres.defined()) {
              auto mask = has_centre.index_select(0, y);
              if (mask.any().item<bool>()) {
                auto idx = mask.nonzero().squeeze(1);
                loss = loss + w_mdc * marginal_distance_loss(f.index_select(0, idx), centres, y.index_select(0, idx),
                                                             lo, hi);
              }
            }
            return loss;
          },
          [&](int64_t it, double loss) {
            progress.update(done + it + 1, fmt::format("group {}/{} batch {}/{} loss {:.4g}", g + 1, groups, i + 1,
                                                       per_group, loss));
          });
      torch::NoGradGuard ng;
      bns.set_enabled(false);
      group_feats.push_back(ctx.teacher->features(x));
      bns.set_enabled(true);
      group_labels.push_back(y);
      images.push_back(x);
      labels.push_back(y);
    }
    // Class centres for the next groups: means over all finished groups.
    auto f = torch::cat(group_feats), yl = torch::cat(group_labels);
    if (!sums.defined()) {
      sums = torch::zeros({info.classes, f.size(1)}, f.options());
      counts = torch::zeros({info.classes}, f.options());
    }
    sums.index_add_(0, yl, f);
    counts.index_add_(0, yl, torch::ones({yl.size(0)}, f.options()));
  }
  progress.finish(fmt::format("{} images synthesised", groups * per_group * b));
  return {torch::cat(images).cpu(), torch::cat(labels).cpu()};  // image sets live on the CPU
}

void run_intraq(RunContext& ctx) {
  const auto synthesis = Synthesis::block().read(ctx.config);
  ImageSet images = cached_synthesis(ctx, "intraq", Synthesis::block().to_json(synthesis),
                                     [&] { return synthesise(ctx, synthesis); });
  const auto schedule = Schedule::block().read(ctx.config);
  const auto stage2 = Stage2::block().read(ctx.config);
  TrainerParts parts;
  parts.make_source = [&] {
    GameHooks hooks;
    hooks.generator_loss = gdfq_generator_loss(BnsWeight::block().read(ctx.config).weight);
    const auto g = GeneratorSettings::block().read(ctx.config);
    auto calibrate = std::make_unique<GeneratorGame>(make_run_generator(ctx, g), g, *ctx.teacher,
                                                     stage2.calib_batch_size, ctx.data->info.classes, ctx.device,
                                                     hooks);
    auto fine_tune = std::make_unique<FixedImageSet>(images, ctx.data->info, schedule.batch_size, *ctx.teacher,
                                                     ctx.seed, ctx.device,
                                                     FixedSetOptions{true, stage2.scale_min, 1.0});
    return std::make_unique<PhasedSource>(std::move(calibrate), std::move(fine_tune), schedule.calib_epochs);
  };
  parts.student_loss = kd_ce_student_loss(KdSettings::block().read(ctx.config));
  run_trainer(ctx, schedule, parts);
}

}  // namespace

MethodDescriptor intraq_method() {
  MethodDescriptor d = trained_method(
      "intraq", "IntraQ: Learning Synthetic Images with Intra-Class Heterogeneity for Zero-Shot Quantization "
                "(Zhong et al., CVPR)", 2022);
  Schedule schedule;  // stage 2
  schedule.epochs = 151;
  schedule.iters_per_epoch = 200;
  schedule.batch_size = 256;
  schedule.lr_steps = {20, 40, 60};
  schedule.calib_epochs = 4;
  schedule.warmup_epochs = 4;
  KdSettings kd;
  kd.reduction = KDReduction::BatchMean;
  kd.alpha = 20.0;
  d.params = join({Synthesis::block().schema({}), Schedule::block().schema(schedule), quant_block().schema({}),
                   KdSettings::block().schema(kd), Stage2::block().schema({}), GeneratorSettings::block().schema({}),
                   BnsWeight::block().schema({})});
  d.presets = {{"tiny", {"groups=1", "batches_per_group=1", "synth_batch_size=8", "synth_iters=2", "epochs=2",
                         "iters_per_epoch=2", "batch_size=8", "calib_batch_size=8", "range_tracker=ema",
                         "warmup_epochs=1", "calib_epochs=1", "lr_steps="}},
               {"short", {"groups=2", "batches_per_group=2", "synth_batch_size=64", "synth_iters=200", "epochs=4",
                          "iters_per_epoch=50", "batch_size=64", "range_tracker=ema", "calib_epochs=1",
                          "warmup_epochs=1", "lr_steps="}}};
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) {
    auto s = Schedule::block().read(c);
    if (s.iters_per_epoch < 0) {  // one pass over the stored images (drop_last)
      const auto syn = Synthesis::block().read(c);
      const int64_t n = syn.groups * syn.batches_per_group * syn.batch_size;
      s.iters_per_epoch = std::max<int64_t>(1, n / std::min(n, s.batch_size));
      Schedule::block().write(s, c);
    }
    resolve_trained(c, q);
  };
  d.validate = [](const Config& c, const QuantConfig& q) {
    const auto syn = Synthesis::block().read(c);
    if (syn.mdc_lower > syn.mdc_upper)
      throw InvalidInputError(fmt::format("bad value for mdc_lower: expected at most mdc_upper ({}), got {}",
                                          syn.mdc_upper, syn.mdc_lower));
    validate_trained(c, q);
    // Q trains on the synthetic set only, after the ranges froze on the generator's images.
    const auto s = Schedule::block().read(c);
    if (s.warmup_epochs < s.calib_epochs)
      throw InvalidInputError(fmt::format("bad value for warmup_epochs: intraq expects at least calib_epochs ({}), "
                                          "got {}: Q is not trained on the calibration generator's images",
                                          s.calib_epochs, s.warmup_epochs));
  };
  d.run = run_intraq;
  return d;
}

}  // namespace dfq
