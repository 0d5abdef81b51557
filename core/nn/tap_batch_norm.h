// TapBatchNorm2d: a BatchNorm2d that can report its input to a callback (the BNS loss
// taps the teacher's BatchNorm inputs this way; LibTorch C++ has no forward hooks).
// With no tap it is exactly torch::nn::BatchNorm2d, with the same state-dict names.
#pragma once
#include <torch/torch.h>

#include <functional>

namespace dfq {

class TapBatchNorm2dImpl : public torch::nn::Module {
 public:
  using Tap = std::function<void(const torch::Tensor& input, TapBatchNorm2dImpl& bn)>;
  explicit TapBatchNorm2dImpl(int64_t features, double eps = 1e-5, double momentum = 0.1);
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  // Same names as torch::nn::BatchNorm2d, so state dicts interchange.
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  int64_t num_features;
  double eps, momentum;
  Tap tap;
};
TORCH_MODULE(TapBatchNorm2d);

}  // namespace dfq
