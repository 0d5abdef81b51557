#include <gtest/gtest.h>

#include <cmath>

#include "core/quant/fake_quant.h"
#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/quant/quantize.h"
#include "core/quant/range_tracker.h"
#include "core/util/error.h"
#include "models/net.h"

namespace dfq {
namespace {

// The ZeroQ formula written out element by element in float arithmetic.
float reference_fake_quant(float x, float lo, float hi, int k) {
  const float n = std::pow(2.0f, k) - 1.0f, half = std::pow(2.0f, k - 1);
  const float s = n / std::max(hi - lo, 1e-8f);  // the official clamp of a zero-width range
  const float zp = std::nearbyint(s * lo) + half;
  float q = std::nearbyint(x * s - zp);
  q = std::min(std::max(q, -half), half - 1.0f);
  return (q + zp) / s;
}

TEST(FakeQuant, HandValuesAtFourBits) {
  // [-1, 1], k = 4: s = 7.5, zp = round(-7.5) + 8 = 0, grid q / 7.5 with q in [-8, 7].
  auto x = torch::tensor({-1.0f, -0.5f, 0.0f, 0.5f, 1.0f});
  auto y = fake_quant_forward(x, torch::tensor(-1.0f), torch::tensor(1.0f), 4);
  std::vector<float> expect = {-8 / 7.5f, -4 / 7.5f, 0.0f, 4 / 7.5f, 7 / 7.5f};  // 1.0 saturates at q = 7
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i].item<float>(), expect[i], 1e-6) << i;
}

TEST(FakeQuant, PerChannelWeightsMatchFormulaForAllBitWidths) {
  torch::manual_seed(3);
  auto w = torch::randn({4, 3, 3, 3});
  {
    torch::NoGradGuard ng;
    w[1].sub_(5.0);   // entirely negative channel
    w[2].mul_(0.01);  // narrow channel
    w[3].fill_(0.7);  // constant channel: every value within 1e-8 of 0.7
  }
  for (int k = 2; k <= 8; ++k) {
    auto y = fake_quant_weight(w, k);
    for (int c = 0; c < 4; ++c) {
      auto wc = w[c].flatten();
      float lo = wc.min().item<float>(), hi = wc.max().item<float>();
      auto yc = y[c].flatten();
      std::set<float> levels;
      for (int64_t i = 0; i < wc.numel(); ++i) {
        float e = reference_fake_quant(wc[i].item<float>(), lo, hi, k);
        EXPECT_NEAR(yc[i].item<float>(), e, 1e-5 * std::max(1.0f, std::fabs(e))) << "k=" << k << " c=" << c;
        levels.insert(yc[i].item<float>());
      }
      EXPECT_LE(levels.size(), size_t(1) << k);
    }
    EXPECT_TRUE(torch::allclose(y[3], w[3], 0, 1e-6)) << "constant channel keeps its value, k=" << k;
  }
}

TEST(FakeQuant, ErrorShrinksWithBits) {
  torch::manual_seed(0);
  auto w = torch::randn({8, 16});
  double prev = 1e9;
  for (int k = 2; k <= 8; ++k) {
    double err = (fake_quant_weight(w, k) - w).abs().max().item<double>();
    EXPECT_LT(err, prev);
    prev = err;
  }
  EXPECT_TRUE(torch::equal(fake_quant_weight(w, 32), w));
}

TEST(FakeQuant, StraightThroughGradientIsIdentity) {
  auto w = torch::randn({3, 5}, torch::requires_grad());
  auto coeff = torch::randn({3, 5});
  (fake_quant_weight(w, 3) * coeff).sum().backward();
  EXPECT_TRUE(torch::equal(w.grad(), coeff));
  // Activations outside the frozen range still get the gradient (no clipping mask).
  auto a = torch::tensor({-5.0f, 0.5f, 50.0f}, torch::requires_grad());
  fake_quant_activation(a, 0.0, 1.0, 4).sum().backward();
  EXPECT_TRUE(torch::equal(a.grad(), torch::ones({3})));
}

TEST(FakeQuant, BadBitWidthsAreRejected) {
  EXPECT_THROW(check_bits(1, "weight"), InvalidInputError);
  EXPECT_THROW(check_bits(9, "weight"), InvalidInputError);
  EXPECT_THROW(check_bits(16, "activation"), InvalidInputError);
  EXPECT_NO_THROW(check_bits(2, "weight"));
  EXPECT_NO_THROW(check_bits(32, "weight"));
}

TEST(RangeTracker, OfficialCompoundsTheBiasCorrection) {
  RangeTracker t(RangeTrackerKind::Official, 0.9);
  t.update(0.0, 1.0);
  EXPECT_NEAR(t.max(), 1.0, 1e-12);  // (0.9*0 + 0.1) / (1 - 0.9)
  t.update(0.0, 1.0);
  EXPECT_NEAR(t.max(), (0.9 * 1.0 + 0.1) / (1 - 0.81), 1e-12);  // 5.26
  for (int i = 2; i < 10; ++i) t.update(0.0, 1.0);
  EXPECT_GT(t.max(), 1000.0);  // docs/methods.md: ~1,100 after 10 updates
  for (int i = 10; i < 400; ++i) t.update(0.0, 1.0);
  EXPECT_NEAR(t.max(), 1.0, 1e-3);  // settles after a few hundred
}

