// #17 item 13: reports and the gate read only runs that are the suite file's cells with the
// file's settings; an ad-hoc run recorded under the suite's name is left out, and said so.
#include <gtest/gtest.h>

#include <fstream>

#include "apps/cell.h"
#include "apps/suite_runs.h"
#include "apps/sweep.h"
#include "core/config/suite.h"
#include "reports/check.h"
#include "reports/report.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

const char* kSuite = R"(
name: mini
dataset: fashion-mnist
model: lenet5
methods: [gdfq]
bits: [4]
seeds: [0]
preset: tiny
set: {iters_per_epoch: 3}
variants:
  a: {epochs: 1}
  b: {epochs: 2}
)";

// Records a done run of `request` with its resolved configuration, `edit`ed.
int64_t record(RunStore& store, const CellRequest& request, double top1,
               const std::function<void(nlohmann::json&)>& edit = {}) {
  auto cell = resolve_cell(request);
  auto config = cell.config.json();
  if (edit) edit(config);
  Environment e;
  e.host = "test";
  const auto id = store.begin_run(cell.key, config.dump(), "hash-" + config.dump(), e, "GDFQ", 2020);
  store.finish_run(id, {{"top1", top1}});
  return id;
}

TEST(SuiteRuns, AdHocRunsUnderASuiteNameAreLeftOutOfReportsAndTheGate) {
  testing::TempDir dir;
  std::ofstream(dir.file("mini.yaml")) << kSuite;
  const auto suite = load_suite("mini", dir.path());
  const auto cells = expand_suite(suite, SweepOptions{});
  ASSERT_EQ(cells.size(), 2u);  // variants a and b
  RunStore store(dir.file("runs.sqlite"));
  const auto good = record(store, cells[0], 70.0);
  // Newer, same cell and label, but run by hand with another number of iterations.
  const auto adhoc = record(store, cells[0], 99.0, [](nlohmann::json& c) { c["iters_per_epoch"] = 50; });
  // A key the file does not know (a setting added later) is not compared.
  const auto extra_key = record(store, cells[1], 60.0, [](nlohmann::json& c) { c["new_setting"] = 1; });

  const auto match_a = suite_run_matcher("mini@a", dir.path());
  ASSERT_TRUE(match_a);
  EXPECT_EQ(match_a(*store.get_run(good)), "");
  EXPECT_EQ(match_a(*store.get_run(adhoc)),
            "iters_per_epoch = 50 where " + dir.file("mini.yaml") + " gives 3");
  EXPECT_EQ(suite_run_matcher("mini@b", dir.path())(*store.get_run(extra_key)), "");
  // A run of variant b's settings labelled as variant a: epochs differ.
  EXPECT_NE(match_a(*store.get_run(extra_key)).find("epochs = 2 where"), std::string::npos);
  // Not a cell of the file: another seed.
  RunRecord other = *store.get_run(good);
  other.key.seed = 7;
  EXPECT_NE(match_a(other).find("W4A4 seed 7 on fashion-mnist/lenet5 is not a cell of"), std::string::npos);
  // Labels the sweep writes: NAME-smoke resolves with the tiny presets; an unknown variant
  // leaves every run out; a name without a suite file filters nothing.
  EXPECT_TRUE(suite_run_matcher("mini-smoke@a", dir.path()));
  EXPECT_NE(suite_run_matcher("mini@zzz", dir.path())(other).find("variant 'zzz' is no longer in"),
            std::string::npos);
  EXPECT_FALSE(suite_run_matcher("adhoc", dir.path()));

  ReportOptions o;
  o.suite = "mini@a";
  o.mismatch = match_a;
  const auto report = build_report(store, o, {});
  ASSERT_EQ(report.groups.size(), 1u);
  EXPECT_EQ(report.groups[0].rows[0].cells[0].values, std::vector<double>{70.0});  // not the ad-hoc 99
  EXPECT_EQ(report.left_out.runs, 1);
  EXPECT_EQ(report.left_out.example_run, adhoc);
  EXPECT_NE(render_markdown(report).find("1 finished run recorded under this suite's name is left out"),
            std::string::npos);
  o.mismatch = {};
  EXPECT_EQ(build_report(store, o, {}).groups[0].rows[0].cells[0].values, std::vector<double>{99.0});  // before

  Reference ref;
  ref.suite = "mini@a";
  ref.cells.push_back({cells[0].key, 70.0, -1});
  LeftOut left;
  const auto outcomes = check_reference(store, ref, CheckRuns{match_a, &left});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].verdict, Verdict::Ok);  // the ad-hoc 99 would read as an improvement
  EXPECT_EQ(left.runs, 1);
  EXPECT_EQ(check_reference(store, ref)[0].verdict, Verdict::Improvement);
}

}  // namespace
}  // namespace dfq
