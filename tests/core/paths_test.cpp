// Hostile text never picks a file's location, and no write is left half done: output names
// come from a fixed alphabet, suite names are names, and a failed write leaves nothing.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "apps/commands.h"
#include "core/config/suite.h"
#include "core/store/run_store.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/paths.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

namespace fs = std::filesystem;

TEST(Paths, SafeComponentKeepsOnlyAFixedAlphabet) {
  EXPECT_EQ(safe_component("cifar10"), "cifar10");
  EXPECT_EQ(safe_component("fashion-mnist_v1.2"), "fashion-mnist_v1.2");
  EXPECT_EQ(safe_component("x/../../../evil"), "x_.._.._.._evil");
  EXPECT_EQ(safe_component(".."), "_.");
  EXPECT_EQ(safe_component(".hidden"), "_hidden");
  EXPECT_EQ(safe_component(""), "_");
  EXPECT_EQ(safe_component("a b\nc"), "a_b_c");
  EXPECT_TRUE(is_safe_component("paper-cifar10-smoke"));
  EXPECT_FALSE(is_safe_component("../x"));
  EXPECT_FALSE(is_safe_component(""));
}

// A file or folder named like a suite in the current folder does not replace the suite.
TEST(Paths, ASuiteNameIsNeverAPathInTheCurrentFolder) {
  testing::TempDir dir;
  const auto old = fs::current_path();
  fs::current_path(dir.path());
  std::ofstream("ci") << "not: a suite";
  fs::create_directory("compare");
  Suite ci, compare;
  EXPECT_NO_THROW(ci = load_suite("ci", default_configs_dir()));
  EXPECT_NO_THROW(compare = load_suite("compare", default_configs_dir()));
  fs::current_path(old);
  EXPECT_EQ(ci.path, default_configs_dir() + "/ci.yaml");
  EXPECT_EQ(compare.name, "compare");
  EXPECT_THROW(load_suite("../../x", default_configs_dir()), MissingFileError);  // a path: looked up as given
  EXPECT_THROW(load_suite("a b", default_configs_dir()), InvalidInputError);
}

TEST(Paths, ASuiteNameThatIsNotANameIsRefused) {
  testing::TempDir dir;
  std::ofstream(dir.file("s.yaml")) << "name: ../../evil\ndataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\n"
                                       "bits: [4]\nseeds: [0]\n";
  try {
    load_suite(dir.file("s.yaml"), "");
    FAIL() << "accepted name: ../../evil";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("suite name '../../evil' is not valid"), std::string::npos) << e.what();
  }
}

// A write cut short (here by a file-size limit, as a full disk would) fails in one line and
// leaves neither the file nor its temporary; the old file stays.
TEST(Paths, AFailedWriteLeavesNothingHalfWritten) {
  testing::TempDir dir;
  const std::string path = dir.file("report.md");
  write_text_atomically(path, "old\n");
  const pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      write_text_atomically(path, std::string(1 << 20, 'x'));
    } catch (const Error& e) {
      const std::string what = e.what();
      code = what.find("cannot write " + path) != std::string::npos && what.find('\n') == std::string::npos ? 0 : 2;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: wrong message";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "old\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1) << "a temporary was left behind";
  EXPECT_THROW(write_text_atomically(dir.file("report.md/inside"), "x"), std::exception);  // parent is a file
}

// Data set and model names in a (shared) store cannot send report files outside --out.
TEST(Paths, HostileStoreStringsStayInsideTheReportFolder) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    RunKey k;
    k.suite = "hostile";
    k.method = "gdfq";
    k.model = "m/../../../../escaped-model";
    k.dataset = "d/../../../../escaped-data";
    k.w_bits = k.a_bits = 4;
    Environment env;
    env.device = "cpu";
    const auto id = store.begin_run(k, "{}", "h", env, "GDFQ", 2020);
    store.finish_run(id, {{"top1", 50.0}});
  }
  GlobalOptions g;
  g.store = dir.file("runs.sqlite");
  ReportCommand rc;
  rc.suite = "hostile";
  rc.out = dir.file("out");
  rc.print = false;
  render_report(g, rc);
  std::vector<std::string> outside;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    const auto rel = fs::relative(e.path(), dir.path()).string();
    if (e.is_regular_file() && rel.rfind("out/", 0) != 0 && rel != "runs.sqlite" && rel.rfind("runs.sqlite", 0) != 0)
      outside.push_back(rel);
  }
  EXPECT_TRUE(outside.empty()) << outside.front();
  EXPECT_TRUE(fs::exists(dir.file("out/top1-vs-bits-d_.._.._.._.._escaped-data-m_.._.._.._.._escaped-model.svg")));
  EXPECT_FALSE(fs::exists(dir.file("escaped-data-m")));
}

}  // namespace
}  // namespace dfq
