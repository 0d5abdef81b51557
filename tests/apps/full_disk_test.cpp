// #17 items 5, 6 and 7 on a real full file system (a small tmpfs; mounting one needs root, so
// the tests skip elsewhere and say why): `dfq report` and `dfq run` fail in one line naming
// the cause, and leave no temporary and no half-written file behind. The unit tests of the
// same paths (a file-size limit, a worker that fails as on a full disk) run everywhere.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/store/run_store.h"
#include "tests/apps/cli_run.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::add_done_run;
using testing::cell_key;
using testing::run_dfq;

namespace fs = std::filesystem;

// A tmpfs of `bytes` mounted at `dir` while the object lives.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& dir, int64_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    const std::string options = "size=" + std::to_string(bytes);
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// The lines of `text` that start with "dfq: error:" (or "error:"), and whether any looks like a crash.
int error_lines(const std::string& text) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind("dfq: error:", 0) == 0 || line.rfind("error:", 0) == 0;
  return n;
}
bool crashed(const std::string& text) {
  return text.find("terminate called") != std::string::npos || text.find("c10::Error") != std::string::npos ||
         text.find("Exception raised from") != std::string::npos;
}

TEST(FullDisk, AReportOnAFullDiskFailsInOneLineAndLeavesNoHalfFile) {
  testing::TempDir dir;
  SmallTmpfs full(dir.file("full"), 12 * 1024);
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): the full-disk case is not run";
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("fulldisk", "gdfq"), 80.0);
    add_done_run(store, cell_key("fulldisk", "adasg"), 82.0);
  }
  const std::string out = dir.file("full/report");
  auto r = run_dfq(dir, "report --suite fulldisk --out " + out + " --store " + dir.file("runs.sqlite"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_FALSE(crashed(r.output)) << r.output;
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("written"), std::string::npos) << "a report said written: " << r.output;
  // What is there is whole: no temporaries, an HTML report only if it is complete.
  if (fs::exists(out)) {
    for (const auto& e : fs::directory_iterator(out)) {
      const auto name = e.path().filename().string();
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << "temporary left: " << name;
      if (name == "report.html") {
        std::ifstream in(e.path());
        const std::string html((std::istreambuf_iterator<char>(in)), {});
        EXPECT_NE(html.find("</html>"), std::string::npos) << "report.html cut short";
      }
    }
  }
}

// The store exists, then its disk fills up (a file takes the rest): the run cannot record
// itself, says so in one line, and the store stays readable.
TEST(FullDisk, ARunWhoseStoreIsOnAFullDiskFailsInOneLine) {
  testing::TempDir dir;
  SmallTmpfs full(dir.file("full"), 1024 * 1024);
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): the full-disk case is not run";
  const std::string store = dir.file("full/runs.sqlite");
  {
    RunStore s(store);
    add_done_run(s, cell_key("fulldisk", "gdfq"), 80.0);
  }
  {
    std::ofstream filler(dir.file("full/filler"), std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  auto r = run_dfq(dir, "--quiet --threads 1 --cache '' --store " + store + " run --method noise --model lenet5 --preset tiny");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_FALSE(crashed(r.output)) << r.output;
  // SQLite's word for it depends on the write that failed ("database or disk is full", or
  // "disk I/O error" when its -shm file cannot grow); the system's reason is named.
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  for (const auto& e : fs::directory_iterator(dir.file("full")))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  // The store is intact: the earlier run is still listed.
  fs::remove(dir.file("full/filler"));
  r = run_dfq(dir, "runs --store " + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("gdfq"), std::string::npos) << r.output;
}

// #17 item 6: the cache of synthesised images sits on a full disk (the store does not): the run
// says so in one line, leaves no temporary there, and is recorded `failed` with the cause.
TEST(FullDisk, ARunWhoseImageCacheIsOnAFullDiskIsRecordedFailedWithTheCause) {
  testing::TempDir dir;
  SmallTmpfs full(dir.file("full"), 16 * 1024);  // zeroq's tiny set is 16 images, ~50 KB
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): the full-disk case is not run";
  const std::string store = dir.file("runs.sqlite");
  auto r = run_dfq(dir, "--quiet --threads 1 --cache " + dir.file("full/cache") + " --store " + store +
                            " run --method zeroq --model lenet5 --preset tiny");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_FALSE(crashed(r.output)) << r.output;
  EXPECT_NE(r.output.find("cannot write cached images"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  if (fs::exists(dir.file("full/cache")))
    for (const auto& e : fs::directory_iterator(dir.file("full/cache")))
      EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "temporary left: " << e.path();
  RunStore s(store, RunStore::Access::ReadOnly);
  const auto runs = s.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_NE(runs[0].error.find("No space left on device"), std::string::npos) << runs[0].error;
}

// #17 item 7 with real workers: a sweep whose store (and so its logs) sits on a full disk stops
// at the first failure, names the cause in one line, and starts no other cell.
TEST(FullDisk, ASweepWhoseStoreIsOnAFullDiskStopsAtTheFirstFailure) {
  testing::TempDir dir;
  SmallTmpfs full(dir.file("full"), 1024 * 1024);
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): the full-disk case is not run";
  std::ofstream(dir.file("three.yaml")) << "name: three\ndataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\n"
                                           "bits: [4]\nseeds: [0, 1, 2]\npreset: tiny\n";
  const std::string store = dir.file("full/runs.sqlite");
  {
    RunStore s(store);
    add_done_run(s, cell_key("fulldisk", "gdfq"), 80.0);
  }
  {
    std::ofstream filler(dir.file("full/filler"), std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  auto r = run_dfq(dir, "--quiet --threads 1 --cache '' --store " + store + " sweep --suite three -j 1 --configs " +
                            dir.path());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_FALSE(crashed(r.output)) << r.output;
  EXPECT_TRUE(r.output.find("No space left on device") != std::string::npos ||
              r.output.find("database or disk is full") != std::string::npos)
      << r.output;
  fs::remove(dir.file("full/filler"));
  RunStore s(store, RunStore::Access::ReadOnly);
  int noise_runs = 0;
  for (const auto& run : s.list_runs()) {
    if (run.key.method != "noise") continue;
    ++noise_runs;
    EXPECT_NE(run.status, "done");
  }
  EXPECT_LE(noise_runs, 1) << "cells were started after the disk was full";
}

}  // namespace
}  // namespace dfq
