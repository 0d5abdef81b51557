// The training loop shared by the generator-based methods (GDFQ family: gdfq, qimera,
// adasg, adadfq) and the real-data reference row. Per iteration: draw (z, y), x = G(z, y);
// update G on L_G (teacher, optionally student, logits on x, BNS of the teacher); then
// update Q on L_Q with x detached and the same teacher logits. Q is not updated before
// `warmup_epochs`; activation ranges update during the first `calib_epochs`; G and Q
// learning rates are multiplied by `lr_gamma` at each of `lr_steps` (all in epochs,
// fractional values allowed, compared with the iteration's fractional epoch).
#pragma once
#include <functional>

#include "core/gen/generator.h"
#include "methods/method.h"

namespace dfq {

// Keys every trainer-based method has. "auto" values (-1, or an empty lr_steps) take the
// paper's proportions of `epochs` (CIFAR: 4 of 400 warm-up and calibration epochs, steps
// at 100/200/300 of 400), in fractional epochs, so that `--set epochs=2` stays a faithful
// miniature; with range_tracker=official, calibration lasts at least 200 iterations, and
// warm-up lasts at least as long as calibration.
nlohmann::json trainer_defaults();
// "tiny": two iterations in one epoch at batch 8 (the registry test's schedule);
// "short": 4 epochs of 50 iterations, the first calibrating (and, through the auto
// warm-up, not training Q) (make compare). Both use EMA ranges, since they make fewer
// than the ~200 calibration updates the official tracker needs.
std::map<std::string, std::vector<std::string>> trainer_presets();
// Resolves the "auto" schedule values and validates the schedule and quantizer keys
// (and kd_reduction, where the method has it).
void resolve_trainer_config(Config& config, const QuantConfig& quant);

// The common part of every trainer-based method's descriptor: trainer_defaults(), bits
// 2..8 and 32, generator and fine-tuning flags set, trainer_presets(), resolve =
// resolve_trainer_config. Methods add their keys and wrap `resolve` where they need more.
MethodDescriptor trainer_descriptor(const std::string& name, const std::string& paper, int year);

struct StepTensors {
  torch::Tensor x;        // images of this iteration
  torch::Tensor y;        // integer labels [B]
  torch::Tensor targets;  // label distribution [B, C] (one-hot unless a method mixes labels)
  torch::Tensor z_p;      // teacher logits
  torch::Tensor z_q;      // student logits (G step: on x with grad to G; Q step: on x.detach())
  torch::Tensor bns;      // teacher BNS loss on x (G step only)
  int64_t num_classes = 0;
};

// Named loss terms of one step, logged as epoch means; the first is the total.
using Terms = std::vector<std::pair<std::string, torch::Tensor>>;

struct TrainerHooks {
  bool uses_generator = true;          // false: a fixed image set (real training images by default)
  // Without a generator: the images to train on (default: the training split) and their
  // augmentation (none, pad-crop-flip, or random-resized-crop-flip with area in [rrc_lo, rrc_hi]).
  const ImageSet* images = nullptr;
  bool augment = false;
  double rrc_lo = 0, rrc_hi = 0;
  // Optional: builds the generator (default: make_generator(config "generator")).
  std::function<Generator()> make_generator;
  bool student_in_generator_step = false;
  // L_G and its terms; terms[0] is what is minimised.
  std::function<Terms(const StepTensors&)> generator_loss;
  // L_Q and its terms; terms[0] is what is minimised.
  std::function<Terms(const StepTensors&)> student_loss;
  // Optional: draws (z, y) and makes x (methods that mix labels); fills x, y, targets.
  std::function<void(GeneratorImpl&, int64_t batch, StepTensors&)> sample;
  // Optional: extra per-epoch values (e.g. AdaSG's entropy percentiles).
  std::function<void(Values&)> epoch_end;
};

// GDFQ's student objective, KD(kd_reduction, kd_alpha, kd_temperature) + ce_weight * CE,
// shared by gdfq and realdata (and the baselines built on GDFQ).
std::function<Terms(const StepTensors&)> kd_ce_student_loss(const Config& config);

// Runs the whole schedule on ctx, logging per-epoch curves and the final metrics.
void run_trainer(RunContext& ctx, TrainerHooks& hooks);

// Post-training methods (noise, zeroq): calibrates the student's activation ranges on
// `batches` inputs from batch(i), evaluates once and logs the final metrics.
void run_post_training(RunContext& ctx, int64_t batches, const std::function<torch::Tensor(int64_t)>& batch,
                       const std::string& what);

// Images of this (teacher, method, seed, values of `keys`) from the cache, or made by
// `synthesise` and cached. Logs "synthesis_seconds" (0 on a hit) and "synthesis_cached".
// Reseeds afterwards, so what follows draws the same numbers on a hit as on a miss.
ImageSet cached_synthesis(RunContext& ctx, const std::string& method, const std::vector<std::string>& keys,
                          const std::function<ImageSet()>& synthesise);

// Final-epoch, validation-selected and best-on-test figures from per-epoch evaluations.
struct EpochEval {
  double test_top1, test_top5, val_top1;
};
void log_final_metrics(RunContext& ctx, const std::vector<EpochEval>& evals, double seconds);

// Evaluates a student on the test and validation sets; also P/Q disagreement on val.
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

}  // namespace dfq
