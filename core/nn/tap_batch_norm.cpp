#include "core/nn/tap_batch_norm.h"

namespace dfq {

TapBatchNorm2dImpl::TapBatchNorm2dImpl(int64_t features, double eps, double momentum)
    : num_features(features), eps(eps), momentum(momentum) {
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
}

void TapBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "TapBatchNorm2d(" << num_features << ", eps=" << eps << ")";
}

torch::Tensor TapBatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (tap) tap(x, *this);
  if (is_training()) {
    torch::NoGradGuard ng;
    num_batches_tracked.add_(1);
  }
  return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps,
                           /*cudnn_enabled=*/true);
}

}  // namespace dfq
