// The distinctive terms of the baselines built on direct synthesis or mixed labels
// (ZeroQ, IntraQ, Qimera), the plateau schedule, the resized-crop augmentation and the
// image cache, each against values worked out by hand here.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "core/data/batch_loader.h"
#include "core/gen/generator.h"
#include "core/gen/synthesis.h"
#include "core/losses/losses.h"
#include "core/data/image_cache.h"
#include "core/util/error.h"
#include "core/util/sha256.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(ZeroQ, InputTermMatchesHandComputation) {
  // Two samples, one channel, two pixels: {1, 3} (mean 2, unbiased var 2) and {0, 0}.
  auto x = torch::tensor({1.0, 3.0, 0.0, 0.0}, torch::kFloat64).view({2, 1, 1, 2});
  const double std0 = std::sqrt(2.0 + 1e-6), std1 = std::sqrt(1e-6);
  const double expected = (2.0 * 2.0 + 0.0) / 2 + ((std0 - 1) * (std0 - 1) + (std1 - 1) * (std1 - 1)) / 2;
  EXPECT_NEAR(zeroq_input_loss(x).item<double>(), expected, 1e-12);
  // Per channel: a second channel that is already N(0,1)-like adds nothing for its mean.
  auto y = torch::tensor({1.0, -1.0, 1.0, -1.0}, torch::kFloat64).view({1, 2, 1, 2});
  const double s = std::sqrt(2.0 + 1e-6);
  EXPECT_NEAR(zeroq_input_loss(y).item<double>(), 2 * (s - 1) * (s - 1), 1e-12);
}

TEST(IntraQ, SoftInceptionLossMatchesHandComputation) {
  // Sample 0: logits (0, 0) -> p_y = 0.5, target 0.5 -> 0. Sample 1: (ln 3, 0) -> p_0 = 0.75,
  // target 1 -> 0.0625. Mean 0.03125.
  auto logits = torch::tensor({0.0, 0.0, std::log(3.0), 0.0}, torch::kFloat64).view({2, 2});
  auto labels = torch::tensor({0, 0}, torch::kInt64);
  auto targets = torch::tensor({0.5, 1.0}, torch::kFloat64);
  EXPECT_NEAR(soft_inception_loss(logits, labels, targets).item<double>(), 0.03125, 1e-12);
  // Label 1 of sample 1: p = 0.25, target 1 -> 0.5625; sample 0 unchanged.
  labels = torch::tensor({0, 1}, torch::kInt64);
  EXPECT_NEAR(soft_inception_loss(logits, labels, targets).item<double>(), 0.5625 / 2, 1e-12);
}

TEST(IntraQ, SoftInceptionTargetsSoftenHalfTheBatch) {
  torch::manual_seed(1);
  auto gen = at::detail::getDefaultCPUGenerator();
  auto t = soft_inception_targets(10, 0.95, gen);
  ASSERT_EQ(t.size(0), 10);
  for (int i = 0; i < 5; ++i) {
    EXPECT_GE(t[i].item<double>(), 0.95);
    EXPECT_LE(t[i].item<double>(), 1.0);
  }
  for (int i = 5; i < 10; ++i) EXPECT_EQ(t[i].item<double>(), 1.0);
  EXPECT_LT(t.narrow(0, 0, 5).max().item<double>(), 1.0);  // drawn, not all 1
}

TEST(IntraQ, MarginalDistanceHingesMatchHandComputation) {
  // Centres: class 0 along x, class 1 along y.
  auto centres = torch::tensor({1.0, 0.0, 0.0, 1.0}, torch::kFloat64).view({2, 2});
  auto f = torch::tensor({1.0, 0.0, 1.0, 0.0, 1.0, 1.0}, torch::kFloat64).view({3, 2});
  auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  // d = 1 - cos: sample 0 on its centre -> 0 (below lower 0.05 by 0.05); sample 1 orthogonal
  // -> 1 (above upper 0.8 by 0.2); sample 2 at 45 degrees -> 1 - 1/sqrt(2) = 0.2929, inside.
  const double expected = 0.05 / 3 + 0.2 / 3;
  EXPECT_NEAR(marginal_distance_loss(f, centres, labels, 0.05, 0.8).item<double>(), expected, 1e-12);
  // With C100's bounds (0.02, 1.0) only the lower hinge of sample 0 remains.
  EXPECT_NEAR(marginal_distance_loss(f, centres, labels, 0.02, 1.0).item<double>(), 0.02 / 3, 1e-12);
}