TEST(RangeTracker, EmaAndMinMax) {
  RangeTracker e(RangeTrackerKind::Ema, 0.9);
  e.update(-2.0, 1.0);
  EXPECT_NEAR(e.min(), -2.0, 1e-12);
  EXPECT_NEAR(e.max(), 1.0, 1e-12);
  e.update(0.0, 3.0);
  // raw = 0.9*0.1*1 + 0.1*3 = 0.39; / (1 - 0.81)
  EXPECT_NEAR(e.max(), 0.39 / 0.19, 1e-12);
  RangeTracker m(RangeTrackerKind::MinMax);
  m.update(-1.0, 2.0);
  m.update(0.5, 1.0);
  m.update(-3.0, 1.5);
  EXPECT_EQ(m.min(), -3.0);
  EXPECT_EQ(m.max(), 2.0);
  QuantConfig q;
  Config c(quant_block().schema(q));
  EXPECT_THROW(c.set("range_tracker", "median"), InvalidInputError);
}

TEST(QuantizeModel, WalksTheTreeAndFreezesRangesAfterCalibration) {
  auto net = make_model({"resnet20", 1, 10, 28});
  net->eval();
  QuantConfig qc;
  qc.w_bits = 4;
  qc.a_bits = 3;
  qc.keep_first_last_8bit = true;
  qc.tracker = RangeTrackerKind::MinMax;
  auto s = quantize_model(*net, qc);
  EXPECT_EQ(s.weight_layers, 22);  // 21 convs + fc
  EXPECT_EQ(s.activation_layers, 19);
  EXPECT_EQ(s.first_last_8bit, 2);
  auto convs = modules_of<QConv2dImpl>(*net);
  EXPECT_EQ(convs.front().second->weight_bits, 8);
  EXPECT_EQ(convs[1].second->weight_bits, 4);
  EXPECT_EQ(modules_of<QLinearImpl>(*net).back().second->weight_bits, 8);
  torch::NoGradGuard ng;
  net->forward(torch::randn({4, 1, 28, 28}));
  EXPECT_EQ(calibration_updates(*net), 1);
  set_calibration(*net, false);
  auto act = modules_of<QActImpl>(*net).front().second;
  double hi = act->tracker.max();
  net->forward(torch::randn({4, 1, 28, 28}) * 10);
  EXPECT_EQ(calibration_updates(*net), 1);
  EXPECT_EQ(act->tracker.max(), hi);
  // The activations really are quantized: at most 2^3 distinct values after a QAct.
  auto y = act->forward(torch::randn({1000}) * 3);
  EXPECT_LE(std::get<0>(at::_unique(y)).numel(), 8);
  EXPECT_THROW(quantize_model(*net, {9, 4}), InvalidInputError);
}

}  // namespace
}  // namespace dfq

namespace dfq {
namespace {

// The fused CPU kernel (contiguous float32, per-tensor or per-channel range) and the tensor
// formula (taken for a non-contiguous input) agree bit for bit, ties and clamping included.
// A zero-width range is clamped to 1e-8 as in the official code: every value lands on
// (within 1e-8 of) the range's one point, whatever the input; the student is quantized,
// never left in float (an uncalibrated activation quantizer has the range [0, 0]).
TEST(FakeQuant, ZeroWidthRangeCollapsesToItsPoint) {
  auto x = torch::tensor({-3.0f, 0.0f, 0.5f, 2.0f, 7.0f});
  for (int bits : {2, 4, 8}) {
    auto at_zero = fake_quant_activation(x, 0.0, 0.0, bits);
    EXPECT_TRUE(torch::allclose(at_zero, torch::zeros_like(x), 0, 1e-6)) << at_zero;
    auto at_one = fake_quant_forward(x, torch::tensor(1.0f), torch::tensor(1.0f), bits);
    EXPECT_TRUE(torch::allclose(at_one, torch::ones_like(x), 0, 1e-6)) << at_one;
    auto strided = torch::stack({x, x}, 1).select(1, 0);  // not contiguous: the tensor path
    ASSERT_FALSE(strided.is_contiguous());
    EXPECT_TRUE(torch::equal(fake_quant_forward(strided, torch::tensor(1.0f), torch::tensor(1.0f), bits), at_one));
  }
}

TEST(FakeQuant, FusedKernelEqualsTensorFormulaBitForBit) {
  torch::manual_seed(8);
  for (int bits : {2, 3, 4, 6, 8}) {
    auto base = torch::randn({64, 48}) * 3.0;
    // Exact ties: values on half-steps of the [-1, 2] grid.
    base.slice(0, 0, 4).copy_(torch::arange(-1.0, 2.0, 3.0 / 192.0).view({4, 48}));
    auto strided = base.t().contiguous().t();  // same values, not contiguous: tensor path
    ASSERT_FALSE(strided.is_contiguous());
    auto lo = torch::tensor(-1.0f), hi = torch::tensor(2.0f);
    EXPECT_TRUE(torch::equal(fake_quant_forward(base, lo, hi, bits), fake_quant_forward(strided, lo, hi, bits)))
        << bits;
    auto [clo, chi] = torch::aminmax(base, 1);
    clo = clo.view({64, 1}).contiguous();
    chi = chi.view({64, 1}).contiguous();
    chi[5] = clo[5];  // a zero-width range
    EXPECT_TRUE(torch::equal(fake_quant_forward(base, clo, chi, bits), fake_quant_forward(strided, clo, chi, bits)))
        << bits;
  }
}

}  // namespace
}  // namespace dfq
