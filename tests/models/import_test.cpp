// `dfq teacher import`: a state dict with pytorchcv's names, written by PyTorch itself
// (tests/models/pytorchcv_reference.py, python3-torch), lands on our modules and gives
// PyTorch's logits; every way the file can be wrong gives one error saying what to do.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/util/error.h"
#include "core/util/sha256.h"
#include "models/pytorchcv.h"
#include "models/state_dict.h"
#include "models/teacher.h"
#include "models/zoo.h"
#include "tests/test_util.h"

namespace dfq {
namespace {


class Import : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = testing::python_with_torch();
    if (python_.empty()) {
      if (std::getenv("CI")) FAIL() << "no python3 with torch: install python3-torch (make setup)";
      GTEST_SKIP() << "no python3 with torch: install python3-torch (make setup)";
    }
  }
  // Writes state.pt, state_ordered.pt and reference.pt for pytorchcv's `arch`.
  void write_reference(const std::string& arch, int classes = 10) {
    const std::string cmd = python_ + " " + std::string(DFQ_SOURCE_DIR) + "/tests/models/pytorchcv_reference.py " +
                            dir_.path() + " " + arch + " " + std::to_string(classes) + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // The imported model's logits on the reference input, against PyTorch's.
  double logit_difference(NetImpl& net) {
    const auto ref = read_state_dict(dir_.file("reference.pt"));
    torch::NoGradGuard ng;
    net.eval();
    EXPECT_GT(ref.at("logits").abs().max().item<double>(), 0.1);  // logits that say something
    return (net.forward(ref.at("input")) - ref.at("logits")).abs().max().item<double>();
  }
  std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::string python_;
  testing::TempDir dir_;
};

TEST_F(Import, ResNet20GivesPyTorchsLogits) {
  for (const char* arch : {"resnet20", "resnet32"}) {
    write_reference(arch, 10);
    ImportOptions o{dir_.file("state.pt"), arch, "cifar10", dir_.file("no-data"), "test"};
    auto r = import_teacher(o);
    EXPECT_FALSE(r.data_missing.empty());  // not evaluated: no CIFAR-10 here
    EXPECT_EQ(r.manifest.test_top1, -1);
    EXPECT_EQ(r.manifest.source_sha256, sha256_file(dir_.file("state.pt")));
    EXPECT_LE(logit_difference(*r.net), 1e-4) << arch;
  }
}

// The ImageNet teachers of the official code (pytorchcv's resnet18, resnet50 with the stride
// on a bottleneck's first 1x1 conv, mobilenetv2_w1 with its bias-free 1x1-conv classifier)
// at 3x224x224.
TEST_F(Import, ImageNetModelsGivePyTorchsLogits) {
  for (const char* arch : {"resnet18", "resnet50", "mobilenetv2"}) {
    write_reference(arch, 10);
    Net net = make_model({arch, 3, 10, 224});
    load_pytorchcv_state(*net, read_state_dict(dir_.file("state.pt")));
    EXPECT_LE(logit_difference(*net), 1e-4) << arch;
  }
}

TEST_F(Import, WrongFilesSayWhatIsWrong) {
  write_reference("resnet20", 10);
  ImportOptions o{dir_.file("state.pt"), "resnet20", "cifar100", dir_.file("no-data"), "test"};
  // Ten classes imported as CIFAR-100's hundred: the classifier does not fit.
  auto e = error_of([&] { import_teacher(o); });
  EXPECT_NE(e.find("output.weight is [10x64], fc.weight needs [100x64]"), std::string::npos) << e;
  EXPECT_EQ(e.find("missing"), std::string::npos) << e;
  // ResNet-20's weights as ResNet-32: units missing.
  o.dataset = "cifar10";
  o.model = "resnet32";
  e = error_of([&] { import_teacher(o); });
  EXPECT_NE(e.find("missing for resnet32: stages.stage1_unit4"), std::string::npos) << e;
  // A model with no pytorchcv mapping.
  o.model = "lenet5";
  e = error_of([&] { import_teacher(o); });
  EXPECT_NE(e.find("no pytorchcv mapping for model 'lenet5'"), std::string::npos) << e;
  // What model.state_dict() returns (an OrderedDict) and a corrupt file.
  o.model = "resnet20";
  o.from = dir_.file("state_ordered.pt");
  e = error_of([&] { import_teacher(o); });
  EXPECT_NE(e.find("torch.save(dict(model.state_dict()), f)"), std::string::npos) << e;
  std::ofstream(dir_.file("garbage.pt")) << "not a pickle at all";
  o.from = dir_.file("garbage.pt");
  e = error_of([&] { import_teacher(o); });
  EXPECT_NE(e.find("is not a readable PyTorch state dict"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
  o.from = dir_.file("absent.pt");
  EXPECT_THROW(import_teacher(o), MissingFileError);
}

TEST_F(Import, ExtraKeysAreNamed) {
  write_reference("resnet20", 10);
  auto state = read_state_dict(dir_.file("state.pt"));
  std::map<std::string, torch::Tensor> with_extra = state;
  with_extra["features.stage4.unit1.body.conv1.conv.weight"] = torch::zeros({1});
  Net net = make_model({"resnet20", 3, 10, 32});
  auto e = error_of([&] { load_pytorchcv_state(*net, with_extra); });
  EXPECT_NE(e.find("not in resnet20: features.stage4.unit1.body.conv1.conv.weight"), std::string::npos) << e;
  state.erase("features.stage2.unit1.identity_conv.conv.weight");
  e = error_of([&] { load_pytorchcv_state(*net, state); });
  EXPECT_NE(e.find("missing for resnet20: stages.stage2_unit1.down_conv.weight"), std::string::npos) << e;
}

// The command: the zoo entry loads like a trained teacher and its manifest names the source.
TEST_F(Import, CommandWritesAZooEntry) {
  write_reference("resnet20", 10);
  const std::string zoo = dir_.file("zoo"), out = dir_.file("out.txt");
  const std::string cmd = std::string(DFQ_CLI) + " --quiet teacher import --from " + dir_.file("state.pt") +
                          " --model resnet20 --dataset cifar10 --data-root " + dir_.file("no-data") + " --zoo " + zoo +
                          " >" + out + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("not evaluated"), std::string::npos) << text;
  EXPECT_NE(text.find("published full precision: 93.89%"), std::string::npos) << text;
  TeacherManifest m;
  Net net = load_teacher("cifar10", "resnet20", zoo, &m);
  EXPECT_EQ(m.source_sha256, sha256_file(dir_.file("state.pt")));
  EXPECT_NE(m.source.find("state.pt"), std::string::npos);
  EXPECT_EQ(m.num_classes, 10);
  EXPECT_EQ(m.in_channels, 3);
}

}  // namespace
}  // namespace dfq
