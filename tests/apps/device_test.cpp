// Device names and what happens without a GPU (this machine and CI): one line saying why
// and what to do, before any work.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "apps/cell.h"
#include "core/config/suite.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

std::string error_of(const std::string& name) {
  try {
    parse_device(name);
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  return "";
}

TEST(Device, NamesAreCheckedBeforeAnythingRuns) {
  EXPECT_TRUE(parse_device("cpu").is_cpu());
  EXPECT_EQ(device_name(parse_device("cpu")), "cpu");
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CUDA", "cuda:0:1", ""}) {
    EXPECT_NE(error_of(bad).find("is not valid; use cpu, cuda, cuda:N or auto"), std::string::npos) << bad;
    EXPECT_THROW(check_device_name(bad), InvalidInputError) << bad;
  }
  for (const char* good : {"cpu", "auto", "cuda", "cuda:0", "cuda:12"}) EXPECT_NO_THROW(check_device_name(good));
  if (!torch::cuda::is_available()) EXPECT_TRUE(parse_device("auto").is_cpu());
}

TEST(Device, CudaWithoutGpuSaysWhyAndWhatToDo) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible";
  const std::string e = error_of("cuda");
  if (built_with_cuda())
    EXPECT_NE(e.find("no CUDA GPU is visible"), std::string::npos) << e;
  else
    EXPECT_NE(e.find("built against a LibTorch without CUDA"), std::string::npos) << e;
  EXPECT_NE(e.find("--device cpu"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
}

// The command line: exit 1 and one line on stderr, nothing recorded in the store.
TEST(Device, DfqRunOnCudaFailsInOneLineHere) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible";
  testing::TempDir dir;
  const std::string err = dir.file("err.txt");
  const std::string cmd = std::string(DFQ_CLI) + " --quiet --device cuda --store " + dir.file("runs.sqlite") +
                          " run --method noise --model lenet5 --dataset fashion-mnist --preset tiny 2>" + err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::FILE* f = std::fopen(err.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[2048] = {0};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  const std::string text(buf, n);
  EXPECT_NE(text.find("dfq: error: device 'cuda'"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

// The device travels with a resolved cell (a sweep's worker reads it from the file) and is
// not part of the configuration's hash.
TEST(Device, TravelsWithTheResolvedCellOutsideTheHash) {
  auto request = testing::tiny_request("gdfq");
  const auto on_cpu = resolve_cell(request);
  request.device = "cuda:1";
  const auto on_gpu = resolve_cell(request);  // resolving needs no GPU
  EXPECT_EQ(on_gpu.device, "cuda:1");
  EXPECT_EQ(on_cpu.config.hash(), on_gpu.config.hash());
  EXPECT_EQ(ResolvedCell::from_json(on_gpu.to_json()).device, "cuda:1");
  auto j = on_gpu.to_json();
  j["device"] = "tpu";
  EXPECT_THROW(ResolvedCell::from_json(j), InvalidInputError);
  j.erase("device");
  EXPECT_EQ(ResolvedCell::from_json(j).device, "cpu");  // files written before devices existed
  request.device = "gpu0";
  EXPECT_THROW(resolve_cell(request), InvalidInputError);
}

TEST(Device, SuiteKeyIsChecked) {
  testing::TempDir dir;
  auto write = [&](const std::string& device) {
    const std::string path = dir.file("s.yaml");
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fprintf(f, "dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4]\nseeds: [0]\ndevice: %s\n",
                 device.c_str());
    std::fclose(f);
    return path;
  };
  EXPECT_EQ(load_suite(write("cuda:0"), "").device, "cuda:0");
  try {
    load_suite(write("gpu"), "");
    FAIL() << "accepted device: gpu";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("device"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dfq
