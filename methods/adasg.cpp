// adasg: "Rethinking Data-Free Quantization as a Zero-Sum Game", Qian et al., AAAI 2023.
// The game of methods/game.h with the official defaults: lambda_l 0.3, lambda_u 0.8,
// L_G = marginal + 0.1 L_ds + 0.1 L_as + 1.0 BNS, L_Q = -T^2 mean H(softmax((z_p-z_q)/T)),
// T = 20 (CIFAR; 5 for ImageNet), batch 16 (hard-coded in the official code; any works here).
// Per iteration (the paper's Algorithm 1): x = G(z, y); update G on L_G with P and Q's
// logits on x; update Q on L_Q with x detached (methods/train/generator_game, step).
#include "methods/game.h"
#include "methods/registry.h"
#include "methods/train/trained_method.h"

namespace dfq {

MethodDescriptor adasg_method() {
  MethodDescriptor d = trained_method("adasg", "Rethinking Data-Free Quantization as a Zero-Sum Game (Qian et al., AAAI)", 2023);
  Schedule schedule;
  schedule.batch_size = 16;
  const GameParams game;  // lambda_l 0.3, lambda_u 0.8, weights 1 / 0.1 / 0.1 / 1, T 20
  d.params = join({Schedule::block().schema(schedule), GeneratorSettings::block().schema({}),
                   quant_block().schema({}), GameParams::lower_bound(false).schema(game), GameParams::block().schema(game),
                   GameParams::adasg_weights().schema(game)});
  d.validate = [](const Config& c, const QuantConfig& q) {
    validate_trained(c, q);
    validate_game(GameParams::read(c));
  };
  set_trainer_parts(d, [](RunContext& ctx) {
    return game_parts(ctx, GameParams::adasg_weights().read(ctx.config, GameParams::read(ctx.config)));
  });
  return d;
}

}  // namespace dfq
