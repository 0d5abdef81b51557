// What needs a CUDA GPU: each test skips where none is visible (CI and this project's CPU
// machines); scripts/gpu-check.sh runs them on a GPU machine. TF32 convolutions are turned
// off here (PyTorch's default allows them on Ampere and newer), so CPU and GPU are compared
// in full float32.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "apps/runner.h"
#include "core/losses/bns.h"
#include "core/quant/fake_quant.h"
#include "core/util/device.h"
#include "core/util/progress.h"
#include "models/net.h"
#include "models/zoo.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!built_with_cuda() || !torch::cuda::is_available())
      GTEST_SKIP() << "no CUDA GPU visible to this build (CPU-only LibTorch, or no device)";
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
    ProgressReporter::set_enabled(false);
  }
  const torch::Device cuda{torch::kCUDA, 0};
};

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.cpu().to(torch::kDouble) - b.cpu().to(torch::kDouble)).abs().max().item<double>();
}

// The fused CPU kernel against the tensor formula on the GPU: to 1e-5, per tensor and per
// output channel, at every bit-width the methods use.
TEST_F(Gpu, FakeQuantOnCudaEqualsCpu) {
  torch::manual_seed(3);
  auto x = torch::randn({64, 16, 8, 8}) * 2.0;
  auto w = torch::randn({32, 16, 3, 3}) * 0.1;
  for (int bits : {2, 3, 4, 5, 8}) {
    auto lo = torch::tensor(-1.5f), hi = torch::tensor(2.0f);
    auto cpu = fake_quant_forward(x, lo, hi, bits);
    auto gpu = fake_quant_forward(x.to(cuda), lo.to(cuda), hi.to(cuda), bits);
    EXPECT_TRUE(gpu.is_cuda());
    EXPECT_LE(max_abs_diff(cpu, gpu), 1e-5) << "per-tensor, " << bits << " bits";
    EXPECT_LE(max_abs_diff(fake_quant_weight(w, bits), fake_quant_weight(w.to(cuda), bits)), 1e-5)
        << "per-channel weights, " << bits << " bits";
  }
}

// The BNS loss of the Fashion-MNIST LeNet-5 teacher on the same images: to 1e-5 (relative).
TEST_F(Gpu, BnsLossOnCudaEqualsCpu) {
  Net cpu_teacher = load_teacher("fashion-mnist", "lenet5", default_zoo_dir());
  cpu_teacher->eval();
  Net gpu_teacher = clone_model(cpu_teacher);
  gpu_teacher->to(cuda);
  gpu_teacher->eval();
  torch::manual_seed(4);
  auto x = torch::randn({32, 1, 28, 28});
  for (auto variant : {BNSVariant::Batch, BNSVariant::PerSample}) {
    BNStatsLoss on_cpu(*cpu_teacher, variant), on_gpu(*gpu_teacher, variant);
    torch::NoGradGuard ng;
    auto logits_cpu = cpu_teacher->forward(x);
    auto logits_gpu = gpu_teacher->forward(x.to(cuda));
    EXPECT_LE(max_abs_diff(logits_cpu, logits_gpu), 1e-4) << "teacher logits";
    const double a = on_cpu.loss().item<double>(), b = on_gpu.loss().item<double>();
    EXPECT_LE(std::abs(a - b), 1e-5 * std::max(1.0, std::abs(a))) << "BNS " << a << " vs " << b;
  }
}

std::map<std::string, double> comparable(const std::map<std::string, double>& metrics) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : metrics)
    if (k.find("latency") == std::string::npos && k.find("seconds") == std::string::npos && k != "peak_rss_bytes" &&
        k != "cuda_deterministic")
      out[k] = v;
  return out;
}

// The same tiny cell (2 iterations, W4A4) on the CPU and the GPU: the draws are the same
// (made on the CPU), so only float rounding differs. Tolerance: 2 points of top-1 on the
// 10,000 test images; a broken device path (ranges, BN statistics, a tensor left behind)
// lands tens of points away. Two GPU runs must agree exactly (deterministic algorithms).
TEST_F(Gpu, TinyCellAgreesWithCpuAndRepeatsExactly) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  for (const char* method : {"gdfq", "adasg", "noise"}) {
    auto request = testing::tiny_request(method);
    const auto cpu = run_cell(store, request);
    request.device = "cuda";
    const auto gpu = run_cell(store, request);
    const auto again = run_cell(store, request);
    std::printf("%s tiny W4A4: top-1 cpu %.2f, cuda %.2f\n", method, cpu.metrics.at("top1"), gpu.metrics.at("top1"));
    EXPECT_NEAR(cpu.metrics.at("top1"), gpu.metrics.at("top1"), 2.0) << method;
    EXPECT_EQ(gpu.metrics.at("cuda_deterministic"), 1.0) << method;
    EXPECT_EQ(comparable(gpu.metrics), comparable(again.metrics)) << method << ": two GPU runs differ";
    for (const auto& run : store.list_runs())
      if (run.id == gpu.run_id) EXPECT_EQ(run.device, "cuda:0");
  }
}

}  // namespace
}  // namespace dfq
