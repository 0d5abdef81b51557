// LeNet-5 (LeCun et al. 1998) with BatchNorm after each convolution, for 28x28 or 32x32 inputs.
#include "models/architectures.h"

namespace dfq {

LeNet5Impl::LeNet5Impl(const ModelSpec& spec) : NetImpl(spec) {
  namespace nn = torch::nn;
  // 28x28 inputs are padded to the original 32x32 geometry.
  const int64_t pad = spec.image_size == 28 ? 2 : 0;
  conv1 = register_module("conv1", QConv2d(nn::Conv2dOptions(spec.in_channels, 6, 5).padding(pad).bias(false)));
  bn1 = register_module("bn1", TapBatchNorm2d(6));
  act1 = register_module("act1", QAct());
  conv2 = register_module("conv2", QConv2d(nn::Conv2dOptions(6, 16, 5).bias(false)));
  bn2 = register_module("bn2", TapBatchNorm2d(16));
  act2 = register_module("act2", QAct());
  fc1 = register_module("fc1", QLinear(nn::LinearOptions(16 * 5 * 5, 120)));
  act3 = register_module("act3", QAct());
  fc2 = register_module("fc2", QLinear(nn::LinearOptions(120, 84)));
  act4 = register_module("act4", QAct());
  fc3 = register_module("fc3", QLinear(nn::LinearOptions(84, spec.num_classes)));
}

torch::Tensor LeNet5Impl::features(const torch::Tensor& x) {
  auto y = torch::max_pool2d(act1(bn1(conv1(x))), 2);
  y = torch::max_pool2d(act2(bn2(conv2(y))), 2);
  y = act3(fc1(y.flatten(1)));
  return act4(fc2(y));
}

torch::Tensor LeNet5Impl::head(const torch::Tensor& f) { return fc3(f); }

std::unique_ptr<Int8Model> LeNet5Impl::to_int8(const Int8Options& o) {
  Int8PointCounter count;
  Int8Conv c1(*conv1, bn1.get(), true, count(act_qparams(*act1, o)));
  const QParams in = count(input_qparams(c1, o));
  Int8Conv c2(*conv2, bn2.get(), true, count(act_qparams(*act2, o)));
  Int8Linear f1(*fc1, true, count(act_qparams(*act3, o)));
  Int8Linear f2(*fc2, true, count(act_qparams(*act4, o)));
  FloatHead head(*fc3);
  auto program = [=](const torch::Tensor& x) {
    auto y = int8_max_pool(c1(quantize_input(x, in)), 2, 2, 0);
    y = int8_max_pool(c2(y), 2, 2, 0);
    return head(f2(f1(y.flatten(1))));
  };
  return std::make_unique<Int8Model>(program, count.exact, count.total);
}

}  // namespace dfq
