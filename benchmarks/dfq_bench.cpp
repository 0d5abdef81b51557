// Google Benchmark micro-benchmarks (`make bench`, JSON in results/bench/): the quantizer,
// the BNS taps, the generator, one full iteration of gdfq and adasg against the same
// passes on float modules, the packed weight format, int8 against float convolution and
// the three inference backends of a trained ResNet-20, and ImageNet's JPEG decoding.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "core/eval/flops.h"
#include "core/gen/generator.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/data/dataset.h"
#include "core/data/image_folder.h"
#include "core/data/jpeg.h"
#include "core/quant/fake_quant.h"
#include "core/quant/int8.h"
#include "core/quant/packed.h"
#include "core/quant/quantize.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/rng.h"
#include "apps/cell.h"
#include "methods/train/trainer.h"
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

// The profiler's events as a table: per operator, calls and self time (its time minus that of
// the operators it called) per iteration, largest first, down to 1 % of the total.
void print_self_times(const torch::autograd::profiler::thread_event_lists& lists, int iterations,
                      const std::string& title) {
  using torch::autograd::profiler::EventKind;
  using torch::autograd::profiler::LegacyEvent;
  struct Row {
    double self_us = 0;
    int64_t calls = 0;
  };
  std::map<std::string, Row> rows;
  double total = 0;
  for (const auto& events : lists) {
    struct Open {
      const LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& e : events) {
      if (e.kind() == EventKind::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double us = open.push->cpuElapsedUs(e);
        Row& r = rows[open.push->name()];
        r.self_us += us - open.children_us;
        r.calls += 1;
        if (!stack.empty()) {
          stack.back().children_us += us;
        } else {
          total += us;
        }
      }
    }
  }
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });
  fmt::print(stderr, "\nself time per iteration, {} ({:.1f} ms in operators)\n", title, total / iterations / 1000);
  fmt::print(stderr, "{:<48} {:>8} {:>10} {:>6}\n", "operator", "calls", "ms", "share");
  for (const auto& [name, r] : sorted) {
    if (r.self_us < 0.01 * total) break;
    fmt::print(stderr, "{:<48} {:>8} {:>10.2f} {:>5.1f}%\n", name.substr(0, 48), r.calls / iterations,
               r.self_us / iterations / 1000, 100 * r.self_us / total);
  }
}

// The FMA peak of the threads the benchmarks use, measured once (main prints it).
const FmaPeak& machine_peak() {
  static const FmaPeak peak = fma_peak(torch::get_num_threads());
  return peak;
}

