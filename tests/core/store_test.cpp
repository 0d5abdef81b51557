#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/store/run_store.h"
#include "core/store/sqlite_db.h"
#include "core/util/error.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

RunKey key(const std::string& method, int64_t seed = 0) {
  RunKey k;
  k.suite = "test";
  k.method = method;
  k.model = "lenet5";
  k.dataset = "fashion-mnist";
  k.w_bits = 4;
  k.a_bits = 4;
  k.seed = seed;
  return k;
}

Environment env() {
  Environment e;
  e.git_sha = "abc";
  e.host = "h";
  e.threads = 2;
  e.device = "cpu";
  e.build_commit = "def+dirty";
  e.cpu = "Test CPU 9000";
  return e;
}

TEST(RunStore, RoundTripsRunsMetricsAndCurves) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
  auto id = store.begin_run(key("gdfq"), "{\"lr\":0.1}", "h1", env());
  store.log_curves(id, 0, {{"loss_q", 1.5}, {"top1", 20.0}});
  store.log_curves(id, 1, {{"loss_q", 0.5}});
  EXPECT_EQ(store.get_run(id)->status, "running");
  EXPECT_FALSE(store.find_done(key("gdfq"), "h1").has_value());
  store.finish_run(id, {{"top1", 81.25}, {"top5", 99.0}});
  auto r = store.get_run(id);
  EXPECT_EQ(r->status, "done");
  EXPECT_EQ(r->key.w_bits, 4);
  EXPECT_EQ(r->git_sha, "abc");
  EXPECT_EQ(r->build_commit, "def+dirty");
  EXPECT_EQ(r->cpu, "Test CPU 9000");
  EXPECT_EQ(r->uid.size(), 32u);  // 16 random bytes in hex
  EXPECT_DOUBLE_EQ(store.metrics(id).at("top1"), 81.25);
  EXPECT_EQ(store.curves(id).size(), 3u);
  EXPECT_TRUE(store.find_done(key("gdfq"), "h1").has_value());
  EXPECT_FALSE(store.find_done(key("gdfq"), "other-hash").has_value());
}

// #16 §4: the latency phase adds metrics to finished runs only, replacing a figure it
// measures again and keeping the others.
TEST(RunStore, AddMetricsTakesFinishedRunsOnly) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  auto id = store.begin_run(key("gdfq"), "{}", "h1", env());
  EXPECT_THROW(store.add_metrics(id, {{"latency_noisy", 0}}), InvalidInputError);  // still running
  EXPECT_EQ(store.metrics(id).count("latency_noisy"), 0u);
  store.finish_run(id, {{"top1", 81.25}, {"latency_noisy", 1}});
  store.add_metrics(id, {{"latency_noisy", 0}, {"latency_ms_p50_fp32_b1", 0.5}});
  const auto m = store.metrics(id);
  EXPECT_DOUBLE_EQ(m.at("latency_noisy"), 0);
  EXPECT_DOUBLE_EQ(m.at("latency_ms_p50_fp32_b1"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("top1"), 81.25);
  auto failed = store.begin_run(key("adasg"), "{}", "h2", env());
  store.end_run(failed, "failed", "boom");
  EXPECT_THROW(store.add_metrics(failed, {{"latency_noisy", 0}}), InvalidInputError);
  EXPECT_THROW(store.add_metrics(999, {{"latency_noisy", 0}}), InvalidInputError);
}

std::string bytes_of(const std::string& path);  // below

