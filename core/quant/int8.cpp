#include "core/quant/int8.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <variant>

#include "core/quant/fake_quant.h"
#include "core/util/error.h"

namespace dfq {
namespace {

c10::OperatorHandle op(const char* name, const char* overload = "") {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

c10::IValue call1(const c10::OperatorHandle& handle, std::vector<c10::IValue> stack) {
  handle.callBoxed(&stack);
  return std::move(stack.at(0));
}

// The quantized kernels run on ONEDNN (FBGEMM is absent from this LibTorch).
void use_onednn() {
  static const bool once = [] {
    const auto engines = at::globalContext().supportedQEngines();
    if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) == engines.end())
      throw Error("this LibTorch has no ONEDNN quantized engine; integer export needs it");
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
    return true;
  }();
  (void)once;
}

// The padding variant is c10::variant in LibTorch 1.x and std::variant in 2.x: std::get_if
// is named so the call parses, and ADL finds c10::get_if for the 1.x variant.
template <class Variant>
const torch::ExpandingArray<2>* explicit_padding(const Variant& padding) {
  using std::get_if;
  return get_if<torch::ExpandingArray<2>>(&padding);
}

int activation_bits(const Int8Options& o) { return o.reduce_range ? 7 : 8; }

// Per-output-channel symmetric int8 scale for `w_fold` (already folded), keeping a b-bit
// weight's integer grid (step) when it fits in int8.
torch::Tensor channel_scales(const torch::Tensor& w_fold, const torch::Tensor& step) {
  auto amax = w_fold.reshape({w_fold.size(0), -1}).abs().amax(1).to(torch::kDouble);
  return torch::maximum(amax / 127.0, step.to(torch::kDouble)).clamp_min(1e-10);
}

// Per-channel step of the student's b-bit weight grid (range / (2^b - 1)); 0 where the
// quantizer is off or the channel is constant.
torch::Tensor weight_step(const torch::Tensor& w, int bits) {
  if (bits >= 8) return torch::zeros({w.size(0)}, torch::kDouble);
  auto [lo, hi] = torch::aminmax(w.reshape({w.size(0), -1}).to(torch::kDouble), 1);
  auto range = hi - lo;
  return torch::where(range > 0, range / (std::pow(2.0, bits) - 1.0), torch::zeros_like(range));
}

torch::Tensor quantize_weight_symmetric(const torch::Tensor& w_fold, const torch::Tensor& scales,
                                        torch::Tensor* codes) {
  auto q = at::quantize_per_channel(w_fold.contiguous(), scales,
                                    torch::zeros({w_fold.size(0)}, torch::kLong), 0, at::kQInt8);
  if (codes) *codes = q.int_repr();
  return q;
}

torch::Tensor apply_clamp(torch::Tensor y, const QParams& q) {
  return q.clamp ? at::clamp(y, q.lo, q.hi) : y;
}

}  // namespace

bool cpu_has_vnni() {
  static const bool has = [] {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line);
      std::string w;
      while (words >> w)
        if (w == "avx512_vnni" || w == "avx_vnni") return true;
      return false;
    }
    return false;
  }();
  return has;
}

QParams range_qparams(double lo, double hi, int bits) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  const double levels = std::pow(2.0, bits) - 1.0;
  QParams q;
  q.scale = std::max((hi - lo) / levels, 1e-8);
  q.zero_point = std::clamp<int64_t>(std::llround(-lo / q.scale), 0, static_cast<int64_t>(levels));
  q.lo = (0.0 - static_cast<double>(q.zero_point)) * q.scale;
  q.hi = (levels - static_cast<double>(q.zero_point)) * q.scale;
  q.clamp = bits < 8;
  q.exact = false;
  return q;
}

QParams act_qparams(const QActImpl& act, const Int8Options& options) {
  if (act.bits >= 32)
    throw InvalidInputError("integer export needs every activation quantized (a-bits 2..8); this model has a "
                            "float activation");
  const double lo = act.tracker.min(), hi = act.tracker.max();
  if (act.bits > activation_bits(options) || hi <= lo) {
    auto q = range_qparams(lo, hi, activation_bits(options));
    q.clamp = true;  // also bounds ReLU6 at the tracked maximum, like the student
    return q;
  }
  // The student's grid: values m / s for integers m in [round(s lo), round(s lo) + 2^b - 1].
  const double s = (std::pow(2.0, act.bits) - 1.0) / (hi - lo);
  const auto m_lo = static_cast<int64_t>(std::nearbyint(s * lo));  // as fake_quant_forward rounds
  const int64_t m_hi = m_lo + (int64_t{1} << act.bits) - 1;
  if (m_lo > 0 || m_hi < 0) return range_qparams(lo, hi, activation_bits(options));
  QParams q;
  q.scale = 1.0 / s;
  q.zero_point = -m_lo;
  q.lo = static_cast<double>(m_lo) / s;
  q.hi = static_cast<double>(m_hi) / s;
  q.clamp = true;
  q.exact = true;
  return q;
}

