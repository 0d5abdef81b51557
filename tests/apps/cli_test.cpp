// Command-line conventions (#16 §1): global options after the subcommand, --version, exit
// codes (0 success, 1 failure, 2 usage, check's 3), one line naming each bad value, and a
// `dfq check` hint that works when pasted. Real `dfq` processes on hand-filled stores.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/store/run_store.h"
#include "tests/apps/cli_run.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::add_done_run;
using testing::cell_key;
using testing::metrics_of;
using testing::run_dfq;

TEST(Cli, GlobalOptionsWorkAfterTheSubcommandAndAreInItsHelp) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("clitest", "gdfq"), 80.0);
  }
  // --store after the subcommand's name reaches the command: the run is listed.
  auto r = run_dfq(dir, "runs --store " + dir.file("runs.sqlite") + " --quiet");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("gdfq"), std::string::npos) << r.output;
  // ... and a missing store given there is named in the error (and not created).
  r = run_dfq(dir, "runs --store " + dir.file("missing.sqlite"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.file("missing.sqlite")), std::string::npos) << r.output;
  EXPECT_FALSE(std::ifstream(dir.file("missing.sqlite")).good());
  r = run_dfq(dir, "run --help");
  EXPECT_EQ(r.code, 0);
  for (const char* option : {"--store", "--threads", "--cache", "--quiet", "--device"})
    EXPECT_NE(r.output.find(option), std::string::npos) << option << " missing from run --help:\n" << r.output;
}

TEST(Cli, VersionNamesTheBuild) {
  testing::TempDir dir;
  const auto r = run_dfq(dir, "--version");
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* part : {"dfqbench 0.", "commit ", "build ", "LibTorch 1.", "CUDA "})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << " missing from:\n" << r.output;
}

TEST(Cli, UsageErrorsExitTwoWithOneLineNamingTheValue) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("clitest", "gdfq"), 80.0);
  }
  const std::string store = " --store " + dir.file("runs.sqlite");
  struct Case {
    std::string args, says;
  };
  const std::vector<Case> cases = {
      {"runs --no-such-option", "--no-such-option"},
      {"runs --status bogus" + store, "bogus"},
      {"--threads 0 list", "--threads must be 1 or more"},
      {"list --threads 100000", "--threads 100000 is more than"},
      {"--threads many list", "whole number"},
      {"report --suite clitest --metric bogus --out " + dir.file("rep") + store, "--metric 'bogus'"},
      {"report --suite clitest --baseline zzz --out " + dir.file("rep") + store, "--baseline 'zzz' is not a method"},
      {"report --suite clitest --methods gdfq,nope --out " + dir.file("rep") + store, "'nope' is not a method"},
      {"check --suite clitest --atol -1 --reference " + dir.file("ref.yaml") + store, "--atol"},
  };
  for (const auto& c : cases) {
    const auto r = run_dfq(dir, c.args);
    EXPECT_EQ(r.code, 2) << c.args << ":\n" << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << ":\n" << r.output;
  }
  // The report's metric check lists what the runs have.
  const auto r = run_dfq(dir, "report --suite clitest --metric bogus --out " + dir.file("rep") + store);
  EXPECT_NE(r.output.find("top1"), std::string::npos) << r.output;
  EXPECT_FALSE(std::ifstream(dir.file("rep/report.md")).good()) << "nothing rendered on a usage error";
  // A good report still exits 0.
  EXPECT_EQ(run_dfq(dir, "report --suite clitest --out " + dir.file("rep") + store).code, 0);
}

TEST(Cli, CheckExitCodesAndItsHintWorksWhenPasted) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("clitest", "gdfq"), 80.0);
  }
  const std::string store = " --store " + dir.file("runs.sqlite");
  const std::string ref = dir.file("ref.yaml");
  ASSERT_EQ(run_dfq(dir, "check --suite clitest --write --atol 2.5 --reference " + ref + store).code, 0);
  EXPECT_EQ(run_dfq(dir, "check --suite clitest --reference " + ref + store).code, 0);

  // A better run than the reference by more than atol: exit 3 and a hint to rewrite it.
  {
    RunStore s(dir.file("runs.sqlite"));
    add_done_run(s, cell_key("clitest", "gdfq"), 85.0);
  }
  auto r = run_dfq(dir, "check --suite clitest --reference " + ref + store);
  EXPECT_EQ(r.code, 3) << r.output;
  const auto open = r.output.find("`build/dfq ");
  ASSERT_NE(open, std::string::npos) << r.output;
  const auto close = r.output.find('`', open + 1);
  ASSERT_NE(close, std::string::npos);
  const std::string hint = r.output.substr(open + 1 + std::string("build/dfq ").size(), close - open - 11);
  // Pasted (with this build's binary for build/dfq), it rewrites the reference and keeps atol 2.5.
  r = run_dfq(dir, hint);
  EXPECT_EQ(r.code, 0) << hint << ":\n" << r.output;
  std::ifstream in(ref);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("atol: 2.5"), std::string::npos) << text;
  EXPECT_NE(text.find("top1: 85"), std::string::npos) << text;
  EXPECT_EQ(run_dfq(dir, "check --suite clitest --reference " + ref + store).code, 0);

  // A worse run by more than atol: exit 1.
  {
    RunStore s(dir.file("runs.sqlite"));
    add_done_run(s, cell_key("clitest", "gdfq"), 70.0);
  }
  EXPECT_EQ(run_dfq(dir, "check --suite clitest --reference " + ref + store).code, 1);
}