TEST(RunStore, MigratesVersionOneForward) {
  testing::TempDir dir;
  const auto path = dir.file("old.sqlite");
  {
    // A store written by schema version 1 (no pid column), with one finished run.
    SqliteDb db(path);
    db.exec(R"sql(
      CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, suite TEXT NOT NULL, method TEXT NOT NULL,
        model TEXT NOT NULL, dataset TEXT NOT NULL, w_bits INTEGER NOT NULL, a_bits INTEGER NOT NULL,
        seed INTEGER NOT NULL, config_json TEXT NOT NULL, config_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','done','failed','interrupted')), error TEXT,
        started_at TEXT NOT NULL, ended_at TEXT, git_sha TEXT, git_dirty INTEGER, host TEXT,
        torch_version TEXT, threads INTEGER, device TEXT);
      CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value REAL,
        PRIMARY KEY (run_id, key));
      CREATE TABLE curves (run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL,
        key TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, step, key));
      INSERT INTO runs (suite, method, model, dataset, w_bits, a_bits, seed, config_json, config_hash, status,
        started_at) VALUES ('cpu','gdfq','resnet20','fashion-mnist',4,4,0,'{}','x','done','2026-01-01T00:00:00Z');
      INSERT INTO metrics VALUES (1, 'top1', 88.5);
      PRAGMA user_version = 1;
    )sql");
  }
  // A reader (dfq report, runs, check on an archived store) reads it through a copy migrated
  // in memory and leaves the file as it was.
  const auto before = bytes_of(path);
  {
    RunStore ro(path, RunStore::Access::ReadOnly);
    EXPECT_EQ(ro.schema_version(), 5);
    const auto seen = ro.list_runs();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_DOUBLE_EQ(ro.metrics(seen[0].id).at("top1"), 88.5);
    EXPECT_EQ(seen[0].uid.size(), 32u);
    EXPECT_THROW(ro.begin_run(key("x"), "{}", "h", env()), Error);  // still a reader
  }
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(SqliteDb(path).user_version(), 1);
  RunStore store(path);
  EXPECT_EQ(store.schema_version(), 5);
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].key.method, "gdfq");
  EXPECT_EQ(runs[0].pid, 0);
  EXPECT_EQ(runs[0].paper, "");  // unknown for runs recorded before step 3
  EXPECT_TRUE(runs[0].notes.empty());  // and no notes before step 4
  EXPECT_DOUBLE_EQ(store.metrics(runs[0].id).at("top1"), 88.5);
  // Step 5 gives every old run a uid (32 hex digits) and no Slurm job or merge origin.
  EXPECT_EQ(runs[0].uid.size(), 32u);
  EXPECT_EQ(runs[0].uid.find_first_not_of("0123456789abcdef"), std::string::npos) << runs[0].uid;
  EXPECT_EQ(runs[0].slurm_job, "");
  EXPECT_EQ(runs[0].merged_from, "");
  // New runs record their pid, paper and year in the migrated columns.
  auto id = store.begin_run(key("noise"), "{}", "y", env(), "A Paper (Someone et al., Venue)", 2021,
                            {"differs: one", "differs: two"});
  EXPECT_EQ(store.get_run(id)->notes, nlohmann::json({"differs: one", "differs: two"}));
  EXPECT_EQ(store.get_run(id)->pid, getpid());
  EXPECT_EQ(store.get_run(id)->paper, "A Paper (Someone et al., Venue)");
  EXPECT_EQ(store.get_run(id)->year, 2021);
}

TEST(RunStore, RefusesNewerSchema) {
  testing::TempDir dir;
  {
    SqliteDb db(dir.file("new.sqlite"));
    db.set_user_version(99);
  }
  EXPECT_THROW(RunStore(dir.file("new.sqlite")), Error);
}

