#include "core/quant/packed.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/quant/layers.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace dfq {

QuantizedWeight quantize_weight(const torch::Tensor& w, int bits) {
  torch::NoGradGuard ng;
  QuantizedWeight q;
  q.bits = bits;
  auto flat = w.detach().reshape({w.size(0), -1}).to(torch::kFloat32);
  auto [lo, hi] = torch::aminmax(flat, 1);
  const double n = std::pow(2.0, bits) - 1.0, half = std::pow(2.0, bits - 1);
  auto range = hi - lo;
  // The fake quantizer's arithmetic, step by step (the same operations in the same order).
  auto scale = n / range.clamp_min(1e-8);
  auto zp = (scale * lo).round_().add_(half);
  auto codes = (flat * scale.unsqueeze(1)).sub_(zp.unsqueeze(1)).round_().clamp_(-half, half - 1.0);
  auto constant = range <= 0;
  q.scale = torch::where(constant, torch::zeros_like(scale), scale);
  q.zero_point = torch::where(constant, lo, zp);
  q.codes = torch::where(constant.unsqueeze(1), torch::zeros_like(codes), codes).to(torch::kInt8).view(w.sizes());
  return q;
}

torch::Tensor dequantize_weight(const QuantizedWeight& q) {
  auto flat = q.codes.reshape({q.codes.size(0), -1}).to(torch::kFloat32);
  auto constant = (q.scale == 0).unsqueeze(1);
  auto out = (flat + q.zero_point.unsqueeze(1)).div_(q.scale.clamp_min(1e-30).unsqueeze(1));
  out = torch::where(constant, q.zero_point.unsqueeze(1).expand_as(flat), out);
  return out.view(q.codes.sizes());
}

std::vector<uint8_t> pack_codes(const torch::Tensor& codes, int bits) {
  auto c = codes.contiguous().to(torch::kInt8).view(-1);
  const int64_t n = c.numel();
  std::vector<uint8_t> out(static_cast<size_t>((n * bits + 7) / 8), 0);
  const int8_t* p = c.data_ptr<int8_t>();
  const uint32_t mask = (1u << bits) - 1u;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(p[i])) & mask;
    const int64_t bit = i * bits;
    out[bit / 8] |= static_cast<uint8_t>(v << (bit % 8));
    if (bit % 8 + bits > 8) out[bit / 8 + 1] |= static_cast<uint8_t>(v >> (8 - bit % 8));
  }
  return out;
}

torch::Tensor unpack_codes(const std::vector<uint8_t>& bytes, int64_t n, int bits) {
  if (static_cast<int64_t>(bytes.size()) < (n * bits + 7) / 8)
    throw CorruptFileError(fmt::format("packed weights: {} bytes cannot hold {} codes of {} bits", bytes.size(), n, bits));
  auto out = torch::empty({n}, torch::kInt8);
  int8_t* p = out.data_ptr<int8_t>();
  const uint32_t mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    uint32_t v = bytes[bit / 8] >> (bit % 8);
    if (bit % 8 + bits > 8) v |= static_cast<uint32_t>(bytes[bit / 8 + 1]) << (8 - bit % 8);
    v &= mask;
    p[i] = static_cast<int8_t>((v & sign) ? static_cast<int32_t>(v) - static_cast<int32_t>(1u << bits) : static_cast<int32_t>(v));
  }
  return out;
}

namespace {

// The quantized weights of a model: name of the weight parameter -> bits.
std::map<std::string, int> quantized_weights(torch::nn::Module& model) {
  std::map<std::string, int> out;
  for (const auto& item : model.named_modules()) {
    int bits = 32;
    if (auto c = std::dynamic_pointer_cast<QConv2dImpl>(item.value())) bits = c->weight_bits;
    if (auto l = std::dynamic_pointer_cast<QLinearImpl>(item.value())) bits = l->weight_bits;
    if (bits < 32) out[item.key().empty() ? "weight" : item.key() + ".weight"] = bits;
  }
  return out;
}

const char kMagic[8] = {'D', 'F', 'Q', 'P', 'A', 'C', 'K', '1'};

void put_u64(std::ostream& o, uint64_t v) { o.write(reinterpret_cast<const char*>(&v), 8); }
uint64_t get_u64(std::ifstream& in, const std::string& path) {
  uint64_t v = 0;
  if (!in.read(reinterpret_cast<char*>(&v), 8)) throw CorruptFileError(fmt::format("{} is truncated", path));
  return v;
}
void put_str(std::ostream& o, const std::string& s) {
  put_u64(o, s.size());
  o.write(s.data(), static_cast<std::streamsize>(s.size()));
}
std::string get_str(std::ifstream& in, const std::string& path) {
  auto n = get_u64(in, path);
  if (n > (1u << 20)) throw CorruptFileError(fmt::format("{} is not a packed weight file (name length {})", path, n));
  std::string s(n, '\0');
  if (!in.read(s.data(), static_cast<std::streamsize>(n))) throw CorruptFileError(fmt::format("{} is truncated", path));
  return s;
}
void put_floats(std::ostream& o, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat32).contiguous().cpu();
  put_u64(o, static_cast<uint64_t>(c.numel()));
  o.write(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<std::streamsize>(c.numel() * 4));
}
torch::Tensor get_floats(std::ifstream& in, const std::string& path, int64_t expected) {
  auto n = static_cast<int64_t>(get_u64(in, path));
  if (n != expected) throw CorruptFileError(fmt::format("{}: {} values where the model has {}", path, n, expected));
  auto t = torch::empty({n}, torch::kFloat32);
  if (!in.read(reinterpret_cast<char*>(t.data_ptr<float>()), n * 4))
    throw CorruptFileError(fmt::format("{} is truncated", path));
  return t;
}

}  // namespace

