// Integer export: quantization parameters against their formulas, one conv against the
// fake-quantized float computation, and whole models against their fake-quantized selves
// on the Fashion-MNIST test set.
#include <gtest/gtest.h>

#include <cmath>

#include "core/data/dataset.h"
#include "core/eval/accuracy.h"
#include "core/quant/fake_quant.h"
#include "core/quant/int8.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"
#include "models/zoo.h"

namespace dfq {
namespace {

TEST(Int8, RangeQParamsFormula) {
  // [-1, 3] on 8 bits: scale 4/255, zero point round(1 / scale) = 64.
  auto q = range_qparams(-1.0, 3.0, 8);
  EXPECT_DOUBLE_EQ(q.scale, 4.0 / 255.0);
  EXPECT_EQ(q.zero_point, 64);
  EXPECT_NEAR(q.lo, -64 * 4.0 / 255.0, 1e-12);
  EXPECT_NEAR(q.hi, 191 * 4.0 / 255.0, 1e-12);
  EXPECT_FALSE(q.clamp);
  // A range that excludes 0 is widened to hold it; 7 bits clamp to 128 codes.
  auto p = range_qparams(0.5, 2.0, 7);
  EXPECT_DOUBLE_EQ(p.scale, 2.0 / 127.0);
  EXPECT_EQ(p.zero_point, 0);
  EXPECT_TRUE(p.clamp);
}

TEST(Int8, ActivationGridIsTheStudentsGrid) {
  QActImpl act;
  act.bits = 4;
  act.tracker.set_range(0.0, 3.0);
  auto q = act_qparams(act, Int8Options{});
  // s = 15 / 3 = 5: values m / 5, m in [0, 15].
  EXPECT_DOUBLE_EQ(q.scale, 0.2);
  EXPECT_EQ(q.zero_point, 0);
  EXPECT_DOUBLE_EQ(q.hi, 3.0);
  EXPECT_TRUE(q.clamp);
  EXPECT_TRUE(q.exact);
  // Quantize -> clamp -> dequantize is the student's quantizer (random points: exact ties
  // between two levels may round either way in float arithmetic).
  torch::manual_seed(5);
  auto x = torch::rand({2000}) * 5.0 - 1.0;
  auto student = fake_quant_activation(torch::relu(x), 0.0, 3.0, 4);
  auto codes = at::clamp(quantize_input(torch::relu(x), q), q.lo, q.hi).dequantize();
  EXPECT_TRUE(torch::allclose(codes, student, 0, 1e-6));

  // 8-bit activations with reduce_range become 7-bit, flagged as not exact.
  act.bits = 8;
  Int8Options reduced;
  reduced.reduce_range = true;
  auto r = act_qparams(act, reduced);
  EXPECT_DOUBLE_EQ(r.scale, 3.0 / 127.0);
  EXPECT_FALSE(r.exact);
  Int8Options full;
  full.reduce_range = false;
  EXPECT_TRUE(act_qparams(act, full).exact);

  act.bits = 32;
  EXPECT_THROW(act_qparams(act, full), InvalidInputError);
}

TEST(Int8, ConvWithFoldedBatchNormMatchesFakeQuantFloat) {
  torch::manual_seed(11);
  QConv2dImpl conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(false));
  conv.weight_bits = 4;
  TapBatchNorm2dImpl bn(8);
  {
    torch::NoGradGuard ng;
    bn.weight.uniform_(-1.5, 1.5);  // negative gains flip the sign of the folded weights
    bn.bias.uniform_(-0.5, 0.5);
    bn.running_mean.uniform_(-0.3, 0.3);
    bn.running_var.uniform_(0.5, 2.0);
  }
  bn.eval();
  QActImpl in_act, out_act;
  in_act.bits = out_act.bits = 4;
  in_act.tracker.set_range(0.0, 2.0);
  out_act.tracker.set_range(0.0, 4.0);
  Int8Options o;
  const auto qin = act_qparams(in_act, o), qout = act_qparams(out_act, o);
  Int8Conv iconv(conv, &bn, /*relu=*/true, qout);

