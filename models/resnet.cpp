// CIFAR-style ResNet-20/32/56 (He et al. 2016, pytorchcv layout) and ImageNet-style
// ResNet-18/50 (torchvision layout).
#include <fmt/format.h>

#include "core/util/error.h"
#include "models/architectures.h"

namespace dfq {
namespace {

namespace nn = torch::nn;

QConv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1) {
  return QConv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(false));
}

void init_conv_bn(nn::Module& root) {
  for (auto& m : root.modules(/*include_self=*/false)) {
    if (auto c = std::dynamic_pointer_cast<QConv2dImpl>(m)) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto b = std::dynamic_pointer_cast<TapBatchNorm2dImpl>(m)) {
      nn::init::ones_(b->weight);
      nn::init::zeros_(b->bias);
    }
  }
}

// Two 3x3 convolutions with a residual connection; activation after the addition.
class BasicUnitImpl : public nn::Module {
 public:
  BasicUnitImpl(int64_t in, int64_t out, int64_t stride) {
    conv1 = register_module("conv1", conv(in, out, 3, stride));
    bn1 = register_module("bn1", TapBatchNorm2d(out));
    act1 = register_module("act1", QAct());
    conv2 = register_module("conv2", conv(out, out, 3));
    bn2 = register_module("bn2", TapBatchNorm2d(out));
    if (stride != 1 || in != out) {
      down_conv = register_module("down_conv", conv(in, out, 1, stride));
      down_bn = register_module("down_bn", TapBatchNorm2d(out));
    }
    act2 = register_module("act2", QAct());
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto identity = down_conv ? down_bn(down_conv(x)) : x;
    auto y = act1(bn1(conv1(x)));
    y = bn2(conv2(y));
    return act2(y + identity);
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr}, down_conv{nullptr};
  TapBatchNorm2d bn1{nullptr}, bn2{nullptr}, down_bn{nullptr};
  QAct act1{nullptr}, act2{nullptr};
};
TORCH_MODULE(BasicUnit);

// 1x1 -> 3x3 (strided) -> 1x1 x4 bottleneck (torchvision v1.5).
class BottleneckUnitImpl : public nn::Module {
 public:
  BottleneckUnitImpl(int64_t in, int64_t width, int64_t stride) {
    const int64_t out = width * 4;
    conv1 = register_module("conv1", conv(in, width, 1));
    bn1 = register_module("bn1", TapBatchNorm2d(width));
    act1 = register_module("act1", QAct());
    conv2 = register_module("conv2", conv(width, width, 3, stride));
    bn2 = register_module("bn2", TapBatchNorm2d(width));
    act2 = register_module("act2", QAct());
    conv3 = register_module("conv3", conv(width, out, 1));
    bn3 = register_module("bn3", TapBatchNorm2d(out));
    if (stride != 1 || in != out) {
      down_conv = register_module("down_conv", conv(in, out, 1, stride));
      down_bn = register_module("down_bn", TapBatchNorm2d(out));
    }
    act3 = register_module("act3", QAct());
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto identity = down_conv ? down_bn(down_conv(x)) : x;
    auto y = act1(bn1(conv1(x)));
    y = act2(bn2(conv2(y)));
    y = bn3(conv3(y));
    return act3(y + identity);
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, down_conv{nullptr};
  TapBatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, down_bn{nullptr};
  QAct act1{nullptr}, act2{nullptr}, act3{nullptr};
};
TORCH_MODULE(BottleneckUnit);

}  // namespace

CifarResNetImpl::CifarResNetImpl(const ModelSpec& spec, int depth) : NetImpl(spec) {
  if (depth < 8 || (depth - 2) % 6 != 0)
    throw InvalidInputError(fmt::format("CIFAR ResNet depth must be 6n+2, got {}", depth));
  const int n = (depth - 2) / 6;
  conv1 = register_module("conv1", conv(spec.in_channels, 16, 3));
  bn1 = register_module("bn1", TapBatchNorm2d(16));
  act1 = register_module("act1", QAct());
  const int64_t widths[3] = {16, 32, 64};
  int64_t in = 16;
  for (int s = 0; s < 3; ++s) {
    for (int u = 0; u < n; ++u) {
      stages->push_back(fmt::format("stage{}_unit{}", s + 1, u + 1),
                        BasicUnit(in, widths[s], (s > 0 && u == 0) ? 2 : 1));
      in = widths[s];
    }
  }
  register_module("stages", stages);
  fc = register_module("fc", QLinear(nn::LinearOptions(64, spec.num_classes)));
  init_conv_bn(*this);
}

torch::Tensor CifarResNetImpl::features(const torch::Tensor& x) {
  auto y = stages->forward(act1(bn1(conv1(x))));
  return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

torch::Tensor CifarResNetImpl::head(const torch::Tensor& f) { return fc(f); }

ImageNetResNetImpl::ImageNetResNetImpl(const ModelSpec& spec, int depth) : NetImpl(spec) {
  std::vector<int> blocks;
  bool bottleneck = false;
  if (depth == 18) {
    blocks = {2, 2, 2, 2};
  } else if (depth == 50) {
    blocks = {3, 4, 6, 3};
    bottleneck = true;
  } else {
    throw InvalidInputError(fmt::format("ImageNet ResNet depth must be 18 or 50, got {}", depth));
  }
  conv1 = register_module("conv1", QConv2d(nn::Conv2dOptions(spec.in_channels, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", TapBatchNorm2d(64));
  act1 = register_module("act1", QAct());
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    const int64_t width = 64 << s;
    for (int u = 0; u < blocks[s]; ++u) {
      const int64_t stride = (s > 0 && u == 0) ? 2 : 1;
      const auto name = fmt::format("layer{}_{}", s + 1, u);
      if (bottleneck) {
        layers->push_back(std::string(name), BottleneckUnit(in, width, stride));
        in = width * 4;
      } else {
        layers->push_back(std::string(name), BasicUnit(in, width, stride));
        in = width;
      }
    }
  }
  register_module("layers", layers);
  fc = register_module("fc", QLinear(nn::LinearOptions(in, spec.num_classes)));
  init_conv_bn(*this);
}

torch::Tensor ImageNetResNetImpl::features(const torch::Tensor& x) {
  auto y = act1(bn1(conv1(x)));
  y = torch::max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
  y = layers->forward(y);
  return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

torch::Tensor ImageNetResNetImpl::head(const torch::Tensor& f) { return fc(f); }

}  // namespace dfq
