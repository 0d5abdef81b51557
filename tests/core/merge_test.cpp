// dfq merge: finished runs of shard stores copied into one store, idempotently, with their
// provenance; a uid that exists with other content is refused.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "apps/merge.h"
#include "core/store/run_store.h"
#include "core/store/sqlite_db.h"
#include "core/util/error.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

RunKey cell(const std::string& method, int64_t seed) {
  return {"ci", method, "lenet5", "fashion-mnist", 4, 4, seed};
}

// A shard as a Slurm task writes it: one done run with curves and metrics, one failed run.
void write_shard(const std::string& path, const std::string& method, double top1, const std::string& job) {
  RunStore s(path);
  Environment e;
  e.host = "node7";
  e.threads = 1;
  e.slurm_job = job;
  const auto id = s.begin_run(cell(method, 0), "{\"k\":1}", "hash-" + method, e, "Paper", 2020, {"a note"});
  s.log_curves(id, 1, {{"test_top1", top1 - 1}, {"q_loss", 0.25}});
  s.log_curves(id, 2, {{"test_top1", top1}});
  s.finish_run(id, {{"top1", top1}, {"top5", 99.5}});
  const auto failed = s.begin_run(cell(method, 1), "{}", "hash-" + method, e);
  s.end_run(failed, "failed", "boom");
}

TEST(Merge, CopiesFinishedRunsWithCurvesMetricsAndProvenanceOnce) {
  testing::TempDir dir;
  write_shard(dir.file("task-12_0.sqlite"), "gdfq", 81.25, "12_0");
  write_shard(dir.file("task-12_1.sqlite"), "adasg", 83.5, "12_1");
  const auto into = dir.file("runs.sqlite");
  auto first = merge_stores({dir.file("task-12_0.sqlite"), dir.file("task-12_1.sqlite")}, into);
  EXPECT_EQ(first.shards, 2);
  EXPECT_EQ(first.added, 2);
  EXPECT_EQ(first.present, 0);
  EXPECT_EQ(first.unfinished, 2);  // the failed runs stay in their shards
  {
    RunStore store(into, RunStore::Access::ReadOnly);
    auto runs = store.list_runs();
    ASSERT_EQ(runs.size(), 2u);
    const auto& g = runs[1];  // list_runs is newest first: gdfq, merged first
    EXPECT_EQ(g.key.method, "gdfq");
    EXPECT_EQ(g.status, "done");
    EXPECT_EQ(g.host, "node7");
    EXPECT_EQ(g.slurm_job, "12_0");
    EXPECT_NE(g.merged_from.find("task-12_0.sqlite"), std::string::npos) << g.merged_from;
    EXPECT_EQ(g.notes, nlohmann::json({"a note"}));
    EXPECT_EQ(g.paper, "Paper");
    EXPECT_DOUBLE_EQ(store.metrics(g.id).at("top1"), 81.25);
    ASSERT_EQ(store.curves(g.id).size(), 3u);
    EXPECT_DOUBLE_EQ(store.curves(g.id)[2].value, 81.25);
    EXPECT_TRUE(store.find_done(cell("adasg", 0), "hash-adasg").has_value());
  }
  // Again: nothing is added.
  auto second = merge_stores({dir.file("task-12_0.sqlite"), dir.file("task-12_1.sqlite")}, into);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.present, 2);
  EXPECT_EQ(RunStore(into, RunStore::Access::ReadOnly).list_runs().size(), 2u);
}

TEST(Merge, RefusesAUidThatExistsWithOtherContent) {
  testing::TempDir dir;
  const auto shard = dir.file("task-1_0.sqlite");
  write_shard(shard, "gdfq", 81.25, "1_0");
  const auto into = dir.file("runs.sqlite");
  merge_stores({shard}, into);
  // The shard's run changes after it was merged (a shard rewritten by hand, or two shards
  // carrying one uid): merging must not keep either silently.
  { SqliteDb(shard).exec("UPDATE metrics SET value = 80.0 WHERE key = 'top1'"); }
  try {
    merge_stores({shard}, into);
    ADD_FAILURE() << "merged a run whose uid exists with other content";
  } catch (const InvalidInputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("with different content (metric top1)"), std::string::npos) << what;
  }
  { SqliteDb(shard).exec("UPDATE metrics SET value = 81.25 WHERE key = 'top1'; UPDATE curves SET value = 0 WHERE step = 2"); }
  EXPECT_THROW(merge_stores({shard}, into), InvalidInputError);
  RunStore store(into, RunStore::Access::ReadOnly);
  ASSERT_EQ(store.list_runs().size(), 1u);
  EXPECT_DOUBLE_EQ(store.metrics(store.list_runs()[0].id).at("top1"), 81.25);
}

