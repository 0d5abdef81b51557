#include "core/eval/flops.h"

#include <ATen/record_function.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace dfq {
namespace {

thread_local int64_t g_macs = 0;

int64_t numel_of(c10::IntArrayRef sizes) {
  int64_t n = 1;
  for (auto s : sizes) n *= s;
  return n;
}

// The multiply-adds per output element of a convolution with this weight
// ([out, in / groups, kh, kw]): one per input channel of its group and kernel tap.
int64_t per_output(const at::Tensor& weight) { return numel_of(weight.sizes().slice(1)); }

// Forward convolution: counted at its end, from the output's size.
void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
  if (std::strcmp(fn.name(), "aten::convolution") != 0) return;
  const auto inputs = fn.inputs();
  const auto outputs = fn.outputs();
  if (inputs.size() < 7 || outputs.empty() || !outputs[0].isTensor() || !inputs[1].isTensor()) return;
  const auto& weight = inputs[1].toTensor();
  if (inputs[6].isBool() && inputs[6].toBool()) {  // transposed: per input element instead
    g_macs += inputs[0].toTensor().numel() * numel_of(weight.sizes().slice(1));
  } else {
    g_macs += outputs[0].toTensor().numel() * per_output(weight);
  }
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  const char* name = fn.name();
  const auto inputs = fn.inputs();
  auto sizes = [&](size_t i) { return inputs[i].toTensor().sizes(); };
  if (std::strcmp(name, "aten::convolution_backward") == 0 && inputs.size() >= 11) {
    // (grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed,
    // output_padding, groups, output_mask): the input and the weight gradient each cost one
    // forward's multiply-adds (a transposed one's: per input element); the bias gradient is a sum.
    const bool transposed = inputs[7].isBool() && inputs[7].toBool();
    const auto& weight = inputs[2].toTensor();
    const int64_t one = transposed ? inputs[1].toTensor().numel() * numel_of(weight.sizes().slice(1))
                                   : inputs[0].toTensor().numel() * per_output(weight);
    const auto mask = inputs[10].toBoolList();
    g_macs += (mask.get(0) ? one : 0) + (mask.get(1) ? one : 0);
  } else if (std::strcmp(name, "aten::addmm") == 0 && inputs.size() >= 3) {
    g_macs += sizes(1)[0] * sizes(1)[1] * sizes(2)[1];
  } else if (std::strcmp(name, "aten::mm") == 0 && inputs.size() >= 2) {
    g_macs += sizes(0)[0] * sizes(0)[1] * sizes(1)[1];
  } else if (std::strcmp(name, "aten::bmm") == 0 && inputs.size() >= 2) {
    g_macs += sizes(0)[0] * sizes(0)[1] * sizes(0)[2] * sizes(1)[2];
  }
  return nullptr;
}

}  // namespace

int64_t count_multiply_adds(const std::function<void()>& work) {
  g_macs = 0;
  const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end).needsInputs(true).needsOutputs(true));
  try {
    work();
  } catch (...) {
    at::removeCallback(handle);
    throw;
  }
  at::removeCallback(handle);
  return g_macs;
}

namespace {

// 12 independent chains of x = x * m + c in vector registers: enough to cover the FMA
// latency (4 cycles) on two pipes. The result depends on every chain, so the compiler
// keeps them.
__attribute__((target("avx512f"))) float fma_avx512(int64_t iters) {
  __m512 a[12];
  for (int k = 0; k < 12; ++k) a[k] = _mm512_set1_ps(1.0f + 1e-3f * static_cast<float>(k));
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) a[k] = _mm512_fmadd_ps(a[k], m, c);
  float total = 0;
  for (int k = 0; k < 12; ++k) total += _mm512_reduce_add_ps(a[k]);
  return total;
}

__attribute__((target("avx2,fma"))) float fma_avx2(int64_t iters) {
  __m256 a[12];
  for (int k = 0; k < 12; ++k) a[k] = _mm256_set1_ps(1.0f + 1e-3f * static_cast<float>(k));
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) a[k] = _mm256_fmadd_ps(a[k], m, c);
  alignas(32) float f[8];
  float total = 0;
  for (int k = 0; k < 12; ++k) {
    _mm256_store_ps(f, a[k]);
    for (float v : f) total += v;
  }
  return total;
}

// Flops per second of `threads` threads running the chains at `bits`.
double measure_fma(int bits, int threads) {
  const int64_t iters = 20'000'000;  // x 12 FMAs: ~0.1-0.3 s per thread
  std::vector<std::thread> pool;
  std::atomic<float> sink{0};
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] { sink = sink + (bits == 512 ? fma_avx512(iters) : fma_avx2(iters)); });
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(threads) * iters * 12 * (bits / 32) * 2 / seconds;
}

}  // namespace

FmaPeak fma_peak(int threads) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags, vendor;
  double mhz = 0;
  while (std::getline(in, line)) {
    auto value = [&] { return line.substr(line.find(':') + 1); };
    if (mhz == 0 && line.rfind("cpu MHz", 0) == 0) mhz = std::stod(value());
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = " " + value() + " ";
    if (vendor.empty() && line.rfind("vendor_id", 0) == 0) vendor = value();
  }
  auto has = [&](const char* f) { return flags.find(std::string(" ") + f + " ") != std::string::npos; };
  const bool amd = vendor.find("AMD") != std::string::npos;
  FmaPeak p;
  p.threads = threads;
  p.vector_bits = has("avx512f") ? 512 : (has("avx2") && has("fma")) ? 256 : 128;
  const int nominal_bits = amd ? std::min(p.vector_bits, 256) : p.vector_bits;  // Zen 4: 512 bits in two halves
  p.nominal_gflops = threads * mhz / 1000.0 * 2 * (nominal_bits / 32) * 2;
  if (p.vector_bits >= 256) p.measured_gflops = measure_fma(p.vector_bits, threads) / 1e9;
  p.summary = fmt::format(
      "FMA peak of {} thread(s): measured {:.1f} GFLOP/s ({}-bit FMAs in registers); nominal {:.1f} ({:.0f} MHz "
      "from /proc/cpuinfo x 2 FMA pipes x {} fp32 lanes{} x 2 flops)",
      threads, p.measured_gflops, p.vector_bits, p.nominal_gflops, mhz, nominal_bits / 32,
      amd && p.vector_bits == 512 ? ", AMD splits 512-bit FMAs" : "");
  return p;
}

}  // namespace dfq
