// Layers the models are built from, so that quantizers and statistics taps can be attached
// by walking the module tree (LibTorch C++ has no forward hooks and no module swapping
// through a parent's typed members):
//   QConv2d / QLinear: a Conv2d / Linear whose weight is fake-quantized when weight_bits < 32;
//   QAct:              ReLU or ReLU6 followed by an optional per-tensor activation quantizer;
//   TapBatchNorm2d:    a BatchNorm2d that can report its input to a callback (BNS loss).
// With nothing attached each layer is exactly its float counterpart.
#pragma once
#include <torch/torch.h>

#include <functional>

#include "core/quant/range_tracker.h"

namespace dfq {

class QConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  explicit QConv2dImpl(torch::nn::Conv2dOptions options);
  torch::Tensor forward(const torch::Tensor& x);
  int weight_bits = 32;
};
TORCH_MODULE(QConv2d);

class QLinearImpl : public torch::nn::LinearImpl {
 public:
  explicit QLinearImpl(torch::nn::LinearOptions options);
  torch::Tensor forward(const torch::Tensor& x);
  int weight_bits = 32;
};
TORCH_MODULE(QLinear);

enum class ActKind { ReLU, ReLU6 };

class QActImpl : public torch::nn::Module {
 public:
  explicit QActImpl(ActKind kind = ActKind::ReLU) : kind(kind) {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  ActKind kind;
  int bits = 32;             // 32: no quantizer
  bool calibrating = false;  // while true, every forward updates the range
  RangeTracker tracker;
};
TORCH_MODULE(QAct);

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

// Every module of type T in `root`'s tree, in registration (forward) order.
template <typename T>
std::vector<std::pair<std::string, std::shared_ptr<T>>> modules_of(torch::nn::Module& root) {
  std::vector<std::pair<std::string, std::shared_ptr<T>>> out;
  for (const auto& item : root.named_modules()) {
    if (auto m = std::dynamic_pointer_cast<T>(item.value())) out.emplace_back(item.key(), m);
  }
  return out;
}

}  // namespace dfq
