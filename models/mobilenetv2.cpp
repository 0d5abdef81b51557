// MobileNetV2 (Sandler et al., CVPR 2018), torchvision layout at width 1.0.
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

class InvertedResidualImpl : public nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand) {
    const int64_t hidden = in * expand;
    residual_ = stride == 1 && in == out;
    if (expand != 1) body->push_back("expand", conv_bn_act(in, hidden, 1, 1, 1, true));
    body->push_back("depthwise", conv_bn_act(hidden, hidden, 3, stride, hidden, true));
    body->push_back("project", conv_bn_act(hidden, out, 1, 1, 1, false));
    register_module("body", body);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = body->forward(x);
    return residual_ ? x + y : y;
  }

 private:
  nn::Sequential body;
  bool residual_ = false;
};
TORCH_MODULE(InvertedResidual);

}  // namespace

MobileNetV2Impl::MobileNetV2Impl(const ModelSpec& spec) : NetImpl(spec) {
  // expansion t, channels c, repeats n, first stride s
  const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                  {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  body->push_back("stem", conv_bn_act(spec.in_channels, 32, 3, 2, 1, true));
  int64_t in = 32;
  int idx = 0;
  for (const auto& s : settings) {
    for (int64_t i = 0; i < s[2]; ++i) {
      body->push_back("block" + std::to_string(idx++), InvertedResidual(in, s[1], i == 0 ? s[3] : 1, s[0]));
      in = s[1];
    }
  }
  body->push_back("last", conv_bn_act(in, 1280, 1, 1, 1, true));
  register_module("body", body);
  dropout = register_module("dropout", nn::Dropout(0.2));
  fc = register_module("fc", QLinear(nn::LinearOptions(1280, spec.num_classes)));
  for (auto& m : modules(false)) {
    if (auto c = std::dynamic_pointer_cast<QConv2dImpl>(m)) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
    } else if (auto l = std::dynamic_pointer_cast<QLinearImpl>(m)) {
      nn::init::normal_(l->weight, 0.0, 0.01);
      nn::init::zeros_(l->bias);
    }
  }
}

torch::Tensor MobileNetV2Impl::features(const torch::Tensor& x) {
  return torch::adaptive_avg_pool2d(body->forward(x), {1, 1}).flatten(1);
}

torch::Tensor MobileNetV2Impl::head(const torch::Tensor& f) { return fc(dropout(f)); }

}  // namespace dfq
