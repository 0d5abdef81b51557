// The multiply-adds `make bench` reports (core/eval/flops.h) against the formulas: a
// convolution's forward and each gradient its backward computes, a Linear layer's products.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/eval/flops.h"

namespace dfq {
namespace {

TEST(Flops, ConvolutionForwardAndEachComputedGradient) {
  torch::manual_seed(0);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(false));
  // N x Cout x H x W outputs, each Cin x kh x kw multiply-adds.
  const int64_t forward = 2 * 8 * 10 * 10 * 3 * 3 * 3;
  auto x = torch::randn({2, 3, 10, 10});
  EXPECT_EQ(count_multiply_adds([&] { torch::NoGradGuard ng; conv->forward(x); }), forward);
  // Backward with the weight's gradient only (the input needs none): one more forward's worth.
  EXPECT_EQ(count_multiply_adds([&] { conv->forward(x).sum().backward(); }), 2 * forward);
  // ... and with the input's gradient too.
  auto xg = x.clone().requires_grad_(true);
  EXPECT_EQ(count_multiply_adds([&] { conv->forward(xg).sum().backward(); }), 3 * forward);
  // Strided: the output is 5 x 5.
  torch::nn::Conv2d strided(torch::nn::Conv2dOptions(3, 8, 3).padding(1).stride(2).bias(false));
  EXPECT_EQ(count_multiply_adds([&] { torch::NoGradGuard ng; strided->forward(x); }), 2 * 8 * 5 * 5 * 3 * 3 * 3);
  // Transposed (stride 2, 4x4, the generator's upsampling convolution): each of the N x Cin
  // x H x W inputs spreads over Cout x 4 x 4 outputs, forward and per gradient.
  auto k = torch::randn({3, 8, 4, 4}, torch::requires_grad());
  namespace F = torch::nn::functional;
  const auto opts = F::ConvTranspose2dFuncOptions().stride(2).padding(1);
  const int64_t transposed = 2 * 3 * 10 * 10 * 8 * 4 * 4;
  EXPECT_EQ(count_multiply_adds([&] { torch::NoGradGuard ng; F::conv_transpose2d(x, k, opts); }), transposed);
  EXPECT_EQ(count_multiply_adds([&] { F::conv_transpose2d(xg, k, opts).sum().backward(); }), 3 * transposed);
}

TEST(Flops, LinearLayersCountTheirMatrixProducts) {
  torch::manual_seed(0);
  torch::nn::Linear fc(5, 4);
  auto x = torch::randn({2, 5});
  EXPECT_EQ(count_multiply_adds([&] { torch::NoGradGuard ng; fc->forward(x); }), 2 * 5 * 4);
  // Backward: the weight's gradient (4 x 2 times 2 x 5); the input needs none.
  EXPECT_EQ(count_multiply_adds([&] { fc->forward(x).sum().backward(); }), 2 * (2 * 5 * 4));
  // Nothing is counted outside the call.
  EXPECT_EQ(count_multiply_adds([] {}), 0);
}

TEST(Flops, PeakIsMeasuredAndNamesItsAssumptions) {
  const FmaPeak p = fma_peak(1);
  EXPECT_EQ(p.threads, 1);
  if (p.vector_bits < 256) GTEST_SKIP() << "no AVX2/FMA: the peak is not measured";
  EXPECT_GT(p.measured_gflops, 1.0);
  EXPECT_NE(p.summary.find("measured"), std::string::npos) << p.summary;
  EXPECT_NE(p.summary.find("2 FMA pipes"), std::string::npos) << p.summary;
}

}  // namespace
}  // namespace dfq
