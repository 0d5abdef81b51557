// MobileNetV2 (Sandler et al., CVPR 2018) at width 1.0, in the layout of pytorchcv's
// mobilenetv2_w1 (osmr/imgclsmob pytorch/pytorchcv/models/mobilenetv2.py), whose pretrained
// weights the official DFQ code loads: no dropout, a bias-free classifier.
#include <fmt/format.h>

#include "models/architectures.h"

namespace dfq {
namespace {

namespace nn = torch::nn;

// Convolution, BatchNorm and (optionally) ReLU6.
class ConvBNActImpl : public nn::Module {
 public:
  ConvBNActImpl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, bool act) {
    conv = register_module(
        "conv", QConv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding((k - 1) / 2).groups(groups).bias(false)));
    bn = register_module("bn", TapBatchNorm2d(out));
    if (act) this->act = register_module("act", QAct(ActKind::ReLU6));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = bn(conv(x));
    return act ? act(y) : y;
  }

 private:
  QConv2d conv{nullptr};
  TapBatchNorm2d bn{nullptr};
  QAct act{nullptr};
};
TORCH_MODULE(ConvBNAct);

ConvBNAct conv_bn_act(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, bool act) {
  return ConvBNAct(in, out, k, stride, groups, act);
}

// pytorchcv's LinearBottleneck: 1x1 expansion (ReLU6), 3x3 depthwise (ReLU6, strided),
// 1x1 projection (linear), with the identity added when the shape allows. The first unit
// keeps its 1x1 conv (32 -> 32) where torchvision has none.
class LinearBottleneckImpl : public nn::Module {
 public:
  LinearBottleneckImpl(int64_t in, int64_t out, int64_t stride, bool expand) {
    const int64_t mid = expand ? in * 6 : in;
    residual_ = stride == 1 && in == out;
    conv1 = register_module("conv1", conv_bn_act(in, mid, 1, 1, 1, true));
    conv2 = register_module("conv2", conv_bn_act(mid, mid, 3, stride, mid, true));
    conv3 = register_module("conv3", conv_bn_act(mid, out, 1, 1, 1, false));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = conv3(conv2(conv1(x)));
    return residual_ ? x + y : y;
  }

 private:
  ConvBNAct conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  bool residual_ = false;
};
TORCH_MODULE(LinearBottleneck);

}  // namespace

MobileNetV2Impl::MobileNetV2Impl(const ModelSpec& spec) : NetImpl(spec) {
  // Output channels of each unit, per stage (pytorchcv's mobilenetv2_w1); the first unit
  // of stages 2..5 has stride 2.
  const std::vector<std::vector<int64_t>> stages = {
      {16}, {24, 24}, {32, 32, 32}, {64, 64, 64, 64, 96, 96, 96}, {160, 160, 160, 320}};
  body->push_back("init_block", conv_bn_act(spec.in_channels, 32, 3, 2, 1, true));
  int64_t in = 32;
  for (size_t s = 0; s < stages.size(); ++s) {
    for (size_t u = 0; u < stages[s].size(); ++u) {
      const int64_t stride = (u == 0 && s > 0) ? 2 : 1;
      body->push_back(fmt::format("stage{}_unit{}", s + 1, u + 1),
                      LinearBottleneck(in, stages[s][u], stride, /*expand=*/!(s == 0 && u == 0)));
      in = stages[s][u];
    }
  }
  body->push_back("final_block", conv_bn_act(in, 1280, 1, 1, 1, true));
  register_module("body", body);
  // pytorchcv's classifier is a 1x1 conv without bias on the pooled features: a linear
  // layer without bias here.
  fc = register_module("fc", QLinear(nn::LinearOptions(1280, spec.num_classes).bias(false)));
  for (auto& m : modules(false)) {
    if (auto c = std::dynamic_pointer_cast<QConv2dImpl>(m)) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
    } else if (auto l = std::dynamic_pointer_cast<QLinearImpl>(m)) {
      nn::init::normal_(l->weight, 0.0, 0.01);
    }
  }
}

torch::Tensor MobileNetV2Impl::features(const torch::Tensor& x) {
  return torch::adaptive_avg_pool2d(body->forward(x), {1, 1}).flatten(1);
}

torch::Tensor MobileNetV2Impl::head(const torch::Tensor& f) { return fc(f); }

}  // namespace dfq