WeightBytes weight_bytes(torch::nn::Module& model) {
  WeightBytes b;
  auto quantized = quantized_weights(model);
  for (const auto& p : model.named_parameters()) {
    b.fp32 += p.value().numel() * 4;
    auto it = quantized.find(p.key());
    if (it == quantized.end()) {
      b.packed += p.value().numel() * 4;
    } else {
      b.packed += (p.value().numel() * it->second + 7) / 8 + p.value().size(0) * 8;
    }
  }
  return b;
}

void write_packed(torch::nn::Module& model, std::ostream& o) {
  torch::NoGradGuard ng;
  auto quantized = quantized_weights(model);
  o.write(kMagic, 8);
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  put_u64(o, params.size() + buffers.size());
  for (const auto& p : params) {
    put_str(o, p.key());
    auto it = quantized.find(p.key());
    if (it == quantized.end()) {
      put_u64(o, 32);
      put_floats(o, p.value());
      continue;
    }
    auto q = quantize_weight(p.value(), it->second);
    put_u64(o, static_cast<uint64_t>(it->second));
    put_floats(o, q.scale);
    put_floats(o, q.zero_point);
    auto bytes = pack_codes(q.codes, q.bits);
    put_u64(o, bytes.size());
    o.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  for (const auto& b : buffers) {
    put_str(o, b.key());
    put_u64(o, 32);
    put_floats(o, b.value().to(torch::kFloat32));
  }
}

int64_t packed_size(torch::nn::Module& model) {
  std::ostringstream o(std::ios::binary);
  write_packed(model, o);
  return static_cast<int64_t>(o.tellp());
}

int64_t save_packed(torch::nn::Module& model, const std::string& path) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream o(tmp, std::ios::binary);
    if (!o) throw Error(fmt::format("cannot write {}", tmp));
    write_packed(model, o);
    if (!o) throw Error(fmt::format("writing {} failed", tmp));
  });
  return static_cast<int64_t>(std::filesystem::file_size(path));
}

void load_packed(torch::nn::Module& model, const std::string& path) {
  torch::NoGradGuard ng;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingFileError(fmt::format("packed weights {} not found", path));
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    throw CorruptFileError(fmt::format("{} is not a packed weight file (bad magic)", path));
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  const auto count = get_u64(in, path);
  if (count != params.size() + buffers.size())
    throw CorruptFileError(fmt::format("{} holds {} tensors, the model has {}", path, count,
                                       params.size() + buffers.size()));
  for (uint64_t i = 0; i < count; ++i) {
    const auto name = get_str(in, path);
    torch::Tensor* target = params.find(name);
    if (!target) target = buffers.find(name);
    if (!target) throw CorruptFileError(fmt::format("{}: tensor '{}' is not in the model", path, name));
    const auto bits = static_cast<int>(get_u64(in, path));
    if (bits == 32) {
      auto v = get_floats(in, path, target->numel());
      target->copy_(v.view(target->sizes()).to(target->dtype()));
      continue;
    }
    if (bits < 2 || bits > 8) throw CorruptFileError(fmt::format("{}: '{}' has {} bits", path, name, bits));
    QuantizedWeight q;
    q.bits = bits;
    q.scale = get_floats(in, path, target->size(0));
    q.zero_point = get_floats(in, path, target->size(0));
    const auto nbytes = get_u64(in, path);
    std::vector<uint8_t> bytes(nbytes);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(nbytes)))
      throw CorruptFileError(fmt::format("{} is truncated", path));
    q.codes = unpack_codes(bytes, target->numel(), bits).view(target->sizes());
    target->copy_(dequantize_weight(q));
  }
}

}  // namespace dfq