TEST(Qimera, SuperpositionWeightsAreASoftmaxAndSoftLabelsSumToOne) {
  torch::manual_seed(3);
  auto s = draw_superposition(64, 3, 10);
  ASSERT_EQ(s.labels.sizes(), (std::vector<int64_t>{64, 3}));
  EXPECT_TRUE(torch::allclose(s.weights.sum(1), torch::ones({64}), 1e-6, 1e-6));
  EXPECT_GT(s.weights.min().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(s.soft.sum(1), torch::ones({64}), 1e-6, 1e-6));
  // A hand case: labels (2, 5) with weights softmax(0, ln 3) = (0.25, 0.75); repeated label
  // (4, 4) puts all mass on 4.
  auto labels = torch::tensor({2, 5, 4, 4}, torch::kInt64).view({2, 2});
  auto weights = torch::softmax(torch::tensor({0.0, std::log(3.0), 0.3, -0.1}, torch::kFloat64).view({2, 2}), 1);
  auto soft = superposed_targets(labels, weights, 6);
  EXPECT_NEAR(soft[0][2].item<double>(), 0.25, 1e-12);
  EXPECT_NEAR(soft[0][5].item<double>(), 0.75, 1e-12);
  EXPECT_NEAR(soft[1][4].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(soft[1].sum().item<double>(), 1.0, 1e-12);
}

TEST(Qimera, CodesAreNormalisedAndOneSlotMixingEqualsThePlainPath) {
  auto h = torch::tensor({1.0, 2.0, 3.0, 4.0, -2.0, 0.0, 2.0, 0.0}, torch::kFloat64).view({2, 4});
  auto n = QimeraGeneratorImpl::normalize_codes(h);
  // Per sample over features: (1,2,3,4) has mean 2.5, biased var 1.25.
  EXPECT_NEAR(n[0][0].item<double>(), (1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-9);
  EXPECT_NEAR(n[1].mean().item<double>(), 0.0, 1e-12);
  // Superposed codes [B, K, D]: each slot over (B, D).
  auto h3 = torch::randn({5, 2, 4}, torch::kFloat64);
  auto n3 = QimeraGeneratorImpl::normalize_codes(h3);
  EXPECT_NEAR(n3.select(1, 1).mean().item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(n3.select(1, 1).pow(2).mean().item<double>(), 1.0, 1e-4);

  torch::manual_seed(7);
  QimeraOptions o;
  o.base = {10, 64, 28, 1, 0.8};
  auto g = std::make_shared<QimeraGeneratorImpl>(o);
  g->eval();  // fixed BN statistics, so two forwards are comparable
  auto z = torch::randn({6, 64});
  auto y = torch::randint(0, 10, {6}, torch::kInt64);
  auto plain = g->forward(z, y);
  // One slot with weight 1 (normalised over (B, D), as the official code does for mixed
  // codes, not per sample): same shape; two identical slots with weights summing to 1 give
  // exactly the one-slot image.
  auto mixed = g->forward_mixed(z.unsqueeze(1), y.unsqueeze(1), torch::ones({6, 1}));
  EXPECT_EQ(plain.sizes(), mixed.sizes());
  auto twice = g->forward_mixed(torch::stack({z, z}, 1), torch::stack({y, y}, 1),
                                torch::tensor({0.3f, 0.7f}).repeat({6, 1}));
  EXPECT_TRUE(torch::allclose(twice, mixed, 1e-5, 1e-5));
  // Teacher-initialised embedding has the classifier's shape; a wrong shape is refused.
  o.init_embedding = torch::randn({10, 32});
  EXPECT_THROW(QimeraGeneratorImpl{o}, InvalidInputError);
}

TEST(Synthesis, PlateauScheduleFollowsPyTorchSemantics) {
  PlateauScheduler p(0.5, 2, 0.1, 1e-3);
  EXPECT_DOUBLE_EQ(p.step(10.0), 0.5);  // best 10
  EXPECT_DOUBLE_EQ(p.step(9.0), 0.5);   // improvement
  EXPECT_DOUBLE_EQ(p.step(9.0), 0.5);   // bad 1
  EXPECT_DOUBLE_EQ(p.step(8.9995), 0.5);  // within the 1e-4 relative threshold: bad 2
  EXPECT_NEAR(p.step(9.5), 0.05, 1e-15);  // bad 3 > patience 2: reduce, restart the count
  EXPECT_DOUBLE_EQ(p.step(9.5), 0.05);
  EXPECT_DOUBLE_EQ(p.step(9.5), 0.05);
  EXPECT_NEAR(p.step(9.5), 0.005, 1e-15);
  for (int i = 0; i < 3; ++i) p.step(9.5);
  EXPECT_NEAR(p.lr(), 1e-3, 1e-15);  // floor at min_lr
  for (int i = 0; i < 10; ++i) p.step(9.5);
  EXPECT_NEAR(p.lr(), 1e-3, 1e-15);
  EXPECT_EQ(p.reductions(), 3);
}

TEST(Synthesis, OptimisedImagesReduceTheirLoss) {
  torch::manual_seed(0);
  auto x = torch::randn({4, 1, 4, 4}) * 3 + 2;
  const double before = zeroq_input_loss(x).item<double>();
  double after = optimise_images(x, {50, 0.1, 10, 1e-4},
                                 [](const torch::Tensor& xi, int64_t) { return zeroq_input_loss(xi); });
  EXPECT_LT(after, before * 0.1);
  EXPECT_FALSE(x.requires_grad());
}

TEST(Augment, ResizedCropKeepsShapeAndPassesGradients) {
  torch::manual_seed(0);
  auto gen = at::detail::getDefaultCPUGenerator();
  auto x = torch::randn({8, 1, 28, 28}).set_requires_grad(true);
  auto y = random_resized_crop_flip(x, 0.5, 1.0, gen);
  EXPECT_EQ(y.sizes(), x.sizes());
  y.sum().backward();
  EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0);
  // Area 1: every crop is the whole image, so each output is the input or its mirror.
  auto z = random_resized_crop_flip(x.detach(), 1.0, 1.0, gen);
  int flipped = 0;
  for (int i = 0; i < 8; ++i) {
    bool same = torch::equal(z[i], x[i].detach()), mirror = torch::equal(z[i], x[i].detach().flip({2}));
    EXPECT_TRUE(same || mirror) << i;
    flipped += mirror ? 1 : 0;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 8);
}

// #17 item 6: a cache write cut short (a file-size limit, as a full disk would) was an abort
// (exit 134, a c10::Error stack from the archive writer's destructor) that left its
// temporary. Now: one line naming the file, nothing left behind, the process lives on.
TEST(ImageCache, AFullDiskIsOneErrorAndLeavesNoTemporary) {
  testing::TempDir dir;
  ImageCache cache(dir.file("cache"));
  std::filesystem::create_directories(dir.file("cache"));
  const pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      cache.save("k", {torch::randn({64, 3, 32, 32}), torch::zeros({64}, torch::kInt64)});
    } catch (const Error& e) {
      const std::string what = e.what();
      code = what.find("cannot write cached images " + cache.path("k")) != std::string::npos &&
                     what.find('\n') == std::string::npos
                 ? 0
                 : 2;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: wrong message";
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("cache"))) << "a temporary or a partial entry was left";
}

