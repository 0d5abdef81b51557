// Sub-8-bit packed weight storage and the deployment figures logged per run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/eval/latency.h"
#include "core/quant/fake_quant.h"
#include "core/quant/layers.h"
#include "core/quant/packed.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"
#include "methods/train/deployment.h"
#include "models/net.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(Packed, CodesRoundTripExactlyAtEveryBitWidth) {
  for (int bits = 2; bits <= 8; ++bits) {
    SCOPED_TRACE(bits);
    const int64_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    auto codes = torch::randint(lo, hi + 1, {37}, torch::kInt64).to(torch::kInt8);
    codes[0] = lo;
    codes[1] = hi;
    auto bytes = pack_codes(codes, bits);
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), (37 * bits + 7) / 8);
    EXPECT_TRUE(torch::equal(unpack_codes(bytes, 37, bits), codes));
  }
  // Two 4-bit codes per byte, low nibble first: (-1, 3) -> 0x3F.
  auto b = pack_codes(torch::tensor({-1, 3}, torch::kInt8), 4);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], 0x3F);
  EXPECT_THROW(unpack_codes(b, 3, 4), CorruptFileError);
}

TEST(Packed, DequantizedCodesEqualTheFakeQuantizedWeight) {
  auto w = torch::randn({4, 3, 3, 3});
  w[2].fill_(0.25);  // a constant channel passes through the quantizer
  for (int bits : {2, 4, 8}) {
    auto q = quantize_weight(w, bits);
    EXPECT_EQ(q.codes.scalar_type(), torch::kInt8);
    EXPECT_LE(q.codes.max().item<int>(), (1 << (bits - 1)) - 1);
    EXPECT_GE(q.codes.min().item<int>(), -(1 << (bits - 1)));
    EXPECT_TRUE(torch::allclose(dequantize_weight(q), fake_quant_weight(w, bits), 0, 1e-6)) << bits;
  }
}

TEST(Packed, WeightBytesMatchHandCount) {
  QLinear fc(torch::nn::LinearOptions(3, 2));
  fc->weight_bits = 4;
  auto b = weight_bytes(*fc);
  EXPECT_EQ(b.fp32, (6 + 2) * 4);
  EXPECT_EQ(b.packed, 3 + 2 * 8 + 2 * 4);  // 6 codes of 4 bits, (scale, zp) per row, fp32 bias
}

TEST(Packed, FileRoundTripsAndRejectsDamage) {
  testing::TempDir dir;
  ModelSpec spec{"lenet5", 1, 10, 28};
  Net a = make_model(spec);
  QuantConfig qc;
  qc.w_bits = 4;
  qc.a_bits = 4;
  quantize_model(*a, qc);
  const auto path = dir.file("a.pack");
  const int64_t size = save_packed(*a, path);
  EXPECT_EQ(size, static_cast<int64_t>(std::filesystem::file_size(path)));
  EXPECT_LT(size, weight_bytes(*a).fp32 / 4);  // 4-bit weights: well under a quarter of fp32
  Net b = make_model(spec);
  quantize_model(*b, qc);
  load_packed(*b, path);
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) {
    const auto& wb = pb[p.key()];
    if (p.key().find("weight") != std::string::npos && p.value().dim() >= 2)
      EXPECT_TRUE(torch::allclose(wb, fake_quant_weight(p.value(), 4), 0, 1e-6)) << p.key();
    else
      EXPECT_TRUE(torch::equal(wb, p.value())) << p.key();
  }
  // Damage: wrong magic, then a truncated file.
  auto bytes = std::vector<char>(std::filesystem::file_size(path));
  std::ifstream(path, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto write = [&](const std::vector<char>& v) {
    std::ofstream(dir.file("bad.pack"), std::ios::binary).write(v.data(), static_cast<std::streamsize>(v.size()));
  };
  auto bad = bytes;
  bad[0] = 'X';
  write(bad);
  EXPECT_THROW(load_packed(*b, dir.file("bad.pack")), CorruptFileError);
  write(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2)));
  EXPECT_THROW(load_packed(*b, dir.file("bad.pack")), CorruptFileError);
  EXPECT_THROW(load_packed(*b, dir.file("none.pack")), MissingFileError);
}

TEST(Latency, ReportsOrderedPercentilesAndPeakMemory) {
  int calls = 0;
  auto l = measure_latency([&] { ++calls; }, 2, 9);
  EXPECT_EQ(calls, 11);
  EXPECT_EQ(l.reps, 9);
  EXPECT_GE(l.p50_ms, 0.0);
  EXPECT_GE(l.p95_ms, l.p50_ms);
  EXPECT_GT(peak_rss_bytes(), 0);
  EXPECT_THROW(measure_latency([] {}, 0, 0), InvalidInputError);
}

// Nearest-rank percentiles and the coefficient of variation (sample standard deviation over
// the mean) of known timings: {1, 3}: mean 2, sd sqrt(2), cv 0.70711; {5, 1, 4, 2, 3}: median
// 3, p95 the largest, sd sqrt(2.5) = 1.58114, cv 0.52705.
TEST(Latency, FiguresOfKnownTimings) {
  auto two = latency_of({3.0, 1.0});
  EXPECT_EQ(two.reps, 2);
  EXPECT_NEAR(two.cv, std::sqrt(2.0) / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(two.p95_ms, 3.0);
  auto five = latency_of({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(five.p50_ms, 3.0);
  EXPECT_DOUBLE_EQ(five.p95_ms, 5.0);
  EXPECT_NEAR(five.cv, 0.527046, 1e-6);
  EXPECT_EQ(latency_of({7.0}).cv, 0.0);
  EXPECT_THROW(latency_of({}), InvalidInputError);
}

// A measurement is noisy when other processes used over half a core before or after it, or
// a figure of at least 1 ms varied by over 30 %.
TEST(Latency, NoisyWhenOthersUseTheCoresOrFiguresVary) {
  EXPECT_FALSE(latency_is_noisy(0.0, 0.0, 0.0));
  EXPECT_FALSE(latency_is_noisy(0.5, 0.49, 0.3));
  EXPECT_TRUE(latency_is_noisy(0.51, 0.0, 0.0));
  EXPECT_TRUE(latency_is_noisy(0.0, 1.9, 0.0));
  EXPECT_TRUE(latency_is_noisy(0.0, 0.0, 0.31));
}

// While this process only sleeps, another process spinning on a core shows as about one
// core of other load; -1 never comes back on Linux.
TEST(Latency, OtherLoadSeesABusyProcess) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    alarm(5);  // the spinner never outlives the test
    for (volatile unsigned long i = 0;; i = i + 1) {
    }
  }
  const double busy = other_cpu_load(0.5);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_GT(busy, 0.5) << "a spinning child took less than half a core";
  EXPECT_LE(busy, static_cast<double>(std::thread::hardware_concurrency()) + 0.1);
}

TEST(Latency, ATimeBudgetCutsSlowCallsShortButTimesAtLeastMinReps) {
  // Calls of >= 30 ms against a 0.1 s budget: one warm-up call (over a tenth of the budget),
  // then timing stops at the first check past 0.1 s: after 3 (min_reps) or 4 calls.
  int calls = 0;
  auto slow = [&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  };
  auto l = measure_latency(slow, 3, 20, 0.1, 3);
  EXPECT_GE(l.reps, 3);
  EXPECT_LE(l.reps, 4);
  EXPECT_EQ(calls, l.reps + 1);
  EXPECT_GE(l.p50_ms, 30.0);
}

}  // namespace
}  // namespace dfq
