// qimera: "Qimera: Data-free Quantization with Synthetic Boundary Supporting Samples",
// Choi et al., NeurIPS 2021. GDFQ plus superposed embeddings: with probability `mix_prob`
// (0.4) per batch every sample gets `mix_labels` labels (2 for CIFAR-10, 10 for CIFAR-100),
// weights w = softmax(randn(B, K)), x = G(sum_k w_k h_k), soft label p = sum_k w_k onehot(y_k).
//  L_G = soft-CE(P(x), p) + bns_weight * BNS;  L_Q = KD(mean, 1, 20) + ce_weight * soft-CE(Q(x), p).
// Codes h = N(Emb(y) + noise_scale * z) (core/gen QimeraGenerator), embedding width
// `latent_dim` (64), initialised at random (CIFAR-10) or from the teacher's classifier
// weights (`embedding_init: teacher`, CIFAR-100; the width then is the teacher's feature
// width). The disentanglement mapping `dm` is off by default, as in the shipped scripts.
#include "core/util/device.h"
#include "core/gen/generator.h"
#include "core/losses/losses.h"
#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/util/error.h"
#include "methods/registry.h"
#include "methods/train/student_loss.h"
#include "methods/train/trained_method.h"

namespace dfq {
namespace {

struct QimeraSettings {
  double mix_prob = 0.4;
  int64_t mix_labels = 2;
  std::string embedding_init = "random";
  bool freeze_embedding = false;
  double noise_scale = 1.0;
  bool dm = false;
  int64_t dm_dim = 100;
  static const ParamBlock<QimeraSettings>& block() {
    static const auto block =
        ParamBlock<QimeraSettings>("qimera")
            .number("mix_prob", &QimeraSettings::mix_prob, Bounds::in(0, 1),
                    "probability that a batch is made of superposed embeddings")
            .integer("mix_labels", &QimeraSettings::mix_labels, Bounds::at_least(1),
                     "labels superposed per sample (2 for CIFAR-10, 10 for CIFAR-100)")
            .text("embedding_init", &QimeraSettings::embedding_init, {"random", "teacher"},
                  "label embedding initialisation: random, or the teacher's classifier weights (then latent_dim is "
                  "the teacher's feature width)")
            .flag("freeze_embedding", &QimeraSettings::freeze_embedding, "keep the label embedding fixed")
            .number("noise_scale", &QimeraSettings::noise_scale, Bounds::at_least(0),
                    "scale of the noise added to the embedding: h = Emb(y) + noise_scale * z")
            .flag("dm", &QimeraSettings::dm, "the disentanglement mapping (off in the shipped scripts)")
            .integer("dm_dim", &QimeraSettings::dm_dim, Bounds::at_least(1), "width of the disentanglement mapping");
    return block;
  }
};

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

Generator make_qimera_generator(const RunContext& ctx, const GeneratorSettings& g, const QimeraSettings& q) {
  const auto& info = ctx.data->info;
  QimeraOptions o;
  o.base = {info.classes, static_cast<int>(g.latent_dim), info.size, info.channels, g.gen_bn_eps};
  o.noise_scale = q.noise_scale;
  o.dm = q.dm;
  o.dm_dim = static_cast<int>(q.dm_dim);
  o.freeze_embedding = q.freeze_embedding;
  if (q.embedding_init == "teacher") o.init_embedding = classifier_weight(*ctx.teacher);
  return std::make_shared<QimeraGeneratorImpl>(o);
}

// With probability mix_prob, every sample superposes mix_labels label embeddings with
// weights softmax(randn) and gets their weighted one-hot mixture as its soft label.
void sample_superposed(const RunContext& ctx, const QimeraSettings& q, int64_t latent, GeneratorImpl& g,
                       int64_t batch, StepTensors& st) {
  auto& gen = dynamic_cast<QimeraGeneratorImpl&>(g);
  const auto& info = ctx.data->info;
  if (torch::rand({1}).item<double>() < q.mix_prob) {
    auto s = draw_superposition(batch, q.mix_labels, info.classes, ctx.device);
    st.x = gen.forward_mixed(randn_on({batch, q.mix_labels, latent}, ctx.device), s.labels, s.weights);
    st.targets = s.soft;
    st.y = s.soft.argmax(1);
  } else {
    st.y = randint_on(0, info.classes, {batch}, ctx.device);
    st.x = gen.forward(randn_on({batch, latent}, ctx.device), st.y);
  }
}

TrainerParts qimera_parts(RunContext& ctx) {
  const auto q = QimeraSettings::block().read(ctx.config);
  const auto g = GeneratorSettings::block().read(ctx.config);
  const double bns_weight = BnsWeight::block().read(ctx.config).weight;
  TrainerParts parts;
  parts.make_source = [&ctx, q, g, bns_weight] {
    GameHooks hooks;
    hooks.sample = [&ctx, q, latent = g.latent_dim](GeneratorImpl& gen, int64_t batch, StepTensors& st) {
      sample_superposed(ctx, q, latent, gen, batch, st);
    };
    hooks.generator_loss = [bns_weight](const StepTensors& s) -> Terms {
      auto ce = soft_cross_entropy(s.z_p, s.targets);
      return {{"loss", ce + bns_weight * s.bns}, {"soft_ce", ce}, {"bns", s.bns}};
    };
    return generator_source(ctx, make_qimera_generator(ctx, g, q), hooks);
  };
  parts.student_loss = kd_ce_student_loss(KdSettings::block().read(ctx.config));
  return parts;
}

}  // namespace

MethodDescriptor qimera_method() {
  MethodDescriptor d = trained_method(
      "qimera", "Qimera: Data-free Quantization with Synthetic Boundary Supporting Samples (Choi et al., NeurIPS)", 2021);
  Schedule schedule;
  schedule.batch_size = 200;
  GeneratorSettings generator;
  generator.latent_dim = 64;  // the embedding width
  d.params = join({Schedule::block().schema(schedule), GeneratorSettings::block().schema(generator, {"generator"}),
                   quant_block().schema({}), BnsWeight::block().schema({}), KdSettings::block().schema({}),
                   QimeraSettings::block().schema({})});
  d.resolve = [](Config& c, const QuantConfig& quant, const ModelSpec& spec) {
    resolve_trained(c, quant);
    // Initialised from the classifier, the embedding has the teacher's feature width.
    if (QimeraSettings::block().read(c).embedding_init == "teacher") {
      auto g = GeneratorSettings::block().read(c);
      g.latent_dim = feature_width(spec);
      GeneratorSettings::block().write(g, c);
    }
  };
  set_trainer_parts(d, qimera_parts);
  return d;
}

}  // namespace dfq
