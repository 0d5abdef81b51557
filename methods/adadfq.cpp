// adadfq: "Adaptive Data-Free Quantization", Qian et al., CVPR 2023. Same trainer and game
// as adasg with L_G = marginal(lambda_l, lambda_u) + beta * (a_ds L_ds + a_as L_as) + gamma BNS.
// Defaults a_ds 0.2, a_as 0.1, lambda_u 0.8, beta = gamma = 1; lambda_l = 0.1 for 3-bit
// (0.4 for ResNet-50 at 3 bits) and 0.3 for 4/5-bit configurations: lambda_l = -1 (auto)
// picks that from the run's bits and model, and the resolved value is what the store records.
#include "methods/game.h"
#include "methods/registry.h"

namespace dfq {

MethodDescriptor adadfq_method() {
  MethodDescriptor d = trainer_descriptor("adadfq", "Adaptive Data-Free Quantization (Qian et al., CVPR)", 2023);
  d.defaults.update(game_defaults());
  d.defaults.update({{"batch_size", 16}, {"lambda_l", -1.0}, {"a_ds", 0.2}, {"a_as", 0.1}, {"beta", 1.0},
                     {"gamma", 1.0}});
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec& model) {
    resolve_trainer_config(c, q);
    if (c.num("lambda_l") < 0) {
      const int bits = std::min(q.w_bits, q.a_bits);
      c.set_json("lambda_l", bits <= 3 ? (model.arch == "resnet50" ? 0.4 : 0.1) : 0.3);
    }
    validate_game_config(c);
  };
  d.run = [](RunContext& ctx) {
    const Config& c = ctx.config;
    GameParams p = game_params(c);
    p.w_marginal = 1.0;
    p.w_ds = c.num("beta") * c.num("a_ds");
    p.w_as = c.num("beta") * c.num("a_as");
    p.w_bns = c.num("gamma");
    run_game(ctx, p);
  };
  return d;
}

}  // namespace dfq