// One training iteration of a trained method on ResNet-20 (1x28x28), through the very
// functions a run calls (methods/train: the method's image source, StudentStep,
// train_iteration), with the method's own losses and default settings at batch `batch`.
// bits 4 is the W4A4 student with its ranges calibrated once and then fixed (the state of
// all but the first 1 % of a run); bits 32 is the same passes with a float student, the
// floor the quantizer is measured against (BNS taps on in both). P and Q start from the
// committed Fashion-MNIST teacher, as in a run (run from the repository root).
//
// The Cuda variants: ResNet-20 on CIFAR-10's shape (3x32x32; a random teacher, as no CIFAR
// teacher is committed) on the GPU, at the method's official batch size, wall time with the
// GPU synchronised after every iteration (scripts/gpu-check.sh); skipped without a GPU.
void iteration(benchmark::State& state, const std::string& method, const std::string& dataset = "fashion-mnist",
               const std::string& device_name = "cpu") {
  if (device_name != "cpu" && !torch::cuda::is_available()) {
    state.SkipWithError("no CUDA GPU visible");
    return;
  }
  const torch::Device device = parse_device(device_name);
  const int64_t requested_batch = state.range(0);  // 0: the method's official batch size
  const int bits = static_cast<int>(state.range(1));
  CellRequest request;
  request.key = {"bench", method, "resnet20", dataset, bits, bits, 0};
  request.overrides = {"range_tracker=ema", "calib_epochs=1", "warmup_epochs=0"};
  if (requested_batch > 0) request.overrides.push_back(fmt::format("batch_size={}", requested_batch));
  const ResolvedCell cell = resolve_cell(request);
  DataSplits data;  // the shape of the data only: an iteration reads no image
  data.info = dataset_info(dataset);
  const auto& info = data.info;
  RunContext ctx;
  ctx.device = device;
  ctx.teacher = dataset == "fashion-mnist" ? load_teacher(dataset, "resnet20", default_zoo_dir())
                                           : make_model({"resnet20", info.channels, info.classes, info.size});
  ctx.teacher->to(device);
  if (dataset != "fashion-mnist") {  // a random teacher: BN statistics of the inputs it will see
    torch::NoGradGuard ng;
    ctx.teacher->train();
    for (int i = 0; i < 20; ++i) ctx.teacher->forward(randn_on({64, info.channels, info.size, info.size}, device));
  }
  ctx.teacher->eval();
  for (auto& t : ctx.teacher->parameters()) t.set_requires_grad(false);
  ctx.data = &data;
  ctx.config = cell.config;
  ctx.quant = cell.quant;
  seed_everything(0);
  const auto schedule = Schedule::block().read(ctx.config);
  const int64_t b = schedule.batch_size;
  TrainerParts parts = cell.method->trainer_parts(ctx);
  Net student = ctx.make_student();
  {
    torch::NoGradGuard ng;  // ranges from one batch, then fixed (epoch >= calib_epochs)
    student->forward(randn_on({b, info.channels, info.size, info.size}, device));
  }
  auto source = parts.make_source();
  StudentStep q_step(student, schedule, parts.student_loss);
  int64_t it = 0;
  // One training iteration, as a run's trainer calls it.
  auto one = [&] {
    StepTensors st;
    st.num_classes = data.info.classes;
    return train_iteration(*source, q_step, *student, schedule, 1, it++ % 10, st);
  };
  // DFQ_BENCH_PROFILE=1: 3 warm-up iterations, then 10 under LibTorch's profiler; prints each
  // operator's self time per iteration (time in the operator minus the operators it called).
  // The profiler's own cost is large (an adasg iteration at batch 16 takes ~3.5x longer under
  // it), so read the shares, and the small operators' shares as upper bounds.
  if (std::getenv("DFQ_BENCH_PROFILE")) {
    for (int i = 0; i < 3; ++i) one();
    const int n = 10;
    {
      torch::autograd::profiler::TLSLegacyProfilerGuard guard(
          torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU),
          [&](const torch::autograd::profiler::thread_event_lists& lists) {
            print_self_times(lists, n, fmt::format("{} batch {} W{}A{} on {} threads", method, b, bits, bits,
                                                   torch::get_num_threads()));
          });
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) one();
      fmt::print(stderr, "profiled: {:.1f} ms per iteration (wall)\n",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / n);
    }
  }
  // The multiply-adds of one iteration (after one uncounted), for GFLOP/s and the share of
  // the FMA peak of the cores in use (core/eval/flops.h says what is counted and how the peak is found).
  int64_t macs = 0;
  try {
    one();
    macs = count_multiply_adds(one);
  } catch (const NumericalError& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    try {
      benchmark::DoNotOptimize(one());
    } catch (const NumericalError& e) {
      state.SkipWithError(e.what());
      break;
    }
    synchronize(device);
  }
  state.SetItemsProcessed(state.iterations() * b);
  state.counters["batch"] = static_cast<double>(b);
  state.counters["MMAC/it"] = static_cast<double>(macs) / 1e6;
  if (device.is_cpu()) {
    const double flops = 2.0 * static_cast<double>(macs);
    const double peak = machine_peak().measured_gflops * 1e9;
    state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak%"] = benchmark::Counter(100.0 * flops / peak, benchmark::Counter::kIsIterationInvariantRate);
  }
}
void BM_AdasgIteration(benchmark::State& state) { iteration(state, "adasg"); }
void BM_GdfqIteration(benchmark::State& state) { iteration(state, "gdfq"); }
// Wall time (UseRealTime): the rates count every thread's work.
BENCHMARK(BM_AdasgIteration)->ArgsProduct({{16, 64}, {32, 4}})->ArgNames({"batch", "bits"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GdfqIteration)->ArgsProduct({{16, 64, 200}, {32, 4}})->ArgNames({"batch", "bits"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_CudaAdasgIterationCifar(benchmark::State& state) { iteration(state, "adasg", "cifar10", "cuda"); }
void BM_CudaGdfqIterationCifar(benchmark::State& state) { iteration(state, "gdfq", "cifar10", "cuda"); }
BENCHMARK(BM_CudaAdasgIterationCifar)->ArgsProduct({{0}, {32, 4}})->ArgNames({"batch", "bits"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CudaGdfqIterationCifar)->ArgsProduct({{0}, {32, 4}})->ArgNames({"batch", "bits"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

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

// `--threads=N`: LibTorch (and OpenBLAS) threads for every benchmark; default: all cores.
int main(int argc, char** argv) {
  int threads = 0;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--threads=", 0) == 0) {
      threads = std::stoi(a.substr(10));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  threads = dfq::configure_threads(threads);
  fmt::print(stderr, "{} threads; peak% is against the measured peak. {}\n", threads, dfq::machine_peak().summary);
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

// ImageNet's input path per image: decode a 500x375 JPEG (ILSVRC2012's typical size),
// resize to 256, crop 224 (arg 0); and a batch of 64 such files decoded on N threads (arg 1: N).
void BM_ImagenetDecode(benchmark::State& state) {
  const std::string dir = "/tmp/dfq-bench-jpeg";
  std::filesystem::create_directories(dir);
  RgbImage img;
  img.height = 375;
  img.width = 500;
  img.pixels.resize(375 * 500 * 3);
  for (int y = 0; y < 375; ++y)
    for (int x = 0; x < 500; ++x)
      for (int c = 0; c < 3; ++c)
        img.pixels[(y * 500 + x) * 3 + c] = static_cast<uint8_t>((x * (c + 1) + y * 3 + ((x / 7 + y / 5) % 2) * 60) % 256);
  write_jpeg_file(dir + "/a.JPEG", img, 90);
  if (state.range(0) == 0) {
    for (auto _ : state) {
      auto out = center_crop(resize_shorter_side(decode_jpeg_file(dir + "/a.JPEG"), 256), 224);
      benchmark::DoNotOptimize(out.pixels.data());
    }
    state.SetItemsProcessed(state.iterations());
    return;
  }
  ImageFiles files;
  files.root = dir;
  files.names.assign(64, "a.JPEG");
  std::vector<int64_t> idx(64);
  for (int i = 0; i < 64; ++i) idx[i] = i;
  for (auto _ : state) benchmark::DoNotOptimize(decode_images(files, idx, static_cast<int>(state.range(1))));
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_ImagenetDecode)->Args({0, 1})->Args({1, 1})->Args({1, 2})->ArgNames({"batch", "threads"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dfq
