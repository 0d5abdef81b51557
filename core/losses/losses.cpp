#include "core/losses/losses.h"

#include <fmt/format.h>

#include <cmath>

#include "core/util/error.h"

namespace dfq {

KDReduction parse_kd_reduction(const std::string& name) {
  if (name == "mean") return KDReduction::Mean;
  if (name == "batchmean") return KDReduction::BatchMean;
  throw InvalidInputError(fmt::format("unknown kd_reduction '{}'; valid: mean, batchmean", name));
}

torch::Tensor kd_loss(const torch::Tensor& z_q, const torch::Tensor& z_p, double t, double alpha,
                      KDReduction reduction) {
  auto log_q = torch::log_softmax(z_q / t, 1);
  auto p = torch::softmax(z_p / t, 1);
  auto log_p = torch::log_softmax(z_p / t, 1);
  auto sum = (p * (log_p - log_q)).sum();
  const double denom = reduction == KDReduction::Mean ? static_cast<double>(z_q.numel())
                                                      : static_cast<double>(z_q.size(0));
  return sum * (alpha * t * t / denom);
}

torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_probs) {
  return -(target_probs * torch::log_softmax(logits, 1)).sum(1).mean();
}

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return torch::nn::functional::cross_entropy(logits, labels);
}

torch::Tensor entropy_of_logits(const torch::Tensor& logits, double t) {
  auto log_p = torch::log_softmax(logits / t, 1);
  return -(log_p.exp() * log_p).sum(1);
}

torch::Tensor normalized_disagreement_entropy(const torch::Tensor& z_p, const torch::Tensor& z_q) {
  auto h = entropy_of_logits(z_p - z_q, 1.0);
  auto h_min = h.min();
  const double max_entropy = std::log(static_cast<double>(z_p.size(1)));
  return (h - h_min) / (max_entropy - h_min);
}

torch::Tensor marginal_loss(const torch::Tensor& h_prime, double lower, double upper) {
  return torch::relu(lower - h_prime).mean() + torch::relu(h_prime - upper).mean();
}

}  // namespace dfq
