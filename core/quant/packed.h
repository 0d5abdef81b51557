// Sub-8-bit weight storage. A b-bit per-channel quantized weight is stored as its integer
// codes q (the fake quantizer's q, two's complement in b bits, packed densely: two 4-bit
// codes per byte, four 2-bit codes, ...) plus one fp32 scale s and zero point zp per
// output channel; x_hat = (q + zp) / s reproduces the fake-quantized weight exactly.
// A constant channel (max == min: the quantizer puts every value within 1e-8 of it) is
// stored with s = 0 and its value in zp.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dfq {

struct QuantizedWeight {
  torch::Tensor codes;       // int8, the weight's shape, values in [-2^(b-1), 2^(b-1) - 1]
  torch::Tensor scale;       // fp32 [C]
  torch::Tensor zero_point;  // fp32 [C]
  int bits = 8;
};

// The codes of `w` under the per-channel fake quantizer (fake_quant_weight).
QuantizedWeight quantize_weight(const torch::Tensor& w, int bits);
// (q + zp) / s per channel; equals fake_quant_weight(w, bits) for the w it came from.
torch::Tensor dequantize_weight(const QuantizedWeight& q);

// Dense little-endian bit packing of int8 codes into ceil(n * bits / 8) bytes, and back.
std::vector<uint8_t> pack_codes(const torch::Tensor& codes, int bits);
torch::Tensor unpack_codes(const std::vector<uint8_t>& bytes, int64_t count, int bits);

// Bytes of the quantized layers' weights: packed codes + 8 bytes (scale, zero point) per
// channel; biases and BatchNorm parameters stay fp32 and are counted in both figures.
struct WeightBytes {
  int64_t fp32 = 0;    // every parameter as fp32
  int64_t packed = 0;  // conv/linear weights at their bit-width, the rest fp32
};
WeightBytes weight_bytes(torch::nn::Module& model);

// The packed format to a stream, and its size in bytes (what save_packed would write).
void write_packed(torch::nn::Module& model, std::ostream& out);
int64_t packed_size(torch::nn::Module& model);
// Writes every quantized conv/linear weight of `model` in packed form, and every other
// parameter and buffer as fp32, to `path` (temporary file, then rename); returns its size.
int64_t save_packed(torch::nn::Module& model, const std::string& path);
// Reads a file written by save_packed into `model` (same architecture): quantized weights
// are set to their dequantized values. Throws CorruptFileError on a malformed file.
void load_packed(torch::nn::Module& model, const std::string& path);

}  // namespace dfq
