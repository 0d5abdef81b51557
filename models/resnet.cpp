// CIFAR-style ResNet-20/32/56 and ImageNet-style ResNet-18/50 (He et al. 2016), in the
// layout of pytorchcv (osmr/imgclsmob pytorch/pytorchcv/models/resnet_cifar.py and
// resnet.py), whose pretrained weights the official DFQ code loads: projection shortcuts
// (1x1 conv + BN), and ResNet-50's stride on the first 1x1 conv of a bottleneck
// (pytorchcv's resnet50, conv1_stride=True; torchvision puts it on the 3x3).
#include <fmt/format.h>

#include "core/util/error.h"
#include "models/architectures.h"

namespace dfq {
namespace {

namespace nn = torch::nn;
using Block = std::function<torch::Tensor(const torch::Tensor&)>;

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
  Block lower_int8(const Int8Options& o, Int8PointCounter& count) const {
    Int8Conv c1(*conv1, bn1.get(), true, count(act_qparams(*act1, o)));
    Int8Conv c2(*conv2, bn2.get(), false, count(bn_qparams(*bn2, o)));
    Int8Conv down;
    if (down_conv) down = Int8Conv(*down_conv, down_bn.get(), false, count(bn_qparams(*down_bn, o)));
    const QParams out = count(act_qparams(*act2, o));
    return [c1, c2, down, out](const torch::Tensor& x) {
      return int8_add(c2(c1(x)), down ? down(x) : x, out, /*relu=*/true);
    };
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr}, down_conv{nullptr};
  TapBatchNorm2d bn1{nullptr}, bn2{nullptr}, down_bn{nullptr};
  QAct act1{nullptr}, act2{nullptr};
};
TORCH_MODULE(BasicUnit);

// 1x1 (strided) -> 3x3 -> 1x1 x4 bottleneck (pytorchcv's ResBottleneck, conv1_stride=True).
class BottleneckUnitImpl : public nn::Module {
 public:
  BottleneckUnitImpl(int64_t in, int64_t width, int64_t stride) {
    const int64_t out = width * 4;
    conv1 = register_module("conv1", conv(in, width, 1, stride));
    bn1 = register_module("bn1", TapBatchNorm2d(width));
    act1 = register_module("act1", QAct());
    conv2 = register_module("conv2", conv(width, width, 3));
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
  Block lower_int8(const Int8Options& o, Int8PointCounter& count) const {
    Int8Conv c1(*conv1, bn1.get(), true, count(act_qparams(*act1, o)));
    Int8Conv c2(*conv2, bn2.get(), true, count(act_qparams(*act2, o)));
    Int8Conv c3(*conv3, bn3.get(), false, count(bn_qparams(*bn3, o)));
    Int8Conv down;
    if (down_conv) down = Int8Conv(*down_conv, down_bn.get(), false, count(bn_qparams(*down_bn, o)));
    const QParams out = count(act_qparams(*act3, o));
    return [c1, c2, c3, down, out](const torch::Tensor& x) {
      return int8_add(c3(c2(c1(x))), down ? down(x) : x, out, /*relu=*/true);
    };
  }

 private:
  QConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, down_conv{nullptr};
  TapBatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, down_bn{nullptr};
  QAct act1{nullptr}, act2{nullptr}, act3{nullptr};
};
TORCH_MODULE(BottleneckUnit);

// The units of a Sequential, lowered in order.
std::vector<Block> lower_units(const nn::Sequential& seq, const Int8Options& o, Int8PointCounter& count) {
  std::vector<Block> blocks;
  for (const auto& child : seq->children()) {
    if (auto b = std::dynamic_pointer_cast<BasicUnitImpl>(child)) {
      blocks.push_back(b->lower_int8(o, count));
    } else if (auto n = std::dynamic_pointer_cast<BottleneckUnitImpl>(child)) {
      blocks.push_back(n->lower_int8(o, count));
    } else {
      throw Error("integer export: unexpected module in a ResNet stage");
    }
  }
  return blocks;
}

// stem -> [max pool] -> units -> mean pool -> float classifier.
std::unique_ptr<Int8Model> lower_resnet(const QConv2dImpl& conv1, const TapBatchNorm2dImpl& bn1, const QActImpl& act1,
                                        bool max_pool, const nn::Sequential& units, const QLinearImpl& fc,
                                        const Int8Options& o) {
  Int8PointCounter count;
  Int8Conv stem(conv1, &bn1, true, count(act_qparams(act1, o)));
  const QParams in = count(input_qparams(stem, o));
  auto blocks = lower_units(units, o, count);
  FloatHead head(fc);
  auto program = [in, stem, max_pool, blocks, head](const torch::Tensor& x) {
    auto y = stem(quantize_input(x, in));
    if (max_pool) y = int8_max_pool(y, 3, 2, 1);
    for (const auto& b : blocks) y = b(y);
    return head(y.dequantize().mean({2, 3}));
  };
  return std::make_unique<Int8Model>(program, count.exact, count.total);
}

}  // namespace

torch::Tensor ResNetImpl::features(const torch::Tensor& x) {
  auto y = act1(bn1(conv1(x)));
  if (max_pool_) y = torch::max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
  y = units->forward(y);
  return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

torch::Tensor ResNetImpl::head(const torch::Tensor& f) { return fc(f); }

std::unique_ptr<Int8Model> ResNetImpl::to_int8(const Int8Options& options) {
  return lower_resnet(*conv1, *bn1, *act1, max_pool_, units, *fc, options);
}

CifarResNetImpl::CifarResNetImpl(const ModelSpec& spec, int depth) : ResNetImpl(spec, /*max_pool=*/false) {
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
      units->push_back(fmt::format("stage{}_unit{}", s + 1, u + 1), BasicUnit(in, widths[s], (s > 0 && u == 0) ? 2 : 1));
      in = widths[s];
    }
  }
  register_module("stages", units);
  fc = register_module("fc", QLinear(nn::LinearOptions(64, spec.num_classes)));
  init_conv_bn(*this);
}

ImageNetResNetImpl::ImageNetResNetImpl(const ModelSpec& spec, int depth) : ResNetImpl(spec, /*max_pool=*/true) {
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
      const auto name = fmt::format("stage{}_unit{}", s + 1, u + 1);
      if (bottleneck) {
        units->push_back(std::string(name), BottleneckUnit(in, width, stride));
        in = width * 4;
      } else {
        units->push_back(std::string(name), BasicUnit(in, width, stride));
        in = width;
      }
    }
  }
  register_module("stages", units);
  fc = register_module("fc", QLinear(nn::LinearOptions(in, spec.num_classes)));
  init_conv_bn(*this);
}

}  // namespace dfq
