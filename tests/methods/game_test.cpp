#include <gtest/gtest.h>

#include <cmath>

#include "core/gen/generator.h"
#include "core/losses/bns.h"
#include "core/losses/losses.h"
#include "methods/game.h"
#include "methods/method.h"
#include "models/zoo.h"

namespace dfq {
namespace {

double binary_entropy(double a) {  // H(softmax([a, 0]))
  double p = 1.0 / (1.0 + std::exp(-a));
  return -(p * std::log(p) + (1 - p) * std::log(1 - p));
}

double ce2(double a, double b, int y) {  // CE(softmax([a, b]), y)
  double lse = std::log(std::exp(a) + std::exp(b));
  return lse - (y == 0 ? a : b);
}

// Three samples, C = 2: z_p - z_q = [0,0] (h' = 1, above the upper bound), [10,0]
// (the batch minimum: h' = 0, below the lower bound), [1.5,0] (inside).
StepTensors fixed_step() {
  StepTensors s;
  s.z_q = torch::tensor({{1.0f, 2.0f}, {-4.0f, 1.0f}, {0.5f, 0.0f}});
  s.z_p = s.z_q + torch::tensor({{0.0f, 0.0f}, {10.0f, 0.0f}, {1.5f, 0.0f}});
  s.y = torch::tensor({1, 0, 1}, torch::kInt64);
  s.targets = torch::one_hot(s.y, 2).to(torch::kFloat32);
  s.bns = torch::tensor(0.25f);
  s.num_classes = 2;
  return s;
}

TEST(Game, NormalizedEntropyAndMarginalByHand) {
  auto s = fixed_step();
  const double h[3] = {binary_entropy(0), binary_entropy(10), binary_entropy(1.5)};
  const double hmin = h[1], logc = std::log(2.0);
  auto hp = normalized_disagreement_entropy(s.z_p, s.z_q);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(hp[i].item<double>(), (h[i] - hmin) / (logc - hmin), 1e-5) << i;
  EXPECT_NEAR(hp[0].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(hp[1].item<double>(), 0.0, 1e-6);
  double inside = (h[2] - hmin) / (logc - hmin);
  ASSERT_GT(inside, 0.3);
  ASSERT_LT(inside, 0.8);
  // Below: 0.3 - 0 for sample 1; above: 1 - 0.8 for sample 0; inside contributes nothing.
  EXPECT_NEAR(marginal_loss(hp, 0.3, 0.8).item<double>(), 0.3 / 3 + 0.2 / 3, 1e-5);
}

TEST(Game, GeneratorTermsByHand) {
  auto s = fixed_step();
  GameParams p;  // AdaSG defaults
  auto t = game_generator_terms(s, p);
  ASSERT_EQ(t.size(), 5u);
  float zp[3][2], zq[3][2];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      zp[i][j] = s.z_p[i][j].item<float>();
      zq[i][j] = s.z_q[i][j].item<float>();
    }
  int y[3] = {1, 0, 1};
  double l_ds = 0, l_as = 0;
  for (int i = 0; i < 3; ++i) {
    l_ds += ce2(zp[i][0] - zq[i][0], zp[i][1] - zq[i][1], y[i]) / 3;
    l_as += ce2(zp[i][0] + zq[i][0], zp[i][1] + zq[i][1], y[i]) / 3;
  }
  double marginal = 0.3 / 3 + 0.2 / 3;
  EXPECT_NEAR(t[1].second.item<double>(), marginal, 1e-5);
  EXPECT_NEAR(t[2].second.item<double>(), l_ds, 1e-5);
  EXPECT_NEAR(t[3].second.item<double>(), l_as, 1e-5);
  EXPECT_NEAR(t[0].second.item<double>(), marginal + 0.1 * l_ds + 0.1 * l_as + 1.0 * 0.25, 1e-5);
  // Ablations drop exactly their term.
  p.use_ds = false;
  EXPECT_NEAR(game_generator_terms(s, p)[0].second.item<double>(), marginal + 0.1 * l_as + 0.25, 1e-5);
  p.use_as = false;
  p.use_marginal = false;
  EXPECT_NEAR(game_generator_terms(s, p)[0].second.item<double>(), 0.25, 1e-6);
}

TEST(Game, StudentLossBothFormsByHand) {
  auto s = fixed_step();
  GameParams p;
  const double T = 20.0;
  double code = 0, paper = 0;
  const double d[3] = {0.0, 10.0, 1.5};
  for (double a : d) {
    code += -T * T * binary_entropy(a / T) / 3;
    paper += (1 - binary_entropy(a) / std::log(2.0)) / 3;
  }
  EXPECT_NEAR(game_student_terms(s, p)[0].second.item<double>(), code, 1e-3);
  p.q_loss = QLossForm::Paper;
  EXPECT_NEAR(game_student_terms(s, p)[0].second.item<double>(), paper, 1e-5);
}

TEST(Game, AgreementGivesMinusTSquaredLogC) {
  StepTensors s;
  s.z_p = torch::randn({6, 10});
  s.z_q = s.z_p.clone();
  GameParams p;
  p.temperature = 20.0;
  EXPECT_NEAR(game_student_terms(s, p)[0].second.item<double>(), -400.0 * std::log(10.0), 1e-3);
  p.temperature = 5.0;
  EXPECT_NEAR(game_student_terms(s, p)[0].second.item<double>(), -25.0 * std::log(10.0), 1e-4);
  p.q_loss = QLossForm::Paper;
  EXPECT_NEAR(game_student_terms(s, p)[0].second.item<double>(), 0.0, 1e-6);
}

// One G step on fixed P and Q raises the disagreement toward the label (lowers L_ds);
// one Q step lowers L_Q. For the G step Q is a full-precision copy of P with perturbed
// weights: a smooth Q, so a small step is a descent step. (With an 8-bit Q the fake
// quantizer's bin flips moved L_ds as much as the step did, and the sign depended on the
// CPU's kernels: 2.2960 -> 2.2975 on an AVX2 EPYC.)
TEST(Game, GradientDirections) {
  torch::manual_seed(1);
  auto teacher = load_teacher("fashion-mnist", "lenet5", default_zoo_dir());
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  RunContext ctx;
  ctx.teacher = teacher;
  ctx.quant.w_bits = 32;
  ctx.quant.a_bits = 32;
  ctx.quant.tracker = RangeTrackerKind::MinMax;
  Net student = ctx.make_student();
  {
    torch::NoGradGuard ng;
    for (auto& p : student->parameters()) p.add_(torch::randn_like(p) * 0.1 * p.std());
  }
  auto gen = make_generator("gdfq", {10, 100, 28, 1, 0.8});
  gen->train();
  auto z = torch::randn({32, 100});
  auto y = torch::randint(0, 10, {32}, torch::kInt64);
  GameParams only_ds;
  only_ds.use_as = only_ds.use_marginal = false;
  only_ds.w_bns = 0;
  auto step_terms = [&](const GameParams& p) {
    StepTensors s;
    s.x = gen->forward(z, y);
    s.y = y;
    s.targets = torch::one_hot(y, 10).to(torch::kFloat32);
    s.z_p = teacher->forward(s.x);
    s.z_q = student->forward(s.x);
    s.bns = torch::zeros({});
    return std::make_pair(s, game_generator_terms(s, p));
  };
  torch::optim::SGD opt_g(gen->parameters(), torch::optim::SGDOptions(1e-2));
  auto [s_cal, t_cal] = step_terms(only_ds);  // sets Q's ranges on these images
  set_calibration(*student, false);
  auto [s0, t0] = step_terms(only_ds);
  auto margin0 = (s0.z_p - s0.z_q).gather(1, y.view({-1, 1})).mean().item<double>();
  opt_g.zero_grad();
  t0[0].second.backward();
  opt_g.step();
  auto [s1, t1] = step_terms(only_ds);
  EXPECT_LT(t1[2].second.item<double>(), t0[2].second.item<double>());
  EXPECT_GT((s1.z_p - s1.z_q).gather(1, y.view({-1, 1})).mean().item<double>(), margin0);

  // Q step on fixed images: L_Q (code form) goes down. A 4-bit student disagrees enough
  // with P for the entropy to be below its maximum.
  GameParams p;
  p.temperature = 1.0;
  auto x = s1.x.detach();
  auto zp = s1.z_p.detach();
  ctx.quant.w_bits = 4;
  ctx.quant.a_bits = 4;
  student = ctx.make_student();
  student->forward(x);
  set_calibration(*student, false);
  torch::optim::SGD opt_q(student->parameters(), torch::optim::SGDOptions(1e-3));
  StepTensors q;
  q.z_p = zp;
  q.z_q = student->forward(x);
  auto lq0 = game_student_terms(q, p)[0].second;
  opt_q.zero_grad();
  lq0.backward();
  opt_q.step();
  q.z_q = student->forward(x);
  EXPECT_LT(game_student_terms(q, p)[0].second.item<double>(), lq0.item<double>());
}

}  // namespace
}  // namespace dfq
