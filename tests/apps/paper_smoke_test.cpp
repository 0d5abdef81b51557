// The paper suites at smoke scale (`dfq sweep --smoke`), so the paper track cannot rot: each
// paper suite, every method at W4A4, on small random data of the real format (CIFAR binary
// files; ImageNet's class folders of JPEGs) and a random teacher with pytorchcv's names
// brought in by `dfq teacher import`'s code. The numbers mean nothing; every cell must run to
// `done` through real workers.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "apps/sweep.h"
#include "core/data/jpeg.h"
#include "core/util/progress.h"
#include "models/teacher.h"
#include "models/zoo.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

// `n` random records of the CIFAR binary format: label byte(s), then 3x32x32 pixels.
void write_cifar(const std::string& path, int64_t n, int label_bytes, int classes, std::mt19937& rng) {
  std::ofstream out(path, std::ios::binary);
  std::string record(label_bytes + 3 * 32 * 32, '\0');
  for (int64_t i = 0; i < n; ++i) {
    for (auto& c : record) c = static_cast<char>(rng() & 0xff);
    for (int b = 0; b < label_bytes; ++b) record[b] = static_cast<char>(rng() % classes);
    out.write(record.data(), static_cast<std::streamsize>(record.size()));
  }
}

// ImageNet's layout: `classes` class folders of random JPEGs of 60 to 120 pixels a side.
void write_imagenet(const std::string& root, int classes, int train_per_class, int val_per_class, std::mt19937& rng) {
  for (const auto& [split, n] : {std::pair<std::string, int>{"train", train_per_class}, {"val", val_per_class}})
    for (int c = 0; c < classes; ++c) {
      const std::string dir = root + "/" + split + "/n" + std::to_string(1000000 + c);
      std::filesystem::create_directories(dir);
      for (int i = 0; i < n; ++i) {
        RgbImage img;
        img.height = 60 + static_cast<int>(rng() % 61);
        img.width = 60 + static_cast<int>(rng() % 61);
        img.pixels.resize(static_cast<size_t>(img.height) * img.width * 3);
        for (auto& p : img.pixels) p = static_cast<uint8_t>(rng() & 0xff);
        write_jpeg_file(dir + "/img" + std::to_string(i) + ".JPEG", img, 75);
      }
    }
}

TEST(PaperSuites, RunAtSmokeScale) {
  const std::string python = testing::python_with_torch();
  if (python.empty()) {
    if (std::getenv("CI")) FAIL() << "no python3 with torch: install python3-torch (make setup)";
    GTEST_SKIP() << "no python3 with torch: install python3-torch (make setup)";
  }
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  std::mt19937 rng(5);
  struct Case {
    std::string dataset, model;
    int classes, methods;
  };
  for (const auto& [dataset, model, classes, methods] :
       {Case{"cifar10", "resnet20", 10, 8}, {"cifar100", "resnet20", 100, 8}, {"imagenet", "resnet18", 1000, 6}}) {
    // Data: 1,000 training images (a tenth go to the validation split) and 200 test images.
    const std::string data = dir.file(dataset);
    std::filesystem::create_directories(data);
    if (dataset == "imagenet") {
      // 10 of the 1,000 classes: 120 training images (12 go to the validation split), 30 test.
      write_imagenet(data, 10, 12, 3, rng);
    } else if (dataset == "cifar10") {
      for (int b = 1; b <= 5; ++b) write_cifar(data + "/data_batch_" + std::to_string(b) + ".bin", 200, 1, 10, rng);
      write_cifar(data + "/test_batch.bin", 200, 1, 10, rng);
    } else {
      write_cifar(data + "/train.bin", 1000, 2, 100, rng);
      write_cifar(data + "/test.bin", 200, 2, 100, rng);
    }
    // Teacher: random weights with pytorchcv's names, imported into a zoo of its own.
    const std::string weights = dir.file(dataset + "-weights");
    std::filesystem::create_directories(weights);
    const std::string cmd = python + " " + std::string(DFQ_SOURCE_DIR) + "/tests/models/pytorchcv_reference.py " +
                            weights + " " + model + " " + std::to_string(classes) + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto imported = import_teacher({weights + "/state.pt", model, dataset, data, "test"});
    ASSERT_TRUE(imported.data_missing.empty()) << imported.data_missing;
    save_teacher(imported.net, imported.manifest, dir.file("zoo"));

    SweepOptions o;
    o.suite = "paper-" + dataset;
    o.store = dir.file("runs.sqlite");
    o.cache = "";
    o.jobs = 2;
    o.threads_per_job = 1;
    o.executable = DFQ_CLI;
    o.bits = {{4, 4}};
    o.seeds = {0};
    o.smoke = true;
    // No latency phase: it times each run's models one at a time (ResNet-18 at 224x224,
    // batch 64, seconds a call), which doubled this test's time; the phase itself is
    // covered by Sweep.RunsWorkersSkipsDoneCellsAndRerunsChangedOnes.
    o.measure = false;
    o.data_root = data;
    o.zoo = dir.file("zoo");
    const auto summary = run_sweep(o);
    EXPECT_EQ(summary.total, methods) << o.suite;  // every method of the suite, W4A4, seed 0
    EXPECT_EQ(summary.done, methods) << o.suite;
    EXPECT_EQ(summary.failed, 0) << o.suite << ": " << (summary.failures.empty() ? "" : summary.failures.front());
    RunStore store(o.store);
    RunFilter f;
    f.suite = o.suite + "-smoke";
    EXPECT_EQ(store.list_runs(f).size(), static_cast<size_t>(methods)) << "recorded under " << f.suite;
  }
}

}  // namespace
}  // namespace dfq
