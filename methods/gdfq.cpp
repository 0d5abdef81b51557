// gdfq: "Generative Low-bitwidth Data Free Quantization", Xu et al., ECCV 2020.
//  L_G = CE(softmax(P(G(z, y))), y) + bns_weight * BNS
//  L_Q = KD(kd_reduction, kd_alpha, kd_temperature) + CE(Q(x), y)
// CIFAR batch 200 (ImageNet 16), warm-up 4 epochs (ImageNet 50), both as config keys.
#include "core/losses/losses.h"
#include "methods/registry.h"
#include "methods/trainer.h"

namespace dfq {

MethodDescriptor gdfq_method() {
  MethodDescriptor d = trainer_descriptor("gdfq", "Generative Low-bitwidth Data Free Quantization (Xu et al., ECCV)", 2020);
  d.defaults.update({{"batch_size", 200}, {"bns_weight", 0.1}, {"kd_temperature", 20.0}, {"kd_alpha", 1.0},
                     {"kd_reduction", "mean"}, {"ce_weight", 1.0}});
  d.run = [](RunContext& ctx) {
    const Config& c = ctx.config;
    TrainerHooks hooks;
    hooks.generator_loss = [&c](const StepTensors& s) -> Terms {
      auto ce = cross_entropy(s.z_p, s.y);
      auto total = ce + c.num("bns_weight") * s.bns;
      return {{"loss", total}, {"ce", ce}, {"bns", s.bns}};
    };
    hooks.student_loss = kd_ce_student_loss(c);
    run_trainer(ctx, hooks);
  };
  return d;
}

}  // namespace dfq
