#include "core/quant/layers.h"

#include "core/quant/fake_quant.h"

namespace dfq {

QConv2dImpl::QConv2dImpl(torch::nn::Conv2dOptions options) : torch::nn::Conv2dImpl(options) {}

torch::Tensor QConv2dImpl::forward(const torch::Tensor& x) {
  return _conv_forward(x, fake_quant_weight(weight, weight_bits));
}

QLinearImpl::QLinearImpl(torch::nn::LinearOptions options) : torch::nn::LinearImpl(options) {}

torch::Tensor QLinearImpl::forward(const torch::Tensor& x) {
  return torch::nn::functional::linear(x, fake_quant_weight(weight, weight_bits), bias);
}

torch::Tensor QActImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = kind == ActKind::ReLU ? torch::relu(x) : torch::clamp(x, 0.0, 6.0);
  if (bits >= 32) return y;
  if (calibrating) {
    torch::Tensor lo, hi;
    {
      torch::NoGradGuard ng;
      std::tie(lo, hi) = torch::aminmax(y);
    }
    tracker.update(lo.item<double>(), hi.item<double>());
  }
  return fake_quant_activation(y, tracker.min(), tracker.max(), bits);
}

void QActImpl::pretty_print(std::ostream& stream) const {
  stream << (kind == ActKind::ReLU ? "QAct(ReLU" : "QAct(ReLU6");
  if (bits < 32) stream << ", a" << bits << ", [" << tracker.min() << ", " << tracker.max() << "]";
  stream << ")";
}

}  // namespace dfq
