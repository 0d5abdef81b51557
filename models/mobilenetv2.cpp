// MobileNetV2 (Sandler et al., CVPR 2018) at width 1.0, in the layout of pytorchcv's
// mobilenetv2_w1 (osmr/imgclsmob pytorch/pytorchcv/models/mobilenetv2.py), whose pretrained
// weights the official DFQ code loads: no dropout, a bias-free classifier.
#include <fmt/format.h>

#include <functional>

#include "core/util/error.h"
#include "models/architectures.h"

namespace dfq {
namespace {

namespace nn = torch::nn;
using Block = std::function<torch::Tensor(const torch::Tensor&)>;

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
  // The output grid: the activation quantizer's after ReLU6 (exact; its range also bounds
  // ReLU6, as in the student), else BatchNorm's data-free range (a projection the student
  // keeps in float).
  QParams out_qparams(const Int8Options& o) const { return !act.is_empty() ? act_qparams(*act, o) : bn_qparams(*bn, o); }
  Int8Conv lower(const QParams& out) const { return Int8Conv(*conv, bn.get(), /*relu=*/!act.is_empty(), out); }

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
  // Integer unit for an input on grid `in`; sets `out` to its output grid. The residual sum,
  // a float tensor in the student, gets 8 bits on [in.lo + proj.lo, in.hi + proj.hi].
  Block lower_int8(const Int8Options& o, Int8PointCounter& count, const QParams& in, QParams& out) const {
    const Int8Conv c1 = conv1->lower(count(conv1->out_qparams(o)));
    const Int8Conv c2 = conv2->lower(count(conv2->out_qparams(o)));
    const QParams proj = count(conv3->out_qparams(o));
    const Int8Conv c3 = conv3->lower(proj);
    if (!residual_) {
      out = proj;
      return [c1, c2, c3](const torch::Tensor& x) { return c3(c2(c1(x))); };
    }
    out = count(range_qparams(in.lo + proj.lo, in.hi + proj.hi, o.reduce_range ? 7 : 8));
    const QParams sum = out;
    return [c1, c2, c3, sum](const torch::Tensor& x) { return int8_add(c3(c2(c1(x))), x, sum, /*relu=*/false); };
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

// init block -> units -> final block -> mean pool -> float classifier, as ResNet's lowering.
std::unique_ptr<Int8Model> MobileNetV2Impl::to_int8(const Int8Options& o) {
  const auto children = body->children();
  auto init = std::dynamic_pointer_cast<ConvBNActImpl>(children.front());
  auto final_block = std::dynamic_pointer_cast<ConvBNActImpl>(children.back());
  if (!init || !final_block) throw Error("integer export: unexpected MobileNetV2 layout");
  Int8PointCounter count;
  const Int8Conv stem = init->lower(count(init->out_qparams(o)));
  const QParams in = count(input_qparams(stem, o));
  std::vector<Block> blocks;
  QParams grid = stem.out();
  for (size_t i = 1; i + 1 < children.size(); ++i) {
    auto unit = std::dynamic_pointer_cast<LinearBottleneckImpl>(children[i]);
    if (!unit) throw Error("integer export: unexpected module in MobileNetV2's body");
    QParams next;
    blocks.push_back(unit->lower_int8(o, count, grid, next));
    grid = next;
  }
  const Int8Conv last = final_block->lower(count(final_block->out_qparams(o)));
  const FloatHead head(*fc);
  auto program = [in, stem, blocks, last, head](const torch::Tensor& x) {
    auto y = stem(quantize_input(x, in));
    for (const auto& b : blocks) y = b(y);
    return head(last(y).dequantize().mean({2, 3}));
  };
  return std::make_unique<Int8Model>(program, count.exact, count.total);
}

}  // namespace dfq
