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

// One fused pass of the formula over `rows` rows of `cols` contiguous floats, row r on
// [lo[r], hi[r]] (a single row for a per-tensor range). The arithmetic is the tensor
// version's, operation for operation in float32, so both give identical bits:
//   s = n / max(hi - lo, 1e-8); zp = round(s * lo) + half;
//   q = clamp(round(s * x - zp), -half, half - 1); out = (q + zp) / s.
// Clamping before rounding is the same as after (the bounds are integers, rounding is
// monotonic), and then |v| <= 2^7, where (v + 1.5 * 2^23) - 1.5 * 2^23 rounds half to even
// like nearbyint, in plain SSE2 arithmetic that vectorises.
void fused_fake_quant(const float* x, float* out, int64_t rows, int64_t cols, const float* lo, const float* hi,
                      int bits) {
  const float n = static_cast<float>(std::pow(2.0, bits) - 1.0);
  const float half = static_cast<float>(std::pow(2.0, bits - 1));
  const float qlo = -half, qhi = half - 1.0f;
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  auto row = [&](int64_t r, int64_t begin, int64_t end) {
    const float range = hi[r] - lo[r];
    const float s = n / std::max(range, 1e-8f);  // a zero-width range: every value lands on ~lo
    const float zp = std::nearbyint(s * lo[r]) + half;
    const float* xi = x + r * cols;
    float* oi = out + r * cols;
    for (int64_t i = begin; i < end; ++i) {
      float v = xi[i] * s - zp;
      v = std::min(std::max(v, qlo), qhi);
      v = (v + kMagic) - kMagic;
      oi[i] = (v + zp) / s;
    }
  };
  if (rows == 1) {
    at::parallel_for(0, cols, 16384, [&](int64_t b, int64_t e) { row(0, b, e); });
  } else {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) row(r, 0, cols);
    });
  }
}

// The fused kernel applies: CPU float32, contiguous, and a per-tensor or per-dim-0 range.
bool fused_applies(const torch::Tensor& x, const torch::Tensor& x_min, const torch::Tensor& x_max) {
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32 || !x.is_contiguous() || x.dim() == 0) return false;
  if (x_min.scalar_type() != torch::kFloat32 || x_max.scalar_type() != torch::kFloat32) return false;
  if (!x_min.device().is_cpu() || !x_max.device().is_cpu()) return false;
  if (x_min.numel() == 1 && x_max.numel() == 1) return true;
  auto per_row = [&](const torch::Tensor& t) {
    if (t.numel() != x.size(0) || t.dim() != x.dim() || !t.is_contiguous()) return false;
    for (int64_t d = 1; d < t.dim(); ++d)
      if (t.size(d) != 1) return false;
    return true;
  };
  return per_row(x_min) && per_row(x_max);
}

}  // namespace

void check_bits(int bits, const char* what) {
  if (bits == 32 || (bits >= 2 && bits <= 8)) return;
  throw InvalidInputError(fmt::format("{} bit-width {} is not supported; use 2..8, or 32 for full precision",
                                      what, bits));
}

torch::Tensor fake_quant_forward(const torch::Tensor& x, const torch::Tensor& x_min,
                                 const torch::Tensor& x_max, int bits) {
  torch::NoGradGuard ng;
  if (fused_applies(x, x_min, x_max)) {
    auto out = torch::empty_like(x);
    const int64_t rows = x_min.numel() == 1 ? 1 : x.size(0);
    fused_fake_quant(x.data_ptr<float>(), out.data_ptr<float>(), rows, x.numel() / rows, x_min.data_ptr<float>(),
                     x_max.data_ptr<float>(), bits);
    return out;
  }
  const double n = std::pow(2.0, bits) - 1.0;
  const double half = std::pow(2.0, bits - 1);
  auto range = x_max - x_min;
  auto scale = n / range.clamp_min(1e-8);
  auto zp = (scale * x_min).round_().add_(half);
  return (x * scale).sub_(zp).round_().clamp_(-half, half - 1.0).add_(zp).div_(scale);
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
