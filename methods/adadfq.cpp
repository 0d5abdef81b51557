// adadfq: "Adaptive Data-Free Quantization", Qian et al., CVPR 2023. Same trainer and game
// as adasg with L_G = marginal(lambda_l, lambda_u) + beta * (a_ds L_ds + a_as L_as) + gamma BNS.
// Defaults a_ds 0.2, a_as 0.1, lambda_u 0.8, beta = gamma = 1; lambda_l = 0.1 for 3-bit
// (0.4 for ResNet-50 at 3 bits) and 0.3 for 4/5-bit configurations: lambda_l = -1 (auto)
// picks that from the run's bits and model, and the resolved value is what the store records.
#include "methods/game.h"
#include "methods/registry.h"
#include "methods/train/trained_method.h"

namespace dfq {
namespace {

// AdaDFQ's names for the generator's term weights.
struct AdaDfqWeights {
  double a_ds = 0.2, a_as = 0.1, beta = 1.0, gamma = 1.0;
  static const ParamBlock<AdaDfqWeights>& block() {
    static const auto block =
        ParamBlock<AdaDfqWeights>("adadfq weights")
            .number("a_ds", &AdaDfqWeights::a_ds, Bounds::at_least(0), "weight of L_ds within beta * (...)")
            .number("a_as", &AdaDfqWeights::a_as, Bounds::at_least(0), "weight of L_as within beta * (...)")
            .number("beta", &AdaDfqWeights::beta, Bounds::at_least(0), "weight of a_ds L_ds + a_as L_as in L_G")
            .number("gamma", &AdaDfqWeights::gamma, Bounds::at_least(0), "weight of the teacher's BNS loss in L_G");
    return block;
  }
};

}  // namespace

MethodDescriptor adadfq_method() {
  MethodDescriptor d = trained_method("adadfq", "Adaptive Data-Free Quantization (Qian et al., CVPR)", 2023);
  Schedule schedule;
  schedule.batch_size = 16;
  GameParams game;
  game.lambda_l = -1;  // auto
  d.params = join({Schedule::block().schema(schedule), GeneratorSettings::block().schema({}),
                   quant_block().schema({}), GameParams::block().schema(game), AdaDfqWeights::block().schema({})});
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec& model) {
    resolve_trained(c, q);
    auto g = GameParams::block().read(c);
    if (g.lambda_l < 0) {
      const int bits = std::min(q.w_bits, q.a_bits);
      g.lambda_l = bits <= 3 ? (model.arch == "resnet50" ? 0.4 : 0.1) : 0.3;
      GameParams::block().write(g, c);
    }
  };
  d.validate = [](const Config& c, const QuantConfig& q) {
    validate_trained(c, q);
    validate_game(GameParams::block().read(c));
  };
  set_trainer_parts(d, [](RunContext& ctx) {
    GameParams p = GameParams::block().read(ctx.config);
    const auto w = AdaDfqWeights::block().read(ctx.config);
    p.w_marginal = 1.0;
    p.w_ds = w.beta * w.a_ds;
    p.w_as = w.beta * w.a_as;
    p.w_bns = w.gamma;
    return game_parts(ctx, p);
  });
  return d;
}

}  // namespace dfq
