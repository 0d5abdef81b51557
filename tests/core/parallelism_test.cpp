// #17 item 15: thread and worker counts beyond reason (or negative) are refused in one line
// before anything starts.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "core/util/error.h"
#include "core/util/rng.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(Parallelism, AbsurdOrNegativeCountsAreRefused) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(max_parallelism(), 4 * cores);
  EXPECT_NO_THROW(check_parallelism(0, "--threads", true));
  EXPECT_NO_THROW(check_parallelism(4 * cores, "-j", false));
  try {
    check_parallelism(100000, "--threads", true);
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("--threads 100000 is more than 4x this machine's"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(check_parallelism(0, "-j", false), InvalidInputError);
  EXPECT_THROW(check_parallelism(-3, "--threads", true), InvalidInputError);
  EXPECT_THROW(configure_threads(4 * cores + 1), InvalidInputError);
}

// #18: OpenBLAS computes on the calling thread whatever --threads says (its own pool of one
// thread per core spun on sched_yield beside LibTorch's threads), and the processes dfq
// starts inherit OPENBLAS_NUM_THREADS=1.
TEST(Parallelism, OpenBlasRunsOnTheCallingThread) {
  using Set = void (*)(int);
  using Get = int (*)();
  auto set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (!set || !get) GTEST_SKIP() << "libblas.so.3 is not OpenBLAS here (update-alternatives): nothing to configure";
  set(2);
  ASSERT_EQ(get(), 2);
  configure_threads(2);
  EXPECT_EQ(get(), 1);
  ASSERT_NE(std::getenv("OPENBLAS_NUM_THREADS"), nullptr);
  EXPECT_STREQ(std::getenv("OPENBLAS_NUM_THREADS"), "1");
}

TEST(Parallelism, TheCommandLineRefusesThemBeforeWork) {
  testing::TempDir dir;
  const std::string dfq = DFQ_CLI;
  const std::string out = dir.file("out.txt");
  int rc = std::system((dfq + " --store " + dir.file("s.sqlite") + " --threads 100000 list > " + out + " 2>&1").c_str());
  EXPECT_NE(rc, 0);
  rc = std::system((dfq + " --store " + dir.file("s.sqlite") + " sweep --suite ci -j 1000 --dry-run >> " + out +
                    " 2>&1").c_str());
  EXPECT_NE(rc, 0);
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("--threads 100000 is more than"), std::string::npos) << text;
  EXPECT_NE(text.find("-j 1000 is more than"), std::string::npos) << text;
  EXPECT_FALSE(std::ifstream(dir.file("s.sqlite")).good()) << "no store is created";
}

}  // namespace
}  // namespace dfq