// #16 §2: `dfq runs --format json` is JSON that python3's json.tool accepts; show and diff
// find runs by id, and a bad run or format is a usage error or a one-line failure.
TEST(Cli, RunsExportShowAndDiff) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("clitest", "gdfq"), 80.0);
    add_done_run(store, cell_key("clitest", "adasg"), 82.0);
  }
  const auto store = " --store " + dir.file("runs.sqlite");
  auto r = run_dfq(dir, "runs --format json" + store + " > " + dir.file("runs.json"));
  EXPECT_EQ(r.code, 0) << r.output;
  if (std::system("command -v python3 > /dev/null") == 0) {
    r = run_dfq(dir, "runs --format json" + store + " | python3 -m json.tool > /dev/null && echo parsed");
    EXPECT_NE(r.output.find("parsed"), std::string::npos) << r.output;
  } else {
    GTEST_LOG_(INFO) << "python3 not installed: json.tool check skipped";
  }
  r = run_dfq(dir, "runs --format csv" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(",adasg,lenet5,fashion-mnist,4,4,0,done,82,"), std::string::npos) << r.output;
  EXPECT_EQ(run_dfq(dir, "runs --format yaml" + store).code, 2);
  r = run_dfq(dir, "show 1" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("run 1: gdfq lenet5 fashion-mnist W4A4 seed 0"), std::string::npos) << r.output;
  r = run_dfq(dir, "diff 1 2" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("top1  A 80  B 82"), std::string::npos) << r.output;
  r = run_dfq(dir, "show 99" + store);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("no run '99'"), std::string::npos) << r.output;
  EXPECT_EQ(run_dfq(dir, "diff 1" + store).code, 2);
}

// #16 §4: `dfq measure` times a real run's models again and replaces its latency figures;
// --suite measures only runs the phase has not measured; bad requests get one line.
TEST(Cli, MeasureTimesFinishedRuns) {
  testing::TempDir dir;
  const auto store = " --store " + dir.file("runs.sqlite") + " --cache " + dir.file("cache");
  auto r = run_dfq(dir, "run --method noise --model lenet5 --preset tiny --suite m" + store);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto first = metrics_of(dir.file("runs.sqlite"), 1);
  ASSERT_TRUE(first.count("latency_noisy")) << "a lone run measures its latency after training";
  const double before = first.at("latency_ms_p50_int8_b64");
  r = run_dfq(dir, "measure 1" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("measured 1/1: run 1 noise W4A4 lenet5 seed 0: int8 batch 1 "), std::string::npos)
      << r.output;
  const auto again = metrics_of(dir.file("runs.sqlite"), 1);
  EXPECT_GT(again.at("latency_ms_p50_int8_b64"), 0.0);
  EXPECT_NE(again.at("latency_ms_p50_int8_b64"), before) << "the figure was not measured again";
  EXPECT_GE(again.at("latency_reps_fp32_b64"), 3.0);
  r = run_dfq(dir, "measure --suite m" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("every finished run of suite 'm' has its latency measured"), std::string::npos) << r.output;
  r = run_dfq(dir, "measure --suite nosuch" + store);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("no finished run of suite 'nosuch'"), std::string::npos) << r.output;
  EXPECT_EQ(run_dfq(dir, "measure" + store).code, 2);
  EXPECT_EQ(run_dfq(dir, "measure 1 --suite m" + store).code, 2);
  r = run_dfq(dir, "measure 1 --store " + dir.file("missing.sqlite"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing.sqlite")));
}

// `dfq runs --suite NAME` lists NAME's variants (NAME@VARIANT) too; NAME@VARIANT lists that
// variant only; another suite whose name starts with NAME is not listed.
TEST(Cli, RunsOfASuiteIncludeItsVariants) {
  testing::TempDir dir;
  {
    RunStore store(dir.file("runs.sqlite"));
    add_done_run(store, cell_key("study@cal4-ft400", "gdfq"), 80.0);
    add_done_run(store, cell_key("study@cal50-ft400", "adasg"), 82.0);
    add_done_run(store, cell_key("studyother", "noise"), 40.0);
  }
  const auto store = " --store " + dir.file("runs.sqlite");
  auto r = run_dfq(dir, "runs --suite study" + store);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("study@cal4-ft400  gdfq"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("study@cal50-ft400 adasg"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("noise"), std::string::npos) << r.output;
  r = run_dfq(dir, "runs --suite study@cal4-ft400" + store);
  EXPECT_NE(r.output.find("gdfq"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("adasg"), std::string::npos) << r.output;
  r = run_dfq(dir, "runs --suite study --limit 1" + store);
  EXPECT_NE(r.output.find("adasg"), std::string::npos) << r.output;  // the newest
  EXPECT_EQ(r.output.find("gdfq"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dfq
