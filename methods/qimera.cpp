// qimera: "Qimera: Data-free Quantization with Synthetic Boundary Supporting Samples",
// Choi et al., NeurIPS 2021. GDFQ plus superposed embeddings: with probability `mix_prob`
// (0.4) per batch every sample gets `mix_labels` labels (2 for CIFAR-10, 10 for CIFAR-100),
// weights w = softmax(randn(B, K)), x = G(sum_k w_k h_k), soft label p = sum_k w_k onehot(y_k).
//  L_G = soft-CE(P(x), p) + bns_weight * BNS;  L_Q = KD(mean, 1, 20) + ce_weight * soft-CE(Q(x), p).
// Codes h = N(Emb(y) + noise_scale * z) (core/gen QimeraGenerator), embedding width
// `latent_dim` (64), initialised at random (CIFAR-10) or from the teacher's classifier
// weights (`embedding_init: teacher`, CIFAR-100; the width then is the teacher's feature
// width). The disentanglement mapping `dm` is off by default, as in the shipped scripts.
#include <fmt/format.h>

#include "core/gen/generator.h"
#include "core/losses/losses.h"
#include "core/quant/layers.h"
#include "core/util/error.h"
#include "methods/registry.h"
#include "methods/trainer.h"

namespace dfq {
namespace {

torch::Tensor classifier_weight(NetImpl& net) {
  auto linears = modules_of<QLinearImpl>(net);
  if (linears.empty()) throw InvalidInputError("qimera: embedding_init=teacher needs a model with a linear classifier");
  return linears.back().second->weight.detach().clone();
}

int64_t feature_width(const ModelSpec& spec) {
  Net net = make_model(spec);
  net->eval();
  torch::NoGradGuard ng;
  return net->features(torch::zeros({2, spec.in_channels, spec.image_size, spec.image_size})).size(1);
}

void run_qimera(RunContext& ctx) {
  const Config& c = ctx.config;
  const auto& info = ctx.data->info;
  const double mix_prob = c.num("mix_prob");
  const int64_t k = c.integer("mix_labels"), latent = c.integer("latent_dim");
  TrainerHooks hooks;
  hooks.make_generator = [&]() -> Generator {
    QimeraOptions o;
    o.base = {info.classes, static_cast<int>(latent), info.size, info.channels, c.num("gen_bn_eps")};
    o.noise_scale = c.num("noise_scale");
    o.dm = c.flag("dm");
    o.dm_dim = static_cast<int>(c.integer("dm_dim"));
    o.freeze_embedding = c.flag("freeze_embedding");
    if (c.str("embedding_init") == "teacher") o.init_embedding = classifier_weight(*ctx.teacher);
    return std::make_shared<QimeraGeneratorImpl>(o);
  };
  hooks.sample = [&, mix_prob, k, latent](GeneratorImpl& g, int64_t batch, StepTensors& st) {
    auto& gen = dynamic_cast<QimeraGeneratorImpl&>(g);
    const auto opts = torch::TensorOptions().device(ctx.device);
    if (torch::rand({1}).item<double>() < mix_prob) {
      auto s = draw_superposition(batch, k, info.classes, ctx.device);
      st.x = gen.forward_mixed(torch::randn({batch, k, latent}, opts), s.labels, s.weights);
      st.targets = s.soft;
      st.y = s.soft.argmax(1);
    } else {
      st.y = torch::randint(0, info.classes, {batch}, opts.dtype(torch::kInt64));
      st.x = gen.forward(torch::randn({batch, latent}, opts), st.y);
    }
  };
  hooks.generator_loss = [&c](const StepTensors& s) -> Terms {
    auto ce = soft_cross_entropy(s.z_p, s.targets);
    auto total = ce + c.num("bns_weight") * s.bns;
    return {{"loss", total}, {"soft_ce", ce}, {"bns", s.bns}};
  };
  hooks.student_loss = kd_ce_student_loss(c);
  run_trainer(ctx, hooks);
}

}  // namespace

MethodDescriptor qimera_method() {
  MethodDescriptor d = trainer_descriptor(
      "qimera", "Qimera: Data-free Quantization with Synthetic Boundary Supporting Samples (Choi et al., NeurIPS)", 2021);
  d.defaults.erase("generator");  // Qimera's own generator
  d.defaults.update({{"batch_size", 200}, {"latent_dim", 64}, {"bns_weight", 0.1}, {"kd_temperature", 20.0},
                     {"kd_alpha", 1.0}, {"kd_reduction", "mean"}, {"ce_weight", 1.0}, {"mix_prob", 0.4},
                     {"mix_labels", 2}, {"embedding_init", "random"}, {"freeze_embedding", false},
                     {"noise_scale", 1.0}, {"dm", false}, {"dm_dim", 100}});
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec& spec) {
    resolve_trainer_config(c, q);
    const auto init = c.str("embedding_init");
    if (init != "random" && init != "teacher")
      throw InvalidInputError(fmt::format("qimera: unknown embedding_init '{}'; valid: random, teacher", init));
    if (c.num("mix_prob") < 0 || c.num("mix_prob") > 1)
      throw InvalidInputError(fmt::format("qimera: mix_prob must be in [0, 1], got {}", c.num("mix_prob")));
    if (c.integer("mix_labels") < 1)
      throw InvalidInputError(fmt::format("qimera: mix_labels must be >= 1, got {}", c.integer("mix_labels")));
    if (c.integer("latent_dim") <= 0 || c.integer("dm_dim") <= 0)
      throw InvalidInputError("qimera: latent_dim and dm_dim must be positive");
    // Initialised from the classifier, the embedding has the teacher's feature width.
    if (init == "teacher") c.set_json("latent_dim", feature_width(spec));
  };
  d.run = run_qimera;
  return d;
}

}  // namespace dfq
