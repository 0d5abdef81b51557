// Google Benchmark micro-benchmarks (`make bench`, JSON in results/bench/): the quantizer,
// the BNS taps, the generator, one full iteration of gdfq and adasg against the same
// passes on float modules, the packed weight format, int8 against float convolution and
// the three inference backends of a trained ResNet-20.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "core/gen/generator.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/data/dataset.h"
#include "core/quant/fake_quant.h"
#include "core/quant/int8.h"
#include "core/quant/packed.h"
#include "core/quant/quantize.h"
#include "core/util/rng.h"
#include "methods/game.h"
#include "models/net.h"
#include "models/zoo.h"

namespace dfq {
namespace {

void BM_WeightFakeQuant(benchmark::State& state) {
  auto w = torch::randn({state.range(0), state.range(0), 3, 3});
  for (auto _ : state) benchmark::DoNotOptimize(fake_quant_weight(w, 4));
  state.SetItemsProcessed(state.iterations() * w.numel());
}
BENCHMARK(BM_WeightFakeQuant)->Arg(16)->Arg(64)->Arg(256);

void BM_ActivationFakeQuant(benchmark::State& state) {
  auto x = torch::randn({state.range(0), 64, 8, 8}).relu();
  for (auto _ : state) benchmark::DoNotOptimize(fake_quant_activation(x, 0.0, 3.0, 4));
  state.SetItemsProcessed(state.iterations() * x.numel());
}
BENCHMARK(BM_ActivationFakeQuant)->Arg(16)->Arg(64)->Arg(256);

// Teacher forward at batch 64 with the BNS taps recording (arg 1) or not (arg 0).
void BM_TeacherForwardBNS(benchmark::State& state) {
  torch::NoGradGuard ng;
  Net p = make_model({"resnet20", 1, 10, 28});
  p->eval();
  BNStatsLoss bns(*p);
  bns.set_enabled(state.range(0) != 0);
  auto x = torch::randn({64, 1, 28, 28});
  for (auto _ : state) {
    bns.clear();
    benchmark::DoNotOptimize(p->forward(x));
    if (state.range(0)) benchmark::DoNotOptimize(bns.loss());
  }
}
BENCHMARK(BM_TeacherForwardBNS)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_GeneratorForwardBackward(benchmark::State& state) {
  auto g = make_generator("gdfq", {10, 100, 28, 1, 0.8});
  const int64_t b = state.range(0);
  for (auto _ : state) {
    auto y = torch::randint(0, 10, {b}, torch::kInt64);
    auto x = g->forward(torch::randn({b, 100}), y);
    x.sum().backward();
  }
}
BENCHMARK(BM_GeneratorForwardBackward)->Arg(16)->Arg(64)->Arg(200)->Unit(benchmark::kMillisecond);

// One training iteration of the GDFQ family on ResNet-20 (1x28x28): G step (G forward,
// P forward with BNS, Q forward for the game, backward into G) then Q step (Q forward and
// backward). quantized = 0 runs the same passes with a float student and no BNS taps:
// the floor the quantizer, taps and losses are measured against. P and Q start from the
// committed Fashion-MNIST teacher, as in a run (run from the repository root).
void iteration(benchmark::State& state, bool game) {
  seed_everything(0);
  const int64_t b = state.range(0);
  const bool quantized = state.range(1) != 0;
  Net p = load_teacher("fashion-mnist", "resnet20", default_zoo_dir());
  p->eval();
  for (auto& t : p->parameters()) t.set_requires_grad(false);
  Net q = clone_model(p);
  if (quantized) {
    // Ranges calibrated once, then fixed: the state of all but the first 1 % of a run.
    QuantConfig qc;
    qc.tracker = RangeTrackerKind::Ema;
    quantize_model(*q, qc);
    torch::NoGradGuard ng;
    q->forward(torch::randn({b, 1, 28, 28}));
    set_calibration(*q, false);
  }
  q->eval();
  for (auto& t : q->parameters()) t.set_requires_grad(true);
  auto g = make_generator("gdfq", {10, 100, 28, 1, 0.8});
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(1e-3).betas({0.5, 0.999}));
  torch::optim::SGD opt_q(q->parameters(), torch::optim::SGDOptions(1e-4).momentum(0.9).nesterov(true));
  BNStatsLoss bns(*p);
  bns.set_enabled(quantized);
  GameParams params;
  for (auto _ : state) {
    StepTensors st;
    st.y = torch::randint(0, 10, {b}, torch::kInt64);
    st.targets = torch::one_hot(st.y, 10).to(torch::kFloat32);
    st.x = g->forward(torch::randn({b, 100}), st.y);
    bns.clear();
    st.z_p = p->forward(st.x);
    st.bns = quantized ? bns.loss() : torch::zeros({});
    torch::Tensor lg;
    if (game) {
      st.z_q = q->forward(st.x);
      lg = game_generator_terms(st, params).front().second;
    } else {
      lg = cross_entropy(st.z_p, st.y) + 0.1 * st.bns;
    }
    opt_g.zero_grad();
    lg.backward();
    opt_g.step();
    st.x = st.x.detach();
    st.z_p = st.z_p.detach();
    st.z_q = q->forward(st.x);
    auto lq = game ? game_student_terms(st, params).front().second
                   : kd_loss(st.z_q, st.z_p, 20.0, 1.0, KDReduction::Mean) + cross_entropy(st.z_q, st.y);
    opt_q.zero_grad();
    lq.backward();
    opt_q.step();
  }
  state.SetItemsProcessed(state.iterations() * b);
}
void BM_AdasgIteration(benchmark::State& state) { iteration(state, true); }
void BM_GdfqIteration(benchmark::State& state) { iteration(state, false); }
BENCHMARK(BM_AdasgIteration)->ArgsProduct({{16, 64}, {0, 1}})->ArgNames({"batch", "quantized"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GdfqIteration)->ArgsProduct({{16, 64}, {0, 1}})->ArgNames({"batch", "quantized"})
    ->Unit(benchmark::kMillisecond);

void BM_PackCodes(benchmark::State& state) {
  auto codes = torch::randint(-8, 8, {state.range(0)}, torch::kInt64).to(torch::kInt8);
  for (auto _ : state) {
    auto bytes = pack_codes(codes, 4);
    benchmark::DoNotOptimize(unpack_codes(bytes, codes.numel(), 4));
  }
  state.SetBytesProcessed(state.iterations() * codes.numel());
}
BENCHMARK(BM_PackCodes)->Arg(1 << 12)->Arg(1 << 18);

}  // namespace
}  // namespace dfq

