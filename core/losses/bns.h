// BN-statistics loss (BNS): how far the batch statistics of the teacher's BatchNorm
// inputs are from the running statistics stored in those layers.
//  batch (GDFQ and its successors): per layer, batch mean and biased variance over
//    (N,H,W); BNS = (1/L) sum_l MSE(mu_l, running_mean_l) + MSE(var_l, running_var_l).
//  per_sample (ZeroQ, Cai et al. CVPR 2020): per sample, mean and std (sqrt(unbiased
//    var + 1e-6)) over (H,W); each layer adds ||running - stat||^2 / B for mean and for
//    std (std of the running statistics: sqrt(running_var + 1e-6)); summed over layers.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace dfq {

class TapBatchNorm2dImpl;

enum class BNSVariant { Batch, PerSample };

class BNStatsLoss {
 public:
  // Installs a tap on every TapBatchNorm2d of `model`; removed by the destructor.
  BNStatsLoss(torch::nn::Module& model, BNSVariant variant = BNSVariant::Batch);
  ~BNStatsLoss();
  BNStatsLoss(const BNStatsLoss&) = delete;
  BNStatsLoss& operator=(const BNStatsLoss&) = delete;

  // Loss of the forward passes since the last clear(). Throws if none was recorded.
  torch::Tensor loss() const;
  // Forget recorded terms; call before each forward whose BNS is wanted.
  void clear() { terms_.clear(); }
  // While disabled, forwards record nothing (and cost nothing extra).
  void set_enabled(bool on) { enabled_ = on; }
  size_t layers() const { return layers_.size(); }

  // The per-layer term for an input, exposed for tests.
  static torch::Tensor layer_term(const torch::Tensor& input, const torch::Tensor& running_mean,
                                  const torch::Tensor& running_var, BNSVariant variant);

 private:
  std::vector<std::shared_ptr<TapBatchNorm2dImpl>> layers_;
  std::vector<torch::Tensor> terms_;
  BNSVariant variant_;
  bool enabled_ = true;
};

}  // namespace dfq
