// adadfq: "Adaptive Data-Free Quantization", Qian et al., CVPR 2023. Same trainer and game
// as adasg with L_G = marginal(lambda_l, lambda_u) + beta * (a_ds L_ds + a_as L_as) + gamma BNS.
// Defaults a_as 0.1, lambda_u 0.8, beta = gamma = 1. lambda_l and a_ds (-1: auto) come from
// the official configuration of the run's model and bit-width (kOfficial below, each row
// naming its file in hfutqian/AdaDFQ); where none exists the values are this project's
// choice and the run says so. The resolved values are what the store records.
#include <fmt/format.h>

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
            .number("a_ds", &AdaDfqWeights::a_ds, Bounds::at_least(0).or_auto(-1),
                    "weight of L_ds within beta * (...); -1: the official value for the model and bits")
            .number("a_as", &AdaDfqWeights::a_as, Bounds::at_least(0), "weight of L_as within beta * (...)")
            .number("beta", &AdaDfqWeights::beta, Bounds::at_least(0), "weight of a_ds L_ds + a_as L_as in L_G")
            .number("gamma", &AdaDfqWeights::gamma, Bounds::at_least(0), "weight of the teacher's BNS loss in L_G");
    return block;
  }
};

// The official per-(model, bits) values. The CIFAR files are 3-bit; the ImageNet files are
// 3-bit with comments giving other bit-widths' values.
struct OfficialValues {
  const char* model;
  int bits;
  double lambda_l, a_ds;
  const char* source;
};
const OfficialValues kOfficial[] = {
    {"resnet20", 3, 0.1, 0.2, "AdaDFQ/CIFAR/cifar10_resnet20.hocon and cifar100_resnet20.hocon"},
    {"resnet18", 3, 0.1, 0.2, "AdaDFQ/ImageNet/imagenet_res18.hocon"},
    {"resnet18", 4, 0.3, 0.2, "AdaDFQ/ImageNet/imagenet_res18.hocon (lambda_l: its 4/5-bit comment)"},
    {"resnet18", 5, 0.3, 0.3, "AdaDFQ/ImageNet/imagenet_res18.hocon (its 4/5-bit lambda_l and 5-bit alpha_ds comments)"},
    {"resnet50", 3, 0.4, 0.2, "AdaDFQ/ImageNet/imagenet_res50.hocon"},
    {"resnet50", 4, 0.3, 0.1, "AdaDFQ/ImageNet/imagenet_res50.hocon (its 4/5-bit lambda_l and 4-bit alpha_ds comments)"},
    {"resnet50", 5, 0.3, 0.2, "AdaDFQ/ImageNet/imagenet_res50.hocon (lambda_l: its 4/5-bit comment)"},
    {"mobilenetv2", 3, 0.1, 0.2, "AdaDFQ/ImageNet/imagenet_MV2.hocon"},
    {"mobilenetv2", 4, 0.1, 0.3, "AdaDFQ/ImageNet/imagenet_MV2.hocon (alpha_ds: its 4-bit comment)"},
};

const OfficialValues* official_values(const std::string& model, int bits) {
  for (const auto& v : kOfficial)
    if (model == v.model && bits == v.bits) return &v;
  return nullptr;
}

// Where no official configuration exists: the 3-bit values, and lambda_l 0.3 above 3 bits
// as every ImageNet file's comment gives for 4/5 bits.
OfficialValues our_choice(int bits) { return {"", bits, bits <= 3 ? 0.1 : 0.3, 0.2, nullptr}; }

int game_bits(const QuantConfig& q) { return std::min(q.w_bits, q.a_bits); }

}  // namespace

MethodDescriptor adadfq_method() {
  MethodDescriptor d = trained_method("adadfq", "Adaptive Data-Free Quantization (Qian et al., CVPR)", 2023);
  Schedule schedule;
  schedule.batch_size = 16;
  GameParams game;
  game.lambda_l = -1;  // auto
  AdaDfqWeights weights;
  weights.a_ds = -1;  // auto
  d.params = join({Schedule::block().schema(schedule), GeneratorSettings::block().schema({}),
                   quant_block().schema({}), GameParams::lower_bound(true).schema(game), GameParams::block().schema(game),
                   AdaDfqWeights::block().schema(weights)});
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec& model) {
    resolve_trained(c, q);
    const auto* official = official_values(model.arch, game_bits(q));
    const auto values = official ? *official : our_choice(game_bits(q));
    auto g = GameParams::read(c);
    if (g.lambda_l < 0) g.lambda_l = values.lambda_l;
    GameParams::lower_bound(true).write(g, c);
    auto w = AdaDfqWeights::block().read(c);
    if (w.a_ds < 0) w.a_ds = values.a_ds;
    AdaDfqWeights::block().write(w, c);
  };
  d.cell_notes = [](const Config&, const QuantConfig& q, const ModelSpec& model) -> std::vector<std::string> {
    if (official_values(model.arch, game_bits(q))) return {};
    return {fmt::format("adadfq at {} bits on {}: no official configuration; auto lambda_l and a_ds are this "
                        "project's choice ({} and 0.2: the 3-bit values, and lambda_l 0.3 above 3 bits as the "
                        "ImageNet configurations' comments give)",
                        game_bits(q), model.arch, our_choice(game_bits(q)).lambda_l)};
  };
  d.validate = [](const Config& c, const QuantConfig& q) {
    validate_trained(c, q);
    validate_game(GameParams::read(c));
  };
  set_trainer_parts(d, [](RunContext& ctx) {
    GameParams p = GameParams::read(ctx.config);
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
