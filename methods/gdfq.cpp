// gdfq: "Generative Low-bitwidth Data Free Quantization", Xu et al., ECCV 2020.
//  L_G = CE(softmax(P(G(z, y))), y) + bns_weight * BNS
//  L_Q = KD(kd_reduction, kd_alpha, kd_temperature) + CE(Q(x), y)
// CIFAR batch 200 (ImageNet 16), warm-up 4 epochs (ImageNet 50), both as config keys.
#include "methods/registry.h"
#include "methods/train/student_loss.h"
#include "methods/train/trained_method.h"

namespace dfq {

MethodDescriptor gdfq_method() {
  MethodDescriptor d = trained_method("gdfq", "Generative Low-bitwidth Data Free Quantization (Xu et al., ECCV)", 2020);
  Schedule schedule;
  schedule.batch_size = 200;
  d.params = join({Schedule::block().schema(schedule), GeneratorSettings::block().schema({}),
                   quant_block().schema({}), BnsWeight::block().schema({}), KdSettings::block().schema({})});
  set_trainer_parts(d, [](RunContext& ctx) {
    const double bns_weight = BnsWeight::block().read(ctx.config).weight;
    TrainerParts parts;
    parts.make_source = [&ctx, bns_weight] {
      GameHooks hooks;
      hooks.generator_loss = gdfq_generator_loss(bns_weight);
      return generator_source(ctx, make_run_generator(ctx, GeneratorSettings::block().read(ctx.config)), hooks);
    };
    parts.student_loss = kd_ce_student_loss(KdSettings::block().read(ctx.config));
    return parts;
  });
  return d;
}

}  // namespace dfq
