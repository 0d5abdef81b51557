// The data-free image source of the GDFQ family (gdfq, qimera, adasg, adadfq): per
// iteration, draw (z, y), x = G(z, y); the teacher's logits and BNS on x (and the
// student's, for methods whose generator loss needs them); update G on L_G with Adam.
#pragma once
#include <memory>

#include "core/gen/generator.h"
#include "core/losses/bns.h"
#include "methods/train/step.h"

namespace dfq {

// The generator's settings (gdfq, adasg, adadfq; qimera has all but `generator`).
struct GeneratorSettings {
  double lr_g = 1e-3;
  double adam_beta1 = 0.5, adam_beta2 = 0.999;
  int64_t latent_dim = 100;
  double gen_bn_eps = 0.8;
  std::string kind = "gdfq";
  static const ParamBlock<GeneratorSettings>& block();
};

// GDFQ's weight of the teacher's BNS loss in L_G (gdfq, qimera).
struct BnsWeight {
  double weight = 0.1;
  static const ParamBlock<BnsWeight>& block();
};

// GDFQ's L_G: CE(softmax(P(G(z, y))), y) + bns_weight * BNS (gdfq; intraq's calibration).
LossFn gdfq_generator_loss(double bns_weight);

struct GameHooks {
  // L_G and its terms; terms[0] is what is minimised.
  LossFn generator_loss;
  // The generator's loss needs the student's logits on x (with gradient to G).
  bool student_in_generator_step = false;
  // Optional: draws (z, y) and makes x (methods that mix labels); fills x, y, targets.
  std::function<void(GeneratorImpl&, int64_t batch, StepTensors&)> sample;
};

class GeneratorGame : public ImageSource {
 public:
  // `teacher` frozen, in eval mode; G on `device`.
  GeneratorGame(Generator generator, const GeneratorSettings& settings, NetImpl& teacher, int64_t batch,
                int64_t num_classes, torch::Device device, GameHooks hooks);
  Terms next(StepTensors& st, NetImpl& student, const StepPosition& at) override;
  void train() override { gen_->train(); }
  // Stops the teacher's BNS taps: they would record on every later teacher forward.
  void finish() override;
  // G's weights and buffers and its Adam moments.
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  Generator gen_;
  NetImpl& teacher_;
  int64_t batch_, classes_, latent_;
  double lr_;
  torch::Device device_;
  GameHooks hooks_;
  torch::optim::Adam opt_;
  BNStatsLoss bns_;
};

}  // namespace dfq
