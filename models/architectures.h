// The concrete architectures. Every activation is a QAct module, every conv a QConv2d,
// every BatchNorm2d a TapBatchNorm2d, so quantizers and statistics taps attach by walking
// the tree (one QAct per ReLU use, as pytorchcv's models have one module per use).
#pragma once
#include "core/nn/tap_batch_norm.h"
#include "core/quant/layers.h"
#include "models/net.h"

namespace dfq {

// The ResNets: a stem (conv, BN, activation; a max pool for the ImageNet layout), units,
// mean pool, linear classifier. The two layouts differ only in what they build.
class ResNetImpl : public NetImpl {
 public:
  torch::Tensor features(const torch::Tensor& x) override;
  torch::Tensor head(const torch::Tensor& f) override;
  std::unique_ptr<Int8Model> to_int8(const Int8Options& options) override;

 protected:
  ResNetImpl(const ModelSpec& spec, bool max_pool) : NetImpl(spec), max_pool_(max_pool) {}
  QConv2d conv1{nullptr};
  TapBatchNorm2d bn1{nullptr};
  QAct act1{nullptr};
  torch::nn::Sequential units;  // registered as "stages": stage{s}_unit{u}, from 1
  QLinear fc{nullptr};

 private:
  bool max_pool_;
};

// CIFAR-style ResNet (pytorchcv layout: 3x3 stem, three stages of 16/32/64 channels,
// 1x1 conv + BN projection shortcuts). depth = 6n + 2.
class CifarResNetImpl : public ResNetImpl {
 public:
  CifarResNetImpl(const ModelSpec& spec, int depth);
};

// ImageNet-style ResNet (pytorchcv layout: 7x7 stem + max pool, stride on a bottleneck's
// first 1x1 conv). depth 18 or 50.
class ImageNetResNetImpl : public ResNetImpl {
 public:
  ImageNetResNetImpl(const ModelSpec& spec, int depth);
};

// MobileNetV2 (pytorchcv layout, width 1.0).
class MobileNetV2Impl : public NetImpl {
 public:
  explicit MobileNetV2Impl(const ModelSpec& spec);
  torch::Tensor features(const torch::Tensor& x) override;
  torch::Tensor head(const torch::Tensor& f) override;
  std::unique_ptr<Int8Model> to_int8(const Int8Options& options) override;

 private:
  torch::nn::Sequential body;  // init_block, stage{s}_unit{u}, final_block
  QLinear fc{nullptr};
};

// LeNet-5 with BatchNorm after each convolution; a fast model for tests and CI.
class LeNet5Impl : public NetImpl {
 public:
  explicit LeNet5Impl(const ModelSpec& spec);
  torch::Tensor features(const torch::Tensor& x) override;
  torch::Tensor head(const torch::Tensor& f) override;
  std::unique_ptr<Int8Model> to_int8(const Int8Options& options) override;

 private:
  QConv2d conv1{nullptr}, conv2{nullptr};
  TapBatchNorm2d bn1{nullptr}, bn2{nullptr};
  QAct act1{nullptr}, act2{nullptr}, act3{nullptr}, act4{nullptr};
  QLinear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

}  // namespace dfq
