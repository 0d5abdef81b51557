#include "methods/game.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/losses/losses.h"
#include "core/util/error.h"
#include "methods/train/trained_method.h"

namespace dfq {
namespace {

// h' of every generated sample of an epoch, summarised at its end.
class EntropyStats {
 public:
  explicit EntropyStats(const GameParams& p) : p_(p) {}
  void add(const torch::Tensor& h_prime) {
    auto h = h_prime.to(torch::kFloat32).contiguous().cpu();
    values_.insert(values_.end(), h.data_ptr<float>(), h.data_ptr<float>() + h.numel());
  }
  void summarise(Values& v) {
    if (values_.empty()) return;
    std::sort(values_.begin(), values_.end());
    auto pct = [&](double q) { return values_[static_cast<size_t>(q * (values_.size() - 1) + 0.5)]; };
    double mean = 0;
    int64_t below = 0, above = 0;
    for (float h : values_) {
      mean += h;
      below += h < p_.lambda_l;
      above += h > p_.lambda_u;
    }
    const double n = static_cast<double>(values_.size());
    v.emplace_back("h_mean", mean / n);
    v.emplace_back("h_p10", pct(0.1));
    v.emplace_back("h_p50", pct(0.5));
    v.emplace_back("h_p90", pct(0.9));
    v.emplace_back("h_below_lower", below / n);
    v.emplace_back("h_above_upper", above / n);
    values_.clear();
  }

 private:
  GameParams p_;
  std::vector<float> values_;
};

}  // namespace

const ParamBlock<GameParams>& GameParams::block() {
  static const auto block =
      ParamBlock<GameParams>("game")
          .number("lambda_u", &GameParams::lambda_u, Bounds::in(0, 1), "upper bound of h'")
          .number("temperature", &GameParams::temperature, Bounds::positive(),
                  "temperature T of Q's loss -T^2 mean H(softmax((z_p - z_q) / T))")
          .choice("q_loss", &GameParams::q_loss, {{"code", QLossForm::Code}, {"paper", QLossForm::Paper}},
                  "Q's objective: code (the official trainer's) or paper (mean 1 - H(p_ds) / log C)")
          .flag("use_ds", &GameParams::use_ds, "ablation switch: the disagreement term L_ds in L_G")
          .flag("use_as", &GameParams::use_as, "ablation switch: the agreement term L_as in L_G")
          .flag("use_marginal", &GameParams::use_marginal, "ablation switch: the bound (marginal) term in L_G");
  return block;
}

const ParamBlock<GameParams>& GameParams::lower_bound(bool with_auto) {
  static const char* kDoc = "lower bound of the normalised disagreement entropy h' that G keeps samples above";
  static const auto plain = ParamBlock<GameParams>("game").number("lambda_l", &GameParams::lambda_l, Bounds::in(0, 1), kDoc);
  static const auto with = ParamBlock<GameParams>("game").number(
      "lambda_l", &GameParams::lambda_l, Bounds::in(0, 1).or_auto(-1),
      "lower bound of the normalised disagreement entropy h' that G keeps samples above; -1: the official value "
      "for the model and bits");
  return with_auto ? with : plain;
}

const ParamBlock<GameParams>& GameParams::adasg_weights() {
  static const auto block =
      ParamBlock<GameParams>("adasg weights")
          .number("w_marginal", &GameParams::w_marginal, Bounds::at_least(0), "weight of the marginal term in L_G")
          .number("w_ds", &GameParams::w_ds, Bounds::at_least(0), "weight of L_ds = CE(softmax(z_p - z_q), y)")
          .number("w_as", &GameParams::w_as, Bounds::at_least(0), "weight of L_as = CE(softmax(z_p + z_q), y)")
          .number("w_bns", &GameParams::w_bns, Bounds::at_least(0), "weight of the teacher's BNS loss in L_G");
  return block;
}

void validate_game(const GameParams& p) {
  if (p.lambda_l < 0) throw InvalidInputError("lambda_l is unresolved (-1); resolve the cell again");
  if (!(p.lambda_l < p.lambda_u))
    throw InvalidInputError(fmt::format("bad value for lambda_l: expected below lambda_u ({}), got {}", p.lambda_u,
                                        p.lambda_l));
}

Terms game_generator_terms(const StepTensors& s, const GameParams& p, torch::Tensor* h_prime_out) {
  auto h_prime = normalized_disagreement_entropy(s.z_p, s.z_q);
  if (h_prime_out) *h_prime_out = h_prime.detach();
  auto marginal = marginal_loss(h_prime, p.lambda_l, p.lambda_u);
  auto l_ds = soft_cross_entropy(s.z_p - s.z_q, s.targets);
  auto l_as = soft_cross_entropy(s.z_p + s.z_q, s.targets);
  auto total = s.bns * p.w_bns;
  if (p.use_marginal) total = total + p.w_marginal * marginal;
  if (p.use_ds) total = total + p.w_ds * l_ds;
  if (p.use_as) total = total + p.w_as * l_as;
  return {{"loss", total}, {"marginal", marginal}, {"l_ds", l_ds}, {"l_as", l_as}, {"bns", s.bns}};
}

Terms game_student_terms(const StepTensors& s, const GameParams& p) {
  const double log_c = std::log(static_cast<double>(s.z_p.size(1)));
  auto h = entropy_of_logits(s.z_p - s.z_q, 1.0);
  torch::Tensor loss;
  if (p.q_loss == QLossForm::Code) {
    const double t = p.temperature;
    loss = -t * t * entropy_of_logits(s.z_p - s.z_q, t).mean();
  } else {
    loss = (1.0 - h / log_c).mean();
  }
  return {{"loss", loss}, {"entropy", (h / log_c).mean()}};
}

TrainerParts game_parts(RunContext& ctx, const GameParams& params) {
  auto stats = std::make_shared<EntropyStats>(params);
  TrainerParts parts;
  parts.make_source = [&ctx, params, stats] {
    GameHooks hooks;
    hooks.student_in_generator_step = true;
    hooks.generator_loss = [params, stats](const StepTensors& s) {
      torch::Tensor h_prime;
      Terms t = game_generator_terms(s, params, &h_prime);
      stats->add(h_prime);
      return t;
    };
    return generator_source(ctx, make_run_generator(ctx, GeneratorSettings::block().read(ctx.config)), hooks);
  };
  parts.student_loss = [params](const StepTensors& s) { return game_student_terms(s, params); };
  parts.epoch_end = [stats](Values& v) { stats->summarise(v); };
  return parts;
}

}  // namespace dfq
