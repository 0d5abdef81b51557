#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "core/gen/generator.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "core/util/error.h"
#include "core/nn/modules.h"
#include "core/nn/tap_batch_norm.h"
#include "core/quant/layers.h"
#include "models/net.h"

namespace dfq {
namespace {

TEST(BNS, BatchVariantMatchesHandComputation) {
  // Input [N=2, C=2, H=1, W=2].
  auto x = torch::tensor({1.0f, 3.0f, 0.0f, 2.0f, 5.0f, 7.0f, 4.0f, 4.0f}).view({2, 2, 1, 2});
  auto rm = torch::tensor({1.0f, 2.0f}), rv = torch::tensor({1.0f, 4.0f});
  // Channel 0 values {1,3,5,7}: mean 4, biased var 5. Channel 1 {0,2,4,4}: mean 2.5, var 2.75.
  double mse_mean = ((4 - 1.0) * (4 - 1.0) + (2.5 - 2.0) * (2.5 - 2.0)) / 2;
  double mse_var = ((5 - 1.0) * (5 - 1.0) + (2.75 - 4.0) * (2.75 - 4.0)) / 2;
  auto t = BNStatsLoss::layer_term(x, rm, rv, BNSVariant::Batch);
  EXPECT_NEAR(t.item<double>(), mse_mean + mse_var, 1e-5);
}

TEST(BNS, PerSampleVariantMatchesHandComputation) {
  auto x = torch::tensor({1.0f, 3.0f, 0.0f, 2.0f, 5.0f, 7.0f, 4.0f, 4.0f}).view({2, 2, 1, 2});
  auto rm = torch::tensor({1.0f, 2.0f}), rv = torch::tensor({1.0f, 4.0f});
  // Per sample and channel: mean and sqrt(unbiased var + 1e-6) over the 2 pixels.
  double means[2][2] = {{2, 1}, {6, 4}};
  double vars[2][2] = {{2, 2}, {2, 0}};
  double eps = 1e-6, total = 0;
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 2; ++c) {
      double rmc = c == 0 ? 1 : 2, rsc = std::sqrt((c == 0 ? 1 : 4) + eps);
      total += (rmc - means[b][c]) * (rmc - means[b][c]) / 2;
      double s = std::sqrt(vars[b][c] + eps);
      total += (rsc - s) * (rsc - s) / 2;
    }
  auto t = BNStatsLoss::layer_term(x, rm, rv, BNSVariant::PerSample);
  EXPECT_NEAR(t.item<double>(), total, 1e-4);
}

TEST(BNS, HooksEveryBatchNormAndAveragesLayers) {
  auto net = make_model({"lenet5", 1, 10, 28});
  net->eval();
  BNStatsLoss bns(*net);
  EXPECT_EQ(bns.layers(), 2u);
  auto x = torch::randn({4, 1, 28, 28});
  net->forward(x);
  auto l = bns.loss();
  // Recompute by hand from the two BN inputs.
  auto bn = modules_of<TapBatchNorm2dImpl>(*net);
  std::vector<torch::Tensor> inputs;
  for (auto& [n, b] : bn) b->tap = [&](const torch::Tensor& in, TapBatchNorm2dImpl&) { inputs.push_back(in); };
  net->forward(x);
  ASSERT_EQ(inputs.size(), 2u);
  double expect = 0;
  for (size_t i = 0; i < 2; ++i)
    expect += BNStatsLoss::layer_term(inputs[i], bn[i].second->running_mean, bn[i].second->running_var,
                                      BNSVariant::Batch).item<double>();
  EXPECT_NEAR(l.item<double>(), expect / 2, 1e-5);
}

TEST(KD, BothReductionsMatchHandValues) {
  auto zq = torch::tensor({{1.0f, 0.0f}, {0.0f, 2.0f}});
  auto zp = torch::tensor({{0.0f, 1.0f}, {1.0f, 1.0f}});
  const double T = 2.0;
  auto softmax2 = [](double a, double b) {
    double ea = std::exp(a), eb = std::exp(b);
    return std::pair<double, double>{ea / (ea + eb), eb / (ea + eb)};
  };
  double sum = 0;
  double q[2][2] = {{1, 0}, {0, 2}}, p[2][2] = {{0, 1}, {1, 1}};
  for (int i = 0; i < 2; ++i) {
    auto [p0, p1] = softmax2(p[i][0] / T, p[i][1] / T);
    auto [q0, q1] = softmax2(q[i][0] / T, q[i][1] / T);
    sum += p0 * std::log(p0 / q0) + p1 * std::log(p1 / q1);
  }
  EXPECT_NEAR(kd_loss(zq, zp, T, 1.0, KDReduction::BatchMean).item<double>(), T * T * sum / 2, 1e-6);
  EXPECT_NEAR(kd_loss(zq, zp, T, 0.5, KDReduction::Mean).item<double>(), 0.5 * T * T * sum / 4, 1e-6);
  EXPECT_NEAR(kd_loss(zp, zp, T, 1.0, KDReduction::Mean).item<double>(), 0.0, 1e-7);
}

TEST(SoftCE, MatchesCrossEntropyOnOneHotAndHandValue) {
  auto logits = torch::tensor({{2.0f, 0.0f, -1.0f}, {0.5f, 0.5f, 0.0f}});
  auto y = torch::tensor({0, 2}, torch::kInt64);
  auto onehot = torch::one_hot(y, 3).to(torch::kFloat32);
  EXPECT_NEAR(soft_cross_entropy(logits, onehot).item<double>(), cross_entropy(logits, y).item<double>(), 1e-6);
  auto p = torch::tensor({{0.5f, 0.5f, 0.0f}, {0.0f, 0.0f, 1.0f}});
  double lse0 = std::log(std::exp(2.0) + 1 + std::exp(-1.0)), lse1 = std::log(2 * std::exp(0.5) + 1);
  double expect = (0.5 * (lse0 - 2.0) + 0.5 * lse0 + (lse1 - 0.0)) / 2;
  EXPECT_NEAR(soft_cross_entropy(logits, p).item<double>(), expect, 1e-6);
}

TEST(Generator, OutputShapes) {
  torch::manual_seed(0);
  for (auto [size, ch] : std::vector<std::pair<int, int>>{{28, 1}, {32, 3}}) {
    auto g = make_generator("gdfq", {10, 100, size, ch, 0.8});
    auto x = g->forward(torch::randn({5, 100}), torch::randint(0, 10, {5}, torch::kInt64));
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{5, ch, size, size}));
    // The final affine-free BN normalises each channel of the batch.
    EXPECT_NEAR(x.mean().item<double>(), 0.0, 1e-4);
  }
  auto cbn = make_generator("cbn", {100, 64, 32, 3, 0.8});
  auto x = cbn->forward(torch::randn({4, 64}), torch::randint(0, 100, {4}, torch::kInt64));
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  EXPECT_THROW(make_generator("gdfq", {10, 100, 30, 1, 0.8}), Error);
}

