// One training iteration, in two halves that every trained method shares:
//  1. an image source makes this iteration's images and the teacher's logits on them:
//     a generator playing its game against Q (GeneratorGame: gdfq, qimera, adasg, adadfq),
//     or a fixed image set (FixedImageSet: real images for realdata, synthetic ones for
//     intraq and zeroq with finetune);
//  2. the student step: Q's logits on the same images (detached), L_Q, an SGD step.
// run_trainer (trainer.h) loops these over the schedule; the benchmarks time them as they are.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "methods/train/schedule.h"
#include "models/net.h"

namespace dfq {

struct StepTensors {
  torch::Tensor x;        // images of this iteration
  torch::Tensor y;        // integer labels [B]
  torch::Tensor targets;  // label distribution [B, C] (one-hot unless a method mixes labels)
  torch::Tensor z_p;      // teacher logits
  torch::Tensor z_q;      // student logits (G step: on x with grad to G; Q step: on x.detach())
  torch::Tensor bns;      // teacher BNS loss on x (G step only)
  int64_t num_classes = 0;
};

// Named loss terms of one step, logged as epoch means; the first is what is minimised.
using Terms = std::vector<std::pair<std::string, torch::Tensor>>;
using LossFn = std::function<Terms(const StepTensors&)>;
// Named values of a step or an epoch (curves, metrics).
using Values = std::vector<std::pair<std::string, double>>;

// Where an iteration is, for the schedule and for error messages.
struct StepPosition {
  int64_t epoch = 0, iter = 0;
  double fraction = 0;  // fractional epoch
  double lr_factor = 1;
};

// Throws NumericalError naming the term, epoch and iteration if a term is not finite.
void check_finite(const Terms& terms, const StepPosition& at, const char* side);
// Sets every parameter group's learning rate (SGD or Adam).
void set_lr(torch::optim::Optimizer& opt, double lr);

// The first half of an iteration.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Fills st (x, y, targets, z_p), updating whatever the source trains; returns the
  // source's own loss terms (empty when it trains nothing).
  virtual Terms next(StepTensors& st, NetImpl& student, const StepPosition& at) = 0;
  virtual void train() {}
  // Called once when the source will be asked for no more images (a phase ended).
  virtual void finish() {}
  // Its state between two iterations, for the run's checkpoint (methods/train/checkpoint.h):
  // what it trains (weights, optimizer moments) and where it is in its images. A source with
  // no state of its own writes nothing. load() runs on a source made as this one was.
  virtual void save(torch::serialize::OutputArchive&) const {}
  virtual void load(torch::serialize::InputArchive&) {}
};

// The second half: Q's logits on the images (detached), L_Q and, once warm-up is over,
// an SGD step (Nesterov, the schedule's momentum and weight decay).
class StudentStep {
 public:
  StudentStep(Net student, const Schedule& schedule, LossFn loss);
  Terms run(StepTensors& st, const StepPosition& at, bool update);
  // The optimizer's state (momentum buffers), for the run's checkpoint.
  void save(torch::serialize::OutputArchive& archive) const { opt_.save(archive); }
  void load(torch::serialize::InputArchive& archive) { opt_.load(archive); }

 private:
  Net student_;
  double lr_;
  LossFn loss_;
  torch::optim::SGD opt_;
};

// What a trained method contributes to the loop (run_trainer in trainer.h).
struct TrainerParts {
  // Made after the student (the generator's initial weights come after the student's in
  // the random stream). The parts may hold references to the RunContext they were made
  // for: use them within its run.
  std::function<std::unique_ptr<ImageSource>()> make_source;
  LossFn student_loss;
  // Optional: extra per-epoch values (e.g. AdaSG's entropy percentiles).
  std::function<void(Values&)> epoch_end;
};

}  // namespace dfq