  // The folded weights are exact: codes x scale == fake-quant weight x BN gain.
  torch::NoGradGuard ng;
  auto gain = bn.weight / torch::sqrt(bn.running_var + bn.eps);
  auto folded = fake_quant_weight(conv.weight, 4) * gain.view({8, 1, 1, 1});
  auto decoded = iconv.weight_codes.to(torch::kDouble) * iconv.weight_scales.view({8, 1, 1, 1});
  EXPECT_TRUE(torch::allclose(decoded.to(torch::kFloat), folded, 1e-5, 1e-6));
  EXPECT_LE(iconv.weight_codes.abs().max().item<int64_t>(), 15);

  auto x = fake_quant_activation(torch::relu(torch::randn({2, 3, 10, 10})), 0.0, 2.0, 4);
  auto reference = fake_quant_activation(torch::relu(bn.forward(conv.forward(x))), 0.0, 4.0, 4);
  auto got = iconv(quantize_input(x, qin)).dequantize();
  // Same grid; the integer pipeline may round an element to the neighbouring level.
  auto diff = (got - reference).abs();
  EXPECT_LE(diff.max().item<double>(), qout.scale + 1e-5);
  EXPECT_LT((diff > 1e-5).to(torch::kDouble).mean().item<double>(), 0.01);
}

struct Setup {
  Net student;
  DataSplits data;
  Int8Options options;
};

// The committed Fashion-MNIST teacher, quantized and calibrated (min/max ranges) on 1,024
// training images.
Setup quantized_teacher(const std::string& model, int bits) {
  Setup s{load_teacher("fashion-mnist", model, default_zoo_dir()), load_dataset("fashion-mnist"), {}};
  QuantConfig qc;
  qc.w_bits = qc.a_bits = bits;
  qc.tracker = RangeTrackerKind::MinMax;
  quantize_model(*s.student, qc);
  s.student->eval();
  {
    torch::NoGradGuard ng;
    auto x = normalize_images(s.data.train.images.slice(0, 0, 1024), s.data.info);
    for (int64_t i = 0; i < 1024; i += 128) s.student->forward(x.slice(0, i, i + 128));
  }
  set_calibration(*s.student, false);
  std::tie(s.options.input_lo, s.options.input_hi) = normalized_range(s.data.info);
  return s;
}

// Both settings of reduce_range are checked whatever this CPU has: the 7-bit activations a
// CPU without VNNI needs, and full 8 bits (saturating without VNNI, so only checked with it).
TEST(Int8, ResNet20W8A8Within0p3PointsOfFakeQuantOnTheTestSet) {
  torch::set_num_threads(2);
  auto s = quantized_teacher("resnet20", 8);
  const auto fq = evaluate([&](const torch::Tensor& x) { return s.student->forward(x); }, s.data.test, s.data.info);
  EXPECT_GT(fq.top1, 90.0);
  for (bool reduce : {true, false}) {
    if (!reduce && !cpu_has_vnni()) continue;
    s.options.reduce_range = reduce;
    auto int8 = s.student->to_int8(s.options);
    ASSERT_TRUE(int8);
    // stem + input + 9 units x 3 + 2 projections
    EXPECT_EQ(int8->total_points(), 31);
    const auto iq = evaluate([&](const torch::Tensor& x) { return int8->forward(x); }, s.data.test, s.data.info);
    EXPECT_EQ(iq.n, 10000);
    std::cout << "reduce_range " << reduce << ": fake-quant " << fq.top1 << " int8 " << iq.top1 << "\n";
    EXPECT_NEAR(iq.top1, fq.top1, 0.3) << "reduce_range " << reduce << ": fake-quant " << fq.top1 << " int8 "
                                       << iq.top1;
  }
}

// At W4A4 every activation after a ReLU is on the student's grid; the 8-bit pre-addition
// branches still move some values across a 4-bit level, which changes ambiguous predictions
// (measured: 93.4 % agreement, 88.15 vs 88.10 % top-1) but not the accuracy.
TEST(Int8, ResNet20W4A4AgreesWithFakeQuant) {
  torch::set_num_threads(2);
  auto s = quantized_teacher("resnet20", 4);
  auto int8 = s.student->to_int8(s.options);
  ASSERT_TRUE(int8);
  EXPECT_EQ(int8->exact_points(), 19);  // stem + 2 per unit; not the input or pre-addition branches
  auto test = s.data.test.subset([] {
    std::vector<int64_t> idx(2000);
    for (int64_t i = 0; i < 2000; ++i) idx[i] = i;
    return idx;
  }());
  torch::NoGradGuard ng;
  auto la = logits_of([&](const torch::Tensor& x) { return s.student->forward(x); }, test, s.data.info);
  auto lb = logits_of([&](const torch::Tensor& x) { return int8->forward(x); }, test, s.data.info);
  const double agree = la.argmax(1).eq(lb.argmax(1)).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(agree, 0.9) << agree;
  EXPECT_NEAR(accuracy_of(lb, test.labels).top1, accuracy_of(la, test.labels).top1, 0.5);
}

TEST(Int8, LeNetAgreesWithFakeQuant) {
  auto s = quantized_teacher("lenet5", 6);
  auto int8 = s.student->to_int8(s.options);
  ASSERT_TRUE(int8);
  EXPECT_EQ(int8->total_points(), 5);
  EXPECT_EQ(int8->exact_points(), 4);
  torch::NoGradGuard ng;
  auto x = normalize_images(s.data.test.images.slice(0, 0, 1000), s.data.info);
  auto a = s.student->forward(x).argmax(1);
  auto b = int8->forward(x).argmax(1);
  EXPECT_GT(a.eq(b).to(torch::kDouble).mean().item<double>(), 0.98);
}

// MobileNetV2 (no trained teacher here): random weights with BatchNorm statistics set on the
// inputs it sees, W6A6, ranges calibrated on them. Every activation after ReLU6 is on the
// student's grid (the stem, two per unit, the final block); the input, the 17 projections
// and the 10 residual sums, which the student keeps in float, get 8 bits.
TEST(Int8, MobileNetV2AgreesWithFakeQuant) {
  torch::set_num_threads(2);
  torch::manual_seed(11);
  Net net = make_model({"mobilenetv2", 3, 10, 32});
  torch::NoGradGuard ng;
  net->train();
  for (int i = 0; i < 10; ++i) net->forward(torch::randn({64, 3, 32, 32}));
  net->eval();
  QuantConfig qc;
  qc.w_bits = qc.a_bits = 6;
  qc.tracker = RangeTrackerKind::MinMax;
  quantize_model(*net, qc);
  net->eval();
  for (int i = 0; i < 4; ++i) net->forward(torch::randn({64, 3, 32, 32}).clamp(-3, 3));
  set_calibration(*net, false);
  Int8Options o;
  o.input_lo = -3;
  o.input_hi = 3;
  auto int8 = net->to_int8(o);
  ASSERT_TRUE(int8);
  EXPECT_EQ(int8->total_points(), 64);
  EXPECT_EQ(int8->exact_points(), 36);
  auto x = torch::randn({256, 3, 32, 32}).clamp(-3, 3);
  auto a = net->forward(x), b = int8->forward(x);
  const double agree = a.argmax(1).eq(b.argmax(1)).to(torch::kDouble).mean().item<double>();
  // The logits of a random network share a large per-image offset; compare what decides.
  const auto ac = a - a.mean(1, true), bc = b - b.mean(1, true);
  const double rel = ((ac - bc).norm() / ac.norm()).item<double>();
  std::cout << "MobileNetV2 W6A6: argmax agreement " << agree << ", relative logit error " << rel << "\n";
  // Measured: agreement 0.77, error 0.053. Random weights make many predictions ambiguous,
  // and the 27 float-in-the-student points move them; a lowering that dropped the residual
  // inputs gave agreement 0 and error 0.086.
  EXPECT_GT(agree, 0.6);
  EXPECT_LT(rel, 0.07);
}

}  // namespace
}  // namespace dfq
