// Loss terms shared by the DFQ methods (METHODS.md section 1, and the AdaSG / AdaDFQ
// game terms, which both methods use).
#pragma once
#include <torch/torch.h>

#include <string>

namespace dfq {

enum class KDReduction { Mean, BatchMean };
KDReduction parse_kd_reduction(const std::string& name);

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

}  // namespace dfq