TEST(Merge, RefusesToMergeAStoreIntoItselfAndNeedsShards) {
  testing::TempDir dir;
  write_shard(dir.file("a.sqlite"), "gdfq", 81.25, "");
  EXPECT_THROW(merge_stores({dir.file("a.sqlite")}, dir.file("a.sqlite")), InvalidInputError);
  EXPECT_THROW(merge_stores({}, dir.file("b.sqlite")), InvalidInputError);
  EXPECT_THROW(merge_stores({dir.file("missing.sqlite")}, dir.file("b.sqlite")), MissingFileError);
}

// A study's cells reused by a table with the same configuration: --suite/--as copy one
// suite's finished runs under another name, which the table's sweep then finds done.
TEST(Merge, RecordsOneSuitesRunsUnderANewNameOnce) {
  testing::TempDir dir;
  const auto study = dir.file("study.sqlite");
  {
    RunStore s(study);
    Environment e;
    e.host = "vm";
    for (const char* suite : {"st@cal200", "st@cal800"}) {
      RunKey k = cell("gdfq", 0);
      k.suite = suite;
      const auto id = s.begin_run(k, "{\"epochs\":12}", std::string("hash-") + suite, e, "Paper", 2020);
      s.log_curves(id, 1, {{"test_top1", 80.0}});
      s.finish_run(id, {{"top1", suite == std::string("st@cal200") ? 81.0 : 84.0}});
    }
    RunKey k = cell("gdfq", 1);
    k.suite = "st@cal200";
    s.end_run(s.begin_run(k, "{}", "hash-st@cal200", e), "interrupted", "");
  }
  const auto into = dir.file("cpu.sqlite");
  const auto first = merge_stores({study}, into, {"st@cal200", "cpu"});
  EXPECT_EQ(first.added, 1);
  EXPECT_EQ(first.unfinished, 1);    // the interrupted seed 1
  EXPECT_EQ(first.other_suites, 1);  // cal800 stays out
  const auto original = RunStore(study, RunStore::Access::ReadOnly).list_runs();
  {
    RunStore store(into, RunStore::Access::ReadOnly);
    const auto runs = store.list_runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].key.suite, "cpu");
    EXPECT_EQ(runs[0].config_hash, "hash-st@cal200");
    EXPECT_DOUBLE_EQ(store.metrics(runs[0].id).at("top1"), 81.0);
    EXPECT_EQ(store.curves(runs[0].id).size(), 1u);
    RunKey k = cell("gdfq", 0);
    k.suite = "cpu";
    EXPECT_TRUE(store.find_done(k, "hash-st@cal200").has_value());  // the table's sweep skips it
    const auto source = std::find_if(original.begin(), original.end(),
                                     [](const RunRecord& r) { return r.key.suite == "st@cal200" && r.status == "done"; });
    ASSERT_NE(source, original.end());
    EXPECT_EQ(runs[0].uid, source->uid + "@cpu");
    EXPECT_NE(runs[0].merged_from.find("study.sqlite, suite st@cal200 as cpu"), std::string::npos) << runs[0].merged_from;
  }
  // Again: nothing added; the study store is unchanged.
  const auto second = merge_stores({study}, into, {"st@cal200", "cpu"});
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.present, 1);
  EXPECT_EQ(RunStore(study, RunStore::Access::ReadOnly).list_runs().size(), original.size());
  // Refused, before the target store is created: --as alone, a name that is none, the
  // suite's own name, a suite the shards lack.
  const auto other = dir.file("other.sqlite");
  auto refused = [&](const MergeOptions& o, const std::string& needle) {
    try {
      merge_stores({study}, other, o);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(other));
  };
  refused({"", "cpu"}, "--as needs --suite");
  refused({"st@cal200", "a/b"}, "'a/b' is not a suite name");
  refused({"st@cal200", "st@cal200"}, "is the suite's own name");
  refused({"st@cal50", "cpu"}, "no run of suite 'st@cal50' in");
}

TEST(Merge, RunsRecordTheSlurmJobTheyRanIn) {
  setenv("SLURM_ARRAY_JOB_ID", "41", 1);
  setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  setenv("SLURM_JOB_ID", "44", 1);
  EXPECT_EQ(slurm_job_from_environment(), "41_3");
  unsetenv("SLURM_ARRAY_JOB_ID");
  unsetenv("SLURM_ARRAY_TASK_ID");
  EXPECT_EQ(slurm_job_from_environment(), "44");
  unsetenv("SLURM_JOB_ID");
  EXPECT_EQ(slurm_job_from_environment(), "");
  testing::TempDir dir;
  RunStore s(dir.file("runs.sqlite"));
  Environment e;
  e.slurm_job = "41_3";
  const auto id = s.begin_run(cell("noise", 0), "{}", "h", e);
  EXPECT_EQ(s.get_run(id)->slurm_job, "41_3");
  EXPECT_EQ(s.get_run(id)->uid.size(), 32u);
}

}  // namespace
}  // namespace dfq
