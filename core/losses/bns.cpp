#include "core/losses/bns.h"

#include <fmt/format.h>

#include "core/nn/modules.h"
#include "core/nn/tap_batch_norm.h"
#include "core/util/error.h"

namespace dfq {

BNStatsLoss::BNStatsLoss(torch::nn::Module& model, BNSVariant variant) : variant_(variant) {
  for (auto& [name, bn] : modules_of<TapBatchNorm2dImpl>(model)) {
    layers_.push_back(bn);
    bn->tap = [this](const torch::Tensor& x, TapBatchNorm2dImpl& layer) {
      if (enabled_) terms_.push_back(layer_term(x, layer.running_mean, layer.running_var, variant_));
    };
  }
  if (layers_.empty()) throw InvalidInputError("BNS loss: the model has no BatchNorm2d layer");
}

BNStatsLoss::~BNStatsLoss() {
  for (auto& bn : layers_) bn->tap = nullptr;
}

torch::Tensor BNStatsLoss::layer_term(const torch::Tensor& x, const torch::Tensor& rm, const torch::Tensor& rv,
                                      BNSVariant variant) {
  namespace F = torch::nn::functional;
  if (variant == BNSVariant::Batch) {
    auto mean = x.mean({0, 2, 3});
    // Two-pass biased variance: 5.4x faster forward, 1.5x forward + backward, than x.var over
    // dims {0, 2, 3} of an NCHW tensor (BM_BNSLayerTerm).
    auto var = (x - mean.view({1, -1, 1, 1})).square().mean({0, 2, 3});
    return F::mse_loss(mean, rm) + F::mse_loss(var, rv);
  }
  constexpr double eps = 1e-6;
  auto flat = x.flatten(2);  // [B, C, HW]
  auto mean = flat.mean(2);
  auto std = (flat.var(2, /*unbiased=*/true) + eps).sqrt();
  const double b = static_cast<double>(x.size(0));
  return (rm.unsqueeze(0) - mean).pow(2).sum() / b + ((rv + eps).sqrt().unsqueeze(0) - std).pow(2).sum() / b;
}

torch::Tensor BNStatsLoss::loss() const {
  if (terms_.empty()) throw Error("BNS loss requested but no forward pass was recorded");
  auto total = terms_.front();
  for (size_t i = 1; i < terms_.size(); ++i) total = total + terms_[i];
  if (variant_ == BNSVariant::Batch) total = total / static_cast<double>(terms_.size());
  return total;
}

}  // namespace dfq
