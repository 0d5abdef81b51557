// The zero-sum game shared by AdaSG (Qian et al., AAAI 2023, "Rethinking Data-Free
// Quantization as a Zero-Sum Game") and AdaDFQ (Qian et al., CVPR 2023, "Adaptive
// Data-Free Quantization"). G maximises the P/Q disagreement on its samples within
// bounds; Q minimises it.
//  p_ds = softmax(z_p - z_q) (disagreement), p_as = softmax(z_p + z_q) (agreement)
//  h' = (H(p_ds) - min_batch H) / (log C - min_batch H)
//  marginal = mean(max(lambda_l - h', 0)) + mean(max(h' - lambda_u, 0))
//  L_G = w_marginal * marginal + w_ds * CE(p_ds, y) + w_as * CE(p_as, y) + w_bns * BNS
//  L_Q (code)  = -T^2 * mean(H(softmax((z_p - z_q) / T)))   (the official trainer)
//  L_Q (paper) = mean(1 - H(p_ds) / log C)                   (the paper's E[1 - H'(p_ds)])
// Ablations switch off L_ds, L_as or the marginal (bound) term.
#pragma once
#include "methods/method.h"
#include "methods/train/step.h"

namespace dfq {

enum class QLossForm { Code, Paper };

struct GameParams {
  double lambda_l = 0.3, lambda_u = 0.8;
  double w_marginal = 1.0, w_ds = 0.1, w_as = 0.1, w_bns = 1.0;
  bool use_marginal = true, use_ds = true, use_as = true;
  double temperature = 20.0;
  QLossForm q_loss = QLossForm::Code;

  // The settings both methods have: upper bound, temperature, Q's loss form, ablation
  // switches; `read` also reads lambda_l.
  static const ParamBlock<GameParams>& block();
  // lambda_l, with an auto value (-1) where the method resolves one (adadfq).
  static const ParamBlock<GameParams>& lower_bound(bool with_auto);
  static GameParams read(const Config& c) { return lower_bound(false).read(c, block().read(c)); }
  // AdaSG's term weights, as its keys name them (AdaDFQ names its own: adadfq.cpp).
  static const ParamBlock<GameParams>& adasg_weights();
};

// Bounds in order (lambda_l < lambda_u) and lambda_l resolved (not -1).
void validate_game(const GameParams& p);

// L_G and its terms: {"loss", "marginal", "l_ds", "l_as", "bns"}; h' (detached) to
// `h_prime_out` if given, for the per-epoch statistics.
Terms game_generator_terms(const StepTensors& s, const GameParams& p, torch::Tensor* h_prime_out = nullptr);
// L_Q and the mean normalised disagreement entropy: {"loss", "entropy"}.
Terms game_student_terms(const StepTensors& s, const GameParams& p);

// The trainer parts of the game: the generator source with L_G, Q's L_Q, and per epoch
// the mean and the 10/50/90 percentiles of h', the fractions of samples below lambda_l
// and above lambda_u.
TrainerParts game_parts(RunContext& ctx, const GameParams& params);

}  // namespace dfq
