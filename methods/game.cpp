#include "methods/game.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/losses/losses.h"
#include "core/util/error.h"

namespace dfq {

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

GameParams game_params(const Config& c) {
  GameParams p;
  p.lambda_l = c.num("lambda_l");
  p.lambda_u = c.num("lambda_u");
  p.use_marginal = c.flag("use_marginal");
  p.use_ds = c.flag("use_ds");
  p.use_as = c.flag("use_as");
  p.temperature = c.num("temperature");
  p.q_loss = c.str("q_loss") == "paper" ? QLossForm::Paper : QLossForm::Code;
  return p;
}

nlohmann::json game_defaults() {
  return {{"lambda_u", 0.8}, {"temperature", 20.0}, {"q_loss", "code"},
          {"use_ds", true},  {"use_as", true},      {"use_marginal", true}};
}

void validate_game_config(const Config& c) {
  const double ll = c.num("lambda_l"), lu = c.num("lambda_u");
  if (!(ll >= 0 && ll < lu && lu <= 1))
    throw InvalidInputError(fmt::format("bounds need 0 <= lambda_l < lambda_u <= 1, got lambda_l={} lambda_u={}", ll, lu));
  if (c.num("temperature") <= 0) throw InvalidInputError("temperature must be positive");
  const auto q = c.str("q_loss");
  if (q != "code" && q != "paper")
    throw InvalidInputError(fmt::format("unknown q_loss '{}'; valid: code, paper", q));
}

void run_game(RunContext& ctx, const GameParams& params) {
  std::vector<float> h_values;  // this epoch's h' of every generated sample
  TrainerHooks hooks;
  hooks.student_in_generator_step = true;
  hooks.generator_loss = [&](const StepTensors& s) {
    torch::Tensor h_prime;
    Terms t = game_generator_terms(s, params, &h_prime);
    auto h = h_prime.to(torch::kFloat32).contiguous().cpu();
    h_values.insert(h_values.end(), h.data_ptr<float>(), h.data_ptr<float>() + h.numel());
    return t;
  };
  hooks.student_loss = [&](const StepTensors& s) { return game_student_terms(s, params); };
  hooks.epoch_end = [&](Values& v) {
    if (h_values.empty()) return;
    std::vector<float> sorted = h_values;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double q) { return sorted[static_cast<size_t>(q * (sorted.size() - 1) + 0.5)]; };
    double mean = 0;
    int64_t below = 0, above = 0;
    for (float h : sorted) {
      mean += h;
      below += h < params.lambda_l;
      above += h > params.lambda_u;
    }
    const double n = static_cast<double>(sorted.size());
    v.emplace_back("h_mean", mean / n);
    v.emplace_back("h_p10", pct(0.1));
    v.emplace_back("h_p50", pct(0.5));
    v.emplace_back("h_p90", pct(0.9));
    v.emplace_back("h_below_lower", below / n);
    v.emplace_back("h_above_upper", above / n);
    h_values.clear();
  };
  run_trainer(ctx, hooks);
}

}  // namespace dfq