TEST(ImageCache, RoundTripsAtomicallyAndRejectsCorruptFiles) {
  testing::TempDir dir;
  ImageCache cache(dir.file("cache"));
  ImageSet set{torch::randn({3, 1, 4, 4}), torch::tensor({0, 2, 1}, torch::kInt64)}, back;
  EXPECT_FALSE(cache.load("k", back));
  // A temporary left by a killed writer is not a cache entry.
  std::filesystem::create_directories(dir.file("cache"));
  std::ofstream(cache.path("k") + ".tmp.999") << "partial";
  EXPECT_FALSE(cache.load("k", back));
  cache.save("k", set);
  ASSERT_TRUE(cache.load("k", back));
  EXPECT_TRUE(torch::equal(back.images, set.images));
  EXPECT_TRUE(torch::equal(back.labels, set.labels));
  // #17 item 12a: one changed byte fails the checksum: a miss, so
  // the run synthesises again instead of training on altered images.
  {
    const auto size = std::filesystem::file_size(cache.path("k"));
    std::fstream f(cache.path("k"), std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size / 2));
    c = static_cast<char>(c ^ 0x10);
    f.write(&c, 1);
  }
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.load("k", back));
  std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("do not match their checksum"), std::string::npos) << said;
  EXPECT_NE(said.find("synthesising again"), std::string::npos) << said;
  cache.save("k", set);  // what the caller does next
  ASSERT_TRUE(cache.load("k", back));
  EXPECT_TRUE(torch::equal(back.images, set.images));
  // No checksum beside it (a write killed between entry and checksum): a miss too.
  std::filesystem::remove(cache.path("k") + ".sha256");
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.load("k", back));
  said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("have no checksum"), std::string::npos) << said;
  EXPECT_NE(said.find("synthesising again"), std::string::npos) << said;
  // A file that matches its checksum but is no tensor archive: one line naming it.
  std::ofstream(cache.path("bad")) << "not a tensor file";
  std::ofstream(cache.path("bad") + ".sha256") << sha256_file(cache.path("bad")) << "\n";
  EXPECT_THROW(cache.load("bad", back), CorruptFileError);
  ImageCache off("");
  off.save("k", set);
  EXPECT_FALSE(off.load("k", back));
}

}  // namespace
}  // namespace dfq