QParams bn_qparams(const TapBatchNorm2dImpl& bn, const Int8Options& options) {
  torch::NoGradGuard ng;
  auto spread = bn.weight.abs() * options.bn_sigmas;
  const double lo = (bn.bias - spread).min().item<double>();
  const double hi = (bn.bias + spread).max().item<double>();
  return range_qparams(lo, hi, 8);
}

torch::Tensor quantize_input(const torch::Tensor& x, const QParams& q) {
  return at::quantize_per_tensor(x.contiguous(), q.scale, q.zero_point, at::kQUInt8);
}

Int8Conv::Int8Conv(const QConv2dImpl& conv, const TapBatchNorm2dImpl* bn, bool relu, QParams out)
    : relu_(relu), out_(out) {
  use_onednn();
  torch::NoGradGuard ng;
  const auto& w = conv.weight;
  auto w_hat = fake_quant_weight(w, conv.weight_bits).detach().to(torch::kFloat);
  const int64_t oc = w.size(0);
  auto gain = torch::ones({oc});
  auto bias = conv.bias.defined() ? conv.bias.detach().clone() : torch::zeros({oc});
  if (bn) {
    gain = bn->weight.detach() / torch::sqrt(bn->running_var.detach() + bn->eps);
    bias = (bias - bn->running_mean.detach()) * gain + bn->bias.detach();
  }
  auto w_fold = w_hat * gain.view({oc, 1, 1, 1});
  auto step = weight_step(w, conv.weight_bits) * gain.abs().to(torch::kDouble);
  weight_scales = channel_scales(w_fold, step);
  auto qw = quantize_weight_symmetric(w_fold, weight_scales, &weight_codes);

  const auto& o = conv.options;
  const auto* pad = explicit_padding(o.padding());
  if (!pad) throw Error("integer export supports explicit conv padding only");
  auto list = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>{a->at(0), a->at(1)}; };
  packed_ = call1(op("quantized::conv2d_prepack"),
                  {qw, bias.to(torch::kFloat), list(o.stride()), list(*pad), list(o.dilation()), o.groups()});
}

torch::Tensor Int8Conv::operator()(const torch::Tensor& qx) const {
  static const auto plain = op("quantized::conv2d", "new");
  static const auto fused = op("quantized::conv2d_relu", "new");
  auto y = call1(relu_ ? fused : plain, {qx, packed_, out_.scale, out_.zero_point}).toTensor();
  return apply_clamp(std::move(y), out_);
}

QParams input_qparams(const Int8Conv& stem, const Int8Options& o) {
  const bool risky = o.reduce_range && stem.weight_codes.abs().max().item<int64_t>() > 64;
  return range_qparams(o.input_lo, o.input_hi, risky ? 7 : 8);
}

Int8Linear::Int8Linear(const QLinearImpl& fc, bool relu, QParams out) : relu_(relu), out_(out) {
  use_onednn();
  torch::NoGradGuard ng;
  auto w_hat = fake_quant_weight(fc.weight, fc.weight_bits).detach().to(torch::kFloat);
  auto scales = channel_scales(w_hat, weight_step(fc.weight, fc.weight_bits));
  auto qw = quantize_weight_symmetric(w_hat, scales, nullptr);
  auto bias = fc.bias.defined() ? fc.bias.detach().to(torch::kFloat) : torch::zeros({w_hat.size(0)});
  packed_ = call1(op("quantized::linear_prepack"), {qw, bias});
}

torch::Tensor Int8Linear::operator()(const torch::Tensor& qx) const {
  static const auto plain = op("quantized::linear");
  static const auto fused = op("quantized::linear_relu");
  auto y = call1(relu_ ? fused : plain, {qx, packed_, out_.scale, out_.zero_point}).toTensor();
  return apply_clamp(std::move(y), out_);
}

torch::Tensor int8_add(const torch::Tensor& a, const torch::Tensor& b, const QParams& out, bool relu) {
  static const auto plain = op("quantized::add");
  static const auto fused = op("quantized::add_relu");
  auto y = call1(relu ? fused : plain, {a, b, out.scale, out.zero_point}).toTensor();
  return apply_clamp(std::move(y), out);
}

torch::Tensor int8_max_pool(const torch::Tensor& qx, int64_t kernel, int64_t stride, int64_t padding) {
  // Quantized max_pool2d wants every size argument as a 2-element list.
  return at::max_pool2d(qx, {kernel, kernel}, {stride, stride}, {padding, padding}, {1, 1});
}

FloatHead::FloatHead(const QLinearImpl& fc) {
  torch::NoGradGuard ng;
  weight_ = fake_quant_weight(fc.weight, fc.weight_bits).detach().clone();
  bias_ = fc.bias.defined() ? fc.bias.detach().clone() : torch::Tensor();
}

torch::Tensor FloatHead::operator()(const torch::Tensor& features) const {
  auto f = features.is_quantized() ? features.dequantize() : features;
  return torch::linear(f, weight_, bias_);
}

torch::Tensor Int8Model::forward(const torch::Tensor& x) const {
  torch::NoGradGuard ng;
  return program_(x);
}

}  // namespace dfq
