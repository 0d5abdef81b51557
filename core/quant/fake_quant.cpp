#include "core/quant/fake_quant.h"

#include <fmt/format.h>

#include "core/util/error.h"

namespace dfq {
namespace {

// Straight-through estimator: forward quantizes, backward is the identity.
struct FakeQuantSTE : public torch::autograd::Function<FakeQuantSTE> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x,
                               const torch::Tensor& x_min, const torch::Tensor& x_max, int64_t bits) {
    return fake_quant_forward(x, x_min, x_max, static_cast<int>(bits));
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext*,
                                               torch::autograd::tensor_list grad) {
    return {grad[0], torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void check_bits(int bits, const char* what) {
  if (bits == 32 || (bits >= 2 && bits <= 8)) return;
  throw InvalidInputError(fmt::format("{} bit-width {} is not supported; use 2..8, or 32 for full precision",
                                      what, bits));
}

torch::Tensor fake_quant_forward(const torch::Tensor& x, const torch::Tensor& x_min,
                                 const torch::Tensor& x_max, int bits) {
  torch::NoGradGuard ng;
  const double n = std::pow(2.0, bits) - 1.0;
  const double half = std::pow(2.0, bits - 1);
  auto range = x_max - x_min;
  auto scale = n / range.clamp_min(1e-8);
  auto zp = (scale * x_min).round_().add_(half);
  auto out = (x * scale).sub_(zp).round_().clamp_(-half, half - 1.0).add_(zp).div_(scale);
  auto degenerate = range <= 0;
  if (degenerate.any().item<bool>()) out = torch::where(degenerate, x, out);
  return out;
}

torch::Tensor fake_quant_ste(const torch::Tensor& x, const torch::Tensor& x_min,
                             const torch::Tensor& x_max, int bits) {
  return FakeQuantSTE::apply(x, x_min, x_max, static_cast<int64_t>(bits));
}

torch::Tensor fake_quant_weight(const torch::Tensor& w, int bits) {
  if (bits >= 32) return w;
  torch::Tensor lo, hi;
  {
    torch::NoGradGuard ng;
    std::tie(lo, hi) = torch::aminmax(w.reshape({w.size(0), -1}), 1);
    std::vector<int64_t> shape(w.dim(), 1);
    shape[0] = w.size(0);
    lo = lo.view(shape);
    hi = hi.view(shape);
  }
  return fake_quant_ste(w, lo, hi, bits);
}

torch::Tensor fake_quant_activation(const torch::Tensor& x, double x_min, double x_max, int bits) {
  if (bits >= 32) return x;
  auto opts = x.options().requires_grad(false);
  return fake_quant_ste(x, torch::scalar_tensor(x_min, opts), torch::scalar_tensor(x_max, opts), bits);
}

}  // namespace dfq
