// Loss terms shared by the DFQ methods (docs/methods.md, and the AdaSG / AdaDFQ
// game terms, which both methods use).
#pragma once
#include <torch/torch.h>

#include <string>

namespace dfq {

enum class KDReduction { Mean, BatchMean };

// alpha * T^2 * KL(softmax(z_p/T) || softmax(z_q/T)).
// Mean: PyTorch KLDivLoss's default, the sum divided by B*C (GDFQ, Qimera).
// BatchMean: the sum divided by B (IntraQ, HAST).
torch::Tensor kd_loss(const torch::Tensor& z_q, const torch::Tensor& z_p, double temperature, double alpha,
                      KDReduction reduction);

// Mean over the batch of -sum_c p_c log softmax(logits)_c, p a probability row per sample.
torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_probs);

// Mean cross-entropy of logits against integer labels.
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels);

// H(softmax(logits / T)) per sample, natural log.
torch::Tensor entropy_of_logits(const torch::Tensor& logits, double temperature = 1.0);

// AdaSG's normalised disagreement entropy: h = H(softmax(z_p - z_q)) per sample,
// h' = (h - min_batch h) / (log C - min_batch h).
torch::Tensor normalized_disagreement_entropy(const torch::Tensor& z_p, const torch::Tensor& z_q);

// Bound (marginal) term: mean(max(lower - h', 0)) + mean(max(h' - upper, 0)).
torch::Tensor marginal_loss(const torch::Tensor& h_prime, double lower, double upper);

// ZeroQ's input term (Cai et al. CVPR 2020): per sample and channel, the mean and the std
// (sqrt(unbiased var + 1e-6)) over pixels are pulled to 0 and 1:
// ||mean||^2 / B + ||std - 1||^2 / B.
torch::Tensor zeroq_input_loss(const torch::Tensor& x);

// IntraQ's soft inception loss (Zhong et al. CVPR 2022): mean over samples of
// (softmax(logits)_y - t)^2, with a target probability t per sample.
torch::Tensor soft_inception_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const torch::Tensor& targets);
// SIL targets: the first half of the batch draws t ~ U[tau, 1] from `gen`, the rest has t = 1.
torch::Tensor soft_inception_targets(int64_t batch, double tau, torch::Generator& gen);

// IntraQ's marginal distance constraint: d = 1 - cos(f_i, c_{y_i});
// mean(max(0, lower - d)) + mean(max(0, d - upper)). centres: [C, F].
torch::Tensor marginal_distance_loss(const torch::Tensor& features, const torch::Tensor& centres,
                                     const torch::Tensor& labels, double lower, double upper);

}  // namespace dfq
