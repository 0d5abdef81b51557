#include "methods/train/generator_game.h"

#include "core/losses/losses.h"
#include "core/util/device.h"

namespace dfq {

const ParamBlock<GeneratorSettings>& GeneratorSettings::block() {
  static const auto block =
      ParamBlock<GeneratorSettings>("generator")
          .number("lr_g", &GeneratorSettings::lr_g, Bounds::positive(), "generator learning rate (Adam)")
          .number("adam_beta1", &GeneratorSettings::adam_beta1, Bounds::in(0, 1), "generator Adam beta1")
          .number("adam_beta2", &GeneratorSettings::adam_beta2, Bounds::in(0, 1), "generator Adam beta2")
          .integer("latent_dim", &GeneratorSettings::latent_dim, Bounds::at_least(1), "width of the noise z")
          .number("gen_bn_eps", &GeneratorSettings::gen_bn_eps, Bounds::positive(),
                  "epsilon of the generator's BatchNorm layers (0.8 in the official GDFQ code)")
          .text("generator", &GeneratorSettings::kind, generator_kinds(),
                "architecture: gdfq (label embedding times z) or cbn (class-conditional BatchNorm)");
  return block;
}

const ParamBlock<BnsWeight>& BnsWeight::block() {
  static const auto block = ParamBlock<BnsWeight>("generator loss")
                                .number("bns_weight", &BnsWeight::weight, Bounds::at_least(0),
                                        "weight of the teacher's BNS loss in L_G");
  return block;
}

LossFn gdfq_generator_loss(double bns_weight) {
  return [bns_weight](const StepTensors& s) -> Terms {
    auto ce = cross_entropy(s.z_p, s.y);
    return {{"loss", ce + bns_weight * s.bns}, {"ce", ce}, {"bns", s.bns}};
  };
}

GeneratorGame::GeneratorGame(Generator generator, const GeneratorSettings& s, NetImpl& teacher, int64_t batch,
                             int64_t num_classes, torch::Device device, GameHooks hooks)
    : gen_(std::move(generator)),
      teacher_(teacher),
      batch_(batch),
      classes_(num_classes),
      latent_(s.latent_dim),
      lr_(s.lr_g),
      device_(device),
      hooks_(std::move(hooks)),
      opt_((gen_->to(device), gen_->parameters()), torch::optim::AdamOptions(s.lr_g).betas({s.adam_beta1, s.adam_beta2})),
      bns_(teacher, BNSVariant::Batch) {}

void GeneratorGame::finish() {
  bns_.set_enabled(false);
  bns_.clear();
}

void GeneratorGame::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive g, opt;
  gen_->save(g);
  opt_.save(opt);
  archive.write("generator", g);
  archive.write("generator_adam", opt);
}

void GeneratorGame::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive g, opt;
  archive.read("generator", g);
  archive.read("generator_adam", opt);
  gen_->load(g);
  opt_.load(opt);
}

Terms GeneratorGame::next(StepTensors& st, NetImpl& student, const StepPosition& at) {
  set_lr(opt_, lr_ * at.lr_factor);
  if (hooks_.sample) {
    hooks_.sample(*gen_, batch_, st);
  } else {
    auto z = randn_on({batch_, latent_}, device_);
    st.y = randint_on(0, classes_, {batch_}, device_);
    st.x = gen_->forward(z, st.y);
  }
  if (!st.targets.defined()) st.targets = torch::one_hot(st.y, classes_).to(torch::kFloat32);
  bns_.clear();
  st.z_p = teacher_.forward(st.x);
  st.bns = bns_.loss();
  if (hooks_.student_in_generator_step) st.z_q = student.forward(st.x);
  Terms lg = hooks_.generator_loss(st);
  check_finite(lg, at, "g");
  opt_.zero_grad();
  // Gradients for G's parameters only. The official trainers call loss_G.backward(), which
  // also fills Q's weight gradients when Q's logits are in L_G (adasg, adadfq, qimera's
  // game): nobody reads them, as Q's step zeroes them before its own backward
  // (hfutqian/AdaSG AdaSG_code/CIFAR/trainer.py, backward_S: optimizer_S.zero_grad(), then
  // loss_S.backward()). Leaving them out skips Q's weight-gradient convolutions in every
  // generator step; G's gradients are the same.
  std::vector<torch::Tensor> trained;
  for (auto& p : gen_->parameters())
    if (p.requires_grad()) trained.push_back(p);
  lg.front().second.backward({}, c10::nullopt, false, trained);
  opt_.step();
  return lg;
}

}  // namespace dfq