int main(int argc, char** argv) {
  dfq::configure_threads(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

namespace dfq {
namespace {

// Evaluation cost: a fake-quantized ResNet-20 (ranges fixed) over 2,000 images at the
// given batch size, against the float teacher (arg 2 = 0).
void BM_EvaluateStudent(benchmark::State& state) {
  torch::NoGradGuard ng;
  Net net = make_model({"resnet20", 1, 10, 28});
  if (state.range(1)) {
    QuantConfig qc;
    qc.tracker = RangeTrackerKind::Ema;
    quantize_model(*net, qc);
    set_calibration(*net, true);
    net->forward(torch::randn({64, 1, 28, 28}));
    set_calibration(*net, false);
  }
  net->eval();
  auto images = torch::randn({2000, 1, 28, 28});
  const int64_t b = state.range(0);
  for (auto _ : state)
    for (int64_t i = 0; i < images.size(0); i += b) benchmark::DoNotOptimize(net->forward(images.narrow(0, i, std::min(b, images.size(0) - i))));
  state.SetItemsProcessed(state.iterations() * images.size(0));
}
BENCHMARK(BM_EvaluateStudent)->ArgsProduct({{64, 128, 500}, {0, 1}})->ArgNames({"batch", "quantized"})
    ->Unit(benchmark::kMillisecond);

// 3x3 convolution + ReLU at batch 64: float (int8 = 0) against ONEDNN int8 (int8 = 1),
// 16 channels at 28x28 and 64 channels at 7x7 (ResNet-20's first and last stages).
void BM_Conv3x3Relu(benchmark::State& state) {
  torch::NoGradGuard ng;
  const int64_t c = state.range(0), hw = c == 16 ? 28 : 7;
  QConv2dImpl conv(torch::nn::Conv2dOptions(c, c, 3).padding(1).bias(false));
  auto x = torch::rand({64, c, hw, hw});
  if (state.range(1)) {
    QParams out = range_qparams(0.0, 4.0, 7);
    Int8Conv iconv(conv, nullptr, true, out);
    auto qx = quantize_input(x, range_qparams(0.0, 1.0, 7));
    for (auto _ : state) benchmark::DoNotOptimize(iconv(qx));
  } else {
    for (auto _ : state) benchmark::DoNotOptimize(torch::relu(conv.forward(x)));
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_Conv3x3Relu)->ArgsProduct({{16, 64}, {0, 1}})->ArgNames({"channels", "int8"})
    ->Unit(benchmark::kMillisecond);

// The committed Fashion-MNIST ResNet-20 teacher (run from the repository root), as float
// (backend 0), fake-quantized W8A8 (1) and exported to int8 (2); ranges calibrated on 256
// random images. One forward at the given batch.
void BM_ResNet20Backend(benchmark::State& state) {
  torch::NoGradGuard ng;
  Net net = load_teacher("fashion-mnist", "resnet20", default_zoo_dir());
  net->eval();
  const int64_t backend = state.range(1);
  std::unique_ptr<Int8Model> int8;
  if (backend > 0) {
    QuantConfig qc;
    qc.w_bits = qc.a_bits = 8;
    qc.tracker = RangeTrackerKind::MinMax;
    quantize_model(*net, qc);
    net->forward(torch::randn({256, 1, 28, 28}));
    set_calibration(*net, false);
    Int8Options o;
    std::tie(o.input_lo, o.input_hi) = normalized_range(dataset_info("fashion-mnist"));
    if (backend == 2) int8 = net->to_int8(o);
  }
  auto x = torch::randn({state.range(0), 1, 28, 28}).clamp(-0.8, 2.0);
  for (auto _ : state) benchmark::DoNotOptimize(int8 ? int8->forward(x) : net->forward(x));
  state.SetItemsProcessed(state.iterations() * x.size(0));
}
BENCHMARK(BM_ResNet20Backend)->ArgsProduct({{1, 64}, {0, 1, 2}})->ArgNames({"batch", "backend"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dfq
namespace dfq {
namespace {

// One BNS layer term at 64x16x28x28 (forward, and forward + backward): torch's var over
// dims {0, 2, 3} (impl 0, the former code) against BNStatsLoss::layer_term (impl 1).
void BM_BNSLayerTerm(benchmark::State& state) {
  auto x = torch::randn({64, 16, 28, 28}, torch::requires_grad());
  auto rm = torch::zeros({16}), rv = torch::ones({16});
  namespace F = torch::nn::functional;
  for (auto _ : state) {
    torch::Tensor l;
    if (state.range(0) == 0) {
      l = F::mse_loss(x.mean({0, 2, 3}), rm) + F::mse_loss(x.var({0, 2, 3}, false), rv);
    } else {
      l = BNStatsLoss::layer_term(x, rm, rv, BNSVariant::Batch);
    }
    if (state.range(1)) l.backward();
    benchmark::DoNotOptimize(l);
  }
}
BENCHMARK(BM_BNSLayerTerm)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"impl", "backward"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dfq
