// Real integer inference: a fake-quantized student exported to LibTorch's `quantized::*`
// CPU kernels (ONEDNN engine), with int8 weights and uint8 activations.
//
// What is exact and what is not, relative to the fake-quantized student:
//  - Weights: each conv's BatchNorm is folded into it. A b-bit weight (b <= 7) is an integer
//    m in [-(2^b - 1), 2^b - 1] times a per-channel step, so it is stored exactly as a
//    symmetric int8 code; ONEDNN only takes symmetric weights, so 8-bit asymmetric weights
//    are re-quantized symmetrically (at most one bit of their range lost).
//  - Activations: a b-bit activation grid (b <= 7) is stored exactly as uint8 codes with
//    the student's scale, clamped to its 2^b levels. 8-bit activations become 7-bit when
//    `reduce_range` is set: ONEDNN's u8 x s8 products saturate on CPUs without VNNI
//    (docs/libtorch.md), and PyTorch's own reduce_range does the same.
//  - Points where the student keeps a float tensor but an integer model must quantize
//    (the input image, a residual branch before the addition) get 8 bits on a range that
//    needs no data: the image's normalised pixel range, and beta +- k |gamma| of the
//    BatchNorm that produced the tensor (`bn_sigmas` = k).
//  - The final classifier runs in float on the dequantized pooled features (its weights
//    fake-quantized as in the student); it is a few hundred multiply-adds.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>

#include "core/nn/tap_batch_norm.h"
#include "core/quant/layers.h"

namespace dfq {

// True when the CPU has AVX-512 VNNI or AVX-VNNI (from /proc/cpuinfo).
bool cpu_has_vnni();

struct Int8Options {
  double input_lo = 0, input_hi = 1;  // range of the normalised input image
  bool reduce_range = !cpu_has_vnni();
  double bn_sigmas = 6.0;
};

// Quantization parameters of one uint8 tensor, and the value range its grid allows
// (a b-bit grid inside the 256 codes is enforced by clamping to [lo, hi]).
struct QParams {
  double scale = 1.0;
  int64_t zero_point = 0;
  double lo = 0, hi = 0;   // representable range actually allowed
  bool clamp = false;      // the kernel's 0..255 codes allow more than [lo, hi]
  bool exact = true;       // the grid equals the student's
};

// 8-bit (or 7-bit with reduce_range) parameters covering [lo, hi] (extended to hold 0).
QParams range_qparams(double lo, double hi, int bits);

// The grid of a QAct's activation quantizer. Throws InvalidInputError when the quantizer is
// off (bits 32): a float activation has no calibrated range to export.
QParams act_qparams(const QActImpl& act, const Int8Options& options);

// beta +- k |gamma| over channels: the data-free range of a BatchNorm's output.
QParams bn_qparams(const TapBatchNorm2dImpl& bn, const Int8Options& options);

torch::Tensor quantize_input(const torch::Tensor& x, const QParams& q);

// A conv with its BatchNorm folded in (bn may be null), optionally followed by ReLU, with
// uint8 output on `out`'s grid.
class Int8Conv {
 public:
  Int8Conv() = default;
  Int8Conv(const QConv2dImpl& conv, const TapBatchNorm2dImpl* bn, bool relu, QParams out);
  torch::Tensor operator()(const torch::Tensor& qx) const;
  explicit operator bool() const { return !packed_.isNone(); }
  const QParams& out() const { return out_; }
  // Integer weights ([out, in/groups, kh, kw] int8 codes) and per-channel scales.
  torch::Tensor weight_codes, weight_scales;

 private:
  c10::IValue packed_;
  bool relu_ = false;
  QParams out_;
};

// The input image's grid (options' input range) for a model whose first layer is `stem`:
// 8 bits, or 7 where the stem's weight codes could saturate ONEDNN's u8 x s8 pair sums
// (2 * 255 * |w| > 32767) on a CPU without VNNI.
QParams input_qparams(const Int8Conv& stem, const Int8Options& options);

// A linear layer (with its input already quantized), optionally followed by ReLU.
class Int8Linear {
 public:
  Int8Linear() = default;
  Int8Linear(const QLinearImpl& fc, bool relu, QParams out);
  torch::Tensor operator()(const torch::Tensor& qx) const;

 private:
  c10::IValue packed_;
  bool relu_ = false;
  QParams out_;
};

// a + b on `out`'s grid, with ReLU when `relu`.
torch::Tensor int8_add(const torch::Tensor& a, const torch::Tensor& b, const QParams& out, bool relu);

// Max pooling on a quantized tensor.
torch::Tensor int8_max_pool(const torch::Tensor& qx, int64_t kernel, int64_t stride, int64_t padding);

// Float classifier on dequantized features, weights fake-quantized as in the student.
class FloatHead {
 public:
  FloatHead() = default;
  explicit FloatHead(const QLinearImpl& fc);
  torch::Tensor operator()(const torch::Tensor& features) const;

 private:
  torch::Tensor weight_, bias_;
};

// An exported integer model: normalised float images in, float logits out.
class Int8Model {
 public:
  using Program = std::function<torch::Tensor(const torch::Tensor&)>;
  Int8Model(Program program, int exact_points, int total_points)
      : program_(std::move(program)), exact_points_(exact_points), total_points_(total_points) {}
  torch::Tensor forward(const torch::Tensor& x) const;
  // Activation quantization points whose grid equals the student's, of all points.
  int exact_points() const { return exact_points_; }
  int total_points() const { return total_points_; }

 private:
  Program program_;
  int exact_points_, total_points_;
};

// Counts how many QParams a lowering used and how many were exact (for Int8Model).
struct Int8PointCounter {
  int exact = 0, total = 0;
  const QParams& operator()(const QParams& q) {
    ++total;
    exact += q.exact ? 1 : 0;
    return q;
  }
};

}  // namespace dfq
