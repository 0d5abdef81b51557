#include <gtest/gtest.h>

#include <fstream>

#include "core/nn/tap_batch_norm.h"
#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/util/error.h"
#include "models/net.h"
#include "models/zoo.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(Models, ParameterCountsMatchPublishedFigures) {
  // pytorchcv resnet20_cifar10 (0.27 M) and torchvision's ImageNet models.
  EXPECT_EQ(parameter_count(*make_model({"resnet20", 3, 10, 32})), 272474);
  EXPECT_EQ(parameter_count(*make_model({"resnet18", 3, 1000, 224})), 11689512);
  EXPECT_EQ(parameter_count(*make_model({"resnet50", 3, 1000, 224})), 25557032);
  EXPECT_EQ(parameter_count(*make_model({"mobilenetv2", 3, 1000, 224})), 3504960);  // pytorchcv's mobilenetv2_w1
}

TEST(Models, EveryActivationIsAModule) {
  // One QAct per ReLU use: stem + 2 per residual unit (ResNet-20: 9 units).
  EXPECT_EQ(modules_of<QActImpl>(*make_model({"resnet20", 1, 10, 28})).size(), 19u);
  EXPECT_EQ(modules_of<QActImpl>(*make_model({"resnet56", 1, 10, 28})).size(), 55u);
  // ResNet-18: stem + 2 per block (8 blocks).
  EXPECT_EQ(modules_of<QActImpl>(*make_model({"resnet18", 3, 1000, 224})).size(), 17u);
  EXPECT_EQ(modules_of<QActImpl>(*make_model({"lenet5", 1, 10, 28})).size(), 4u);
  // ResNet-20 has 19 convolutions + 2 projection shortcuts, all BN'd.
  auto r20 = make_model({"resnet20", 1, 10, 28});
  EXPECT_EQ(modules_of<QConv2dImpl>(*r20).size(), 21u);
  EXPECT_EQ(modules_of<TapBatchNorm2dImpl>(*r20).size(), 21u);
}

TEST(Models, ShapesAndFeatures) {
  torch::NoGradGuard ng;
  for (auto [arch, c, s] : std::vector<std::tuple<std::string, int, int>>{
           {"resnet20", 1, 28}, {"resnet32", 3, 32}, {"lenet5", 1, 28}, {"lenet5", 3, 32}, {"mobilenetv2", 3, 32}}) {
    auto net = make_model({arch, c, 7, s});
    net->eval();
    auto x = torch::randn({2, c, s, s});
    auto f = net->features(x);
    auto y = net->forward(x);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 7})) << arch;
    EXPECT_EQ(f.dim(), 2) << arch;
    EXPECT_TRUE(torch::allclose(net->head(f), y)) << arch;
  }
}

TEST(Models, UnknownArchListsValidNames) {
  try {
    make_model({"vgg16", 3, 10, 32});
    FAIL();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("resnet20"), std::string::npos);
  }
}

TEST(Models, CloneCopiesStateAndIsIndependent) {
  auto a = make_model({"lenet5", 1, 10, 28});
  auto b = clone_model(a);
  a->eval();
  b->eval();
  auto x = torch::randn({3, 1, 28, 28});
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
  {
    torch::NoGradGuard ng;
    b->parameters()[0].add_(1.0);
  }
  EXPECT_FALSE(torch::equal(a->forward(x), b->forward(x)));
}

TEST(Zoo, SaveLoadVerifiesHashAndArchitecture) {
  testing::TempDir dir;
  auto net = make_model({"lenet5", 1, 10, 28});
  net->eval();
  TeacherManifest m;
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  save_teacher(net, m, dir.path());
  TeacherManifest read;
  auto loaded = load_teacher("fashion-mnist", "lenet5", dir.path(), &read);
  EXPECT_EQ(read.sha256.size(), 64u);
  auto x = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(net->forward(x), loaded->forward(x)));

  // A teacher asked for under another data set is missing, with the command to make it.
  try {
    load_teacher("mnist", "lenet5", dir.path());
    FAIL();
  } catch (const MissingFileError& e) {
    EXPECT_NE(std::string(e.what()).find("dfq teacher --model lenet5 --dataset mnist"), std::string::npos);
  }
  // A flipped byte fails the hash check. (Flipped, not overwritten: writing 'Z' at a fixed
  // offset changed nothing when the offset fell in the archive's 'Z' alignment padding, whose
  // place depends on the temporary file's name, i.e. on the writer's pid.)
  auto path = teacher_weights_path(dir.path(), "fashion-mnist", "lenet5");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.get(c);
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x01));
  }
  EXPECT_THROW(load_teacher("fashion-mnist", "lenet5", dir.path()), CorruptFileError);
}

TEST(Zoo, ArchitectureMismatchIsRefused) {
  testing::TempDir dir;
  // Weights of a ResNet-20 filed as a LeNet: the hash matches, the shapes do not.
  auto net = make_model({"resnet20", 1, 10, 28});
  TeacherManifest m;
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  save_teacher(net, m, dir.path());
  EXPECT_THROW(load_teacher("fashion-mnist", "lenet5", dir.path()), CorruptFileError);
}

}  // namespace
}  // namespace dfq
