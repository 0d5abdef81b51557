// Layers the models are built from, so that quantizers and statistics taps can be attached
// by walking the module tree (LibTorch C++ has no forward hooks and no module swapping
// through a parent's typed members):
//   QConv2d / QLinear: a Conv2d / Linear whose weight is fake-quantized when weight_bits < 32;
//   QAct:              ReLU or ReLU6 followed by an optional per-tensor activation quantizer.
// With nothing attached each layer is exactly its float counterpart. The BatchNorm layer
// with a statistics tap is a plain layer: core/nn/tap_batch_norm.h.
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

}  // namespace dfq