// The generator's upsample + 3x3 convolution as one 2x2 convolution on the small input
// equals the official nearest-upsample-then-convolve (forward, and the gradients for the
// input, the 3x3 weights and the bias), in double precision to rounding; odd and even
// sizes, and a hand-checked corner: output (0, 0) reads x(0, 0) with w11 + w12 + w21 + w22.
TEST(Generator, UpsampleConvEqualsConvOfTheUpsampledInput) {
  namespace F = torch::nn::functional;
  torch::manual_seed(3);
  for (auto [in, out, h, w] : std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>>{{5, 4, 7, 7}, {3, 2, 6, 5}}) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, out, 3).padding(1));
    conv->to(torch::kFloat64);
    auto x = torch::randn({2, in, h, w}, torch::kFloat64).requires_grad_(true);
    auto up = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0})
                                    .mode(torch::kNearest));
    auto want = conv->forward(up);
    auto got = upsample2_conv3x3(x, conv);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-12);
    auto g = torch::randn_like(want);
    auto grads_want = torch::autograd::grad({want}, {x, conv->weight, conv->bias}, {g});
    auto grads_got = torch::autograd::grad({got}, {x, conv->weight, conv->bias}, {g});
    for (size_t i = 0; i < 3; ++i) EXPECT_LT((grads_got[i] - grads_want[i]).abs().max().item<double>(), 1e-10) << i;
  }
  // One channel in and out, no bias: output (0, 0) of the upsampled image sees x(0, 0)
  // under w(1,1), w(1,2), w(2,1), w(2,2) (the other taps fall on the zero padding).
  torch::nn::Conv2d one(torch::nn::Conv2dOptions(1, 1, 3).padding(1).bias(false));
  {
    torch::NoGradGuard ng;
    one->weight.copy_(torch::arange(1.0, 10.0).view({1, 1, 3, 3}));
  }
  auto x = torch::tensor({{2.0f, 0.0f}, {0.0f, 0.0f}}).view({1, 1, 2, 2});
  EXPECT_FLOAT_EQ(upsample2_conv3x3(x, one)[0][0][0][0].item<float>(), 2.0f * (5 + 6 + 8 + 9));
  EXPECT_FLOAT_EQ(upsample2_conv3x3(x, one)[0][0][1][1].item<float>(), 2.0f * (1 + 2 + 4 + 5));
  EXPECT_FLOAT_EQ(upsample2_conv3x3(x, one)[0][0][2][2].item<float>(), 2.0f * 1);
  torch::nn::Conv2d strided(torch::nn::Conv2dOptions(1, 1, 3).padding(1).stride(2));
  EXPECT_THROW(upsample2_conv3x3(x, strided), c10::Error);
}

}  // namespace
}  // namespace dfq
