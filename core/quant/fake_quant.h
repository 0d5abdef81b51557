// Asymmetric signed fake-quantization (ZeroQ's formula, reused by GDFQ, Qimera, IntraQ,
// AdaSG, AdaDFQ) with a straight-through backward:
//   s = (2^k - 1) / (max - min);  zp = round(s * min) + 2^(k-1)
//   q = clamp(round(s * x - zp), -2^(k-1), 2^(k-1) - 1);  x_hat = (q + zp) / s
// A zero-width range (max == min) is clamped to 1e-8, as in the official code
// (quantization_utils/quant_utils.py of GDFQ and its successors): every value then lands
// within 1e-8 of min, so a constant channel keeps its value and an uncalibrated activation
// is never left in float.
#pragma once
#include <torch/torch.h>

namespace dfq {

// Valid bit-widths: 2..8, or 32 meaning "not quantized". Throws InvalidInputError otherwise.
void check_bits(int bits, const char* what);

// Forward only (no autograd): x, x_min, x_max broadcastable. A contiguous float32 CPU
// tensor with a per-tensor or per-dim-0 range takes one fused pass (same bits as the
// tensor formula; 4.2x faster on a 16x64x8x8 activation, BM_ActivationFakeQuant).
torch::Tensor fake_quant_forward(const torch::Tensor& x, const torch::Tensor& x_min,
                                 const torch::Tensor& x_max, int bits);

// Fake-quantize with straight-through gradient (dL/dx passed unchanged, no clipping mask).
torch::Tensor fake_quant_ste(const torch::Tensor& x, const torch::Tensor& x_min,
                             const torch::Tensor& x_max, int bits);

// Per-output-channel weight fake-quantization, ranges re-derived from `w` on every call.
torch::Tensor fake_quant_weight(const torch::Tensor& w, int bits);

// Per-tensor activation fake-quantization on a fixed [x_min, x_max].
torch::Tensor fake_quant_activation(const torch::Tensor& x, double x_min, double x_max, int bits);

}  // namespace dfq
