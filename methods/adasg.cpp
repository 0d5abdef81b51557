// adasg: "Rethinking Data-Free Quantization as a Zero-Sum Game", Qian et al., AAAI 2023.
// The game of methods/game.h with the official defaults: lambda_l 0.3, lambda_u 0.8,
// L_G = marginal + 0.1 L_ds + 0.1 L_as + 1.0 BNS, L_Q = -T^2 mean H(softmax((z_p-z_q)/T)),
// T = 20 (CIFAR; 5 for ImageNet), batch 16 (hard-coded in the official code; any works here).
#include "methods/game.h"
#include "methods/registry.h"

namespace dfq {

MethodDescriptor adasg_method() {
  MethodDescriptor d = trainer_descriptor("adasg", "Rethinking Data-Free Quantization as a Zero-Sum Game (Qian et al., AAAI)", 2023);
  d.defaults.update(game_defaults());
  d.defaults.update({{"batch_size", 16}, {"lambda_l", 0.3}, {"w_marginal", 1.0}, {"w_ds", 0.1}, {"w_as", 0.1},
                     {"w_bns", 1.0}});
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) {
    resolve_trainer_config(c, q);
    validate_game_config(c);
  };
  d.run = [](RunContext& ctx) {
    const Config& c = ctx.config;
    GameParams p = game_params(c);
    p.w_marginal = c.num("w_marginal");
    p.w_ds = c.num("w_ds");
    p.w_as = c.num("w_as");
    p.w_bns = c.num("w_bns");
    run_game(ctx, p);
  };
  return d;
}

}  // namespace dfq