// #17 item 4: an empty store file is a truncated store, not a new one.
TEST(RunStore, AnEmptyFileIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  { std::ofstream touch(dir.file("runs.sqlite")); }
  try {
    RunStore store(dir.file("runs.sqlite"));
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("is an empty file (a truncated store?)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::filesystem::file_size(dir.file("runs.sqlite")), 0u);
  // A path with no file is a new store.
  RunStore fresh(dir.file("new.sqlite"));
  EXPECT_EQ(fresh.schema_version() > 0, true);
}

// #17 item 8: a store with a corrupt page is refused by the commands that read it, not read as
// fewer rows.
TEST(RunStore, CorruptPagesAreFoundByTheIntegrityCheck) {
  testing::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  {
    RunStore store(path);
    for (int i = 0; i < 40; ++i) {
      auto id = store.begin_run(key("gdfq", i), "{}", "h", env());
      for (int s = 0; s < 30; ++s) store.log_curves(id, s, {{"loss", double(s)}, {"acc", double(i)}});
      store.finish_run(id, {{"top1", double(i)}});
    }
    store.verify_integrity();  // a sound store passes
  }
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8u * 4096u);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(size - 3 * 4096));  // a page near the end: curves or an index
    const std::string garbage(4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  try {
    RunStore store(path);
    store.verify_integrity();
    FAIL() << "a corrupt store passed";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(msg.find("corrupt") != std::string::npos || msg.find("malformed") != std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

TEST(RunStore, KilledRunIsMarkedInterruptedAndHasNoMetricsShownAsDone) {
  testing::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  { RunStore init(path); }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RunStore store(path);
    Environment e = env();
    char host[256] = {0};
    gethostname(host, 255);
    e.host = host;
    auto id = store.begin_run(key("adasg"), "{}", "h", e);
    store.log_curves(id, 0, {{"loss_q", 1.0}});
    raise(SIGKILL);  // dies mid-run, before finish_run
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  RunStore store(path);
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
  EXPECT_TRUE(store.metrics(runs[0].id).empty());
  EXPECT_EQ(store.curves(runs[0].id).size(), 1u);  // what was logged before the kill survives
  EXPECT_FALSE(store.find_done(key("adasg"), "h").has_value());
}

TEST(RunStore, LiveRunIsNotMarkedInterrupted) {
  testing::TempDir dir;
  RunStore a(dir.file("runs.sqlite"));
  Environment e = env();
  char host[256] = {0};
  gethostname(host, 255);
  e.host = host;
  auto id = a.begin_run(key("gdfq"), "{}", "h", e);
  RunStore b(dir.file("runs.sqlite"));  // this process is alive
  EXPECT_EQ(b.get_run(id)->status, "running");
}

// #17 item 2: a cell is claimed in one transaction; a claim by a live process, or a done
// run of the configuration, makes the next claimant skip it; the worker adopts the claim.
TEST(RunStore, ClaimsAreExclusiveAndAdoptedByTheWorker) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const auto k = key("gdfq");
  auto first = store.claim_run(k, "{}", "h1", env());
  ASSERT_EQ(first.outcome, RunStore::Claim::Claimed);
  EXPECT_EQ(store.get_run(first.run_id)->status, "running");
  EXPECT_EQ(store.get_run(first.run_id)->pid, getpid());
  auto second = store.claim_run(k, "{}", "h1", env());  // this process is alive: running
  EXPECT_EQ(second.outcome, RunStore::Claim::Running);
  EXPECT_EQ(second.pid, getpid());
  // Another configuration of the cell is another cell.
  EXPECT_EQ(store.claim_run(k, "{}", "h2", env()).outcome, RunStore::Claim::Claimed);
  // Adoption checks the cell and the configuration.
  Environment worker = env();
  worker.threads = 3;
  EXPECT_THROW(store.adopt_run(first.run_id, key("adasg"), "h1", worker), InvalidInputError);
  EXPECT_THROW(store.adopt_run(first.run_id, k, "h2", worker), InvalidInputError);
  store.adopt_run(first.run_id, k, "h1", worker);
  EXPECT_EQ(store.get_run(first.run_id)->threads, 3);
  store.finish_run(first.run_id, {{"top1", 50.0}});
  EXPECT_EQ(store.claim_run(k, "{}", "h1", env()).outcome, RunStore::Claim::Done);
  EXPECT_THROW(store.adopt_run(first.run_id, k, "h1", worker), InvalidInputError);  // no longer running
  // end_if_running ends only a running run.
  auto third = store.claim_run(key("gdfq", 1), "{}", "h1", env());
  EXPECT_TRUE(store.end_if_running(third.run_id, "failed", "worker died"));
  EXPECT_FALSE(store.end_if_running(third.run_id, "interrupted", "again"));
  EXPECT_EQ(store.get_run(third.run_id)->status, "failed");
  EXPECT_EQ(store.get_run(third.run_id)->error, "worker died");
  EXPECT_FALSE(store.end_if_running(first.run_id, "failed", "done already"));
  EXPECT_EQ(store.get_run(first.run_id)->status, "done");
  // A failed or interrupted run does not block a new claim.
  EXPECT_EQ(store.claim_run(key("gdfq", 1), "{}", "h1", env()).outcome, RunStore::Claim::Claimed);
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// #17 item 9 and #16: commands that only read open the store read-only: nothing is
// created, migrated or rewritten (a dead process's run reads as interrupted without being
// written), and a missing store is an error, not a new file.
TEST(RunStore, ReadOnlyAccessChangesAndCreatesNothing) {
  testing::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  {
    RunStore store(path);
    store.finish_run(store.begin_run(key("gdfq"), "{}", "h", env()), {{"top1", 80.0}});
  }
  pid_t child = fork();  // leaves a `running` run of a dead local process
  if (child == 0) {
    RunStore store(path);
    Environment e = env();
    char host[256] = {0};
    gethostname(host, 255);
    e.host = host;
    store.begin_run(key("adasg"), "{}", "h", e);
    raise(SIGKILL);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  { SqliteDb(path).exec("PRAGMA wal_checkpoint(TRUNCATE)"); }
  const auto before = bytes_of(path);
  {
    RunStore ro(path, RunStore::Access::ReadOnly);
    EXPECT_TRUE(ro.read_only());
    ro.verify_integrity();
    auto runs = ro.list_runs();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].status, "interrupted");  // as seen, not as written
    RunFilter f;
    f.status = "interrupted";
    EXPECT_EQ(ro.list_runs(f).size(), 1u);
    f.status = "running";
    EXPECT_TRUE(ro.list_runs(f).empty());
    EXPECT_EQ(ro.get_run(runs[0].id)->status, "interrupted");
    EXPECT_EQ(ro.metrics(runs[1].id).at("top1"), 80.0);
    EXPECT_THROW(ro.begin_run(key("x"), "{}", "h", env()), Error);  // a read-only connection
  }
  EXPECT_EQ(bytes_of(path), before);
  {
    SqliteDb db(path);  // the row itself still says running: nothing was rewritten
    Statement s(db, "SELECT status FROM runs WHERE method='adasg'");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "running");
  }
  // Missing: refused in one line; neither the file nor its folder appears.
  try {
    RunStore missing(dir.file("nowhere/runs.sqlite"), RunStore::Access::ReadOnly);
    ADD_FAILURE() << "opened a missing store";
  } catch (const MissingFileError& e) {
    EXPECT_NE(std::string(e.what()).find("never create one"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("nowhere")));
  // The `runs` command the same way.
  const std::string cmd = std::string(DFQ_CLI) + " --store " + dir.file("nowhere/runs.sqlite") + " runs >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("nowhere")));
  // A file with tables but no schema version is not taken for a store by a reader.
  { SqliteDb(path).set_user_version(0); }
  EXPECT_THROW(RunStore(path, RunStore::Access::ReadOnly), InvalidInputError);
}

// A store in a folder the process cannot write (an archive, a read-only mount) is read
// without the -shm file SQLite's WAL mode otherwise creates.
TEST(RunStore, StoreInAReadOnlyFolderCanBeRead) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.file("archive"));
  const auto path = dir.file("archive/runs.sqlite");
  {
    RunStore store(path);
    store.finish_run(store.begin_run(key("gdfq"), "{}", "h", env()), {{"top1", 80.0}});
  }
  const testing::ReadOnlyView read_only(dir, dir.file("archive"));  // a bind mount as root
  if (read_only.path().empty())
    GTEST_SKIP() << "running as root and cannot make a read-only bind mount here: the read-only folder case is "
                    "not exercised";
  const std::string view = read_only.path();
  {
    RunStore ro(view + "/runs.sqlite", RunStore::Access::ReadOnly);
    ro.verify_integrity();
    ASSERT_EQ(ro.list_runs().size(), 1u);
    EXPECT_EQ(ro.metrics(ro.list_runs()[0].id).at("top1"), 80.0);
  }
  EXPECT_FALSE(std::filesystem::exists(view + "/runs.sqlite-shm"));
}

TEST(RunStore, TwoProcessesWritingAtOnceBothSucceed) {
  testing::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  { RunStore init(path); }
  constexpr int kRuns = 60;
  pid_t kids[2];
  for (int w = 0; w < 2; ++w) {
    kids[w] = fork();
    ASSERT_GE(kids[w], 0);
    if (kids[w] == 0) {
      try {
        RunStore store(path);
        for (int i = 0; i < kRuns; ++i) {
          auto id = store.begin_run(key(w == 0 ? "gdfq" : "adasg", i), "{}", "h", env());
          for (int s = 0; s < 5; ++s) store.log_curves(id, s, {{"loss", double(s)}, {"acc", double(i)}});
          store.finish_run(id, {{"top1", double(i)}});
        }
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
  }
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  RunStore store(path);
  RunFilter f;
  f.status = "done";
  EXPECT_EQ(store.list_runs(f).size(), 2u * kRuns);
  f.method = "adasg";
  EXPECT_EQ(store.list_runs(f).size(), size_t(kRuns));
}

}  // namespace
}  // namespace dfq
