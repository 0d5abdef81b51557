#include "core/losses/losses.h"

#include <fmt/format.h>

#include <cmath>

#include "core/util/error.h"

namespace dfq {

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

torch::Tensor zeroq_input_loss(const torch::Tensor& x) {
  auto flat = x.flatten(2);  // [B, C, H*W]
  auto mean = flat.mean(2);
  auto std = torch::sqrt(flat.var(2, /*unbiased=*/true) + 1e-6);
  const double b = static_cast<double>(x.size(0));
  return mean.pow(2).sum() / b + (std - 1.0).pow(2).sum() / b;
}

torch::Tensor soft_inception_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const torch::Tensor& targets) {
  auto p_y = torch::softmax(logits, 1).gather(1, labels.view({-1, 1})).squeeze(1);
  return (p_y - targets).pow(2).mean();
}

torch::Tensor soft_inception_targets(int64_t batch, double tau, torch::Generator& gen) {
  auto t = torch::ones({batch});
  const int64_t half = batch / 2;
  if (half > 0) t.narrow(0, 0, half).copy_(torch::rand({half}, gen) * (1.0 - tau) + tau);
  return t;
}

torch::Tensor marginal_distance_loss(const torch::Tensor& features, const torch::Tensor& centres,
                                     const torch::Tensor& labels, double lower, double upper) {
  auto c = centres.index_select(0, labels);
  auto d = 1.0 - torch::nn::functional::cosine_similarity(
                     features, c, torch::nn::functional::CosineSimilarityFuncOptions().dim(1));
  return torch::relu(lower - d).mean() + torch::relu(d - upper).mean();
}

}  // namespace dfq
