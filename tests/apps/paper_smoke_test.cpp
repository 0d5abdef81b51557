// The paper suites at smoke scale (`dfq sweep --smoke`), so the paper track cannot rot: each
// CIFAR suite, every method at W4A4, on small random CIFAR files of the real format and a
// random teacher with pytorchcv's names brought in by `dfq teacher import`'s code. The
// numbers mean nothing; every cell must run to `done` through real workers.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "apps/sweep.h"
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

TEST(PaperSuites, RunAtSmokeScale) {
  const std::string python = testing::python_with_torch();
  if (python.empty()) {
    if (std::getenv("CI")) FAIL() << "no python3 with torch: install python3-torch (make setup)";
    GTEST_SKIP() << "no python3 with torch: install python3-torch (make setup)";
  }
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  std::mt19937 rng(5);
  for (const auto& [dataset, classes] : {std::pair<std::string, int>{"cifar10", 10}, {"cifar100", 100}}) {
    // Data: 5,500 training images (5,000 go to the validation split) and 500 test images.
    const std::string data = dir.file(dataset);
    std::system(("mkdir -p " + data).c_str());
    if (dataset == "cifar10") {
      for (int b = 1; b <= 5; ++b) write_cifar(data + "/data_batch_" + std::to_string(b) + ".bin", 1100, 1, 10, rng);
      write_cifar(data + "/test_batch.bin", 500, 1, 10, rng);
    } else {
      write_cifar(data + "/train.bin", 5500, 2, 100, rng);
      write_cifar(data + "/test.bin", 500, 2, 100, rng);
    }
    // Teacher: random weights with pytorchcv's names, imported into a zoo of its own.
    const std::string weights = dir.file(dataset + "-weights");
    std::system(("mkdir -p " + weights).c_str());
    const std::string cmd = python + " " + std::string(DFQ_SOURCE_DIR) + "/tests/models/pytorchcv_reference.py " +
                            weights + " resnet20 " + std::to_string(classes) + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto imported = import_teacher({weights + "/state.pt", "resnet20", dataset, data, "test"});
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
    o.data_root = data;
    o.zoo = dir.file("zoo");
    const auto summary = run_sweep(o);
    EXPECT_EQ(summary.total, 8) << o.suite;  // every method of the suite, W4A4, seed 0
    EXPECT_EQ(summary.done, 8) << o.suite;
    EXPECT_EQ(summary.failed, 0) << o.suite << ": " << (summary.failures.empty() ? "" : summary.failures.front());
    RunStore store(o.store);
    RunFilter f;
    f.suite = o.suite + "-smoke";
    EXPECT_EQ(store.list_runs(f).size(), 8u) << "recorded under " << f.suite;
  }
}

}  // namespace
}  // namespace dfq
