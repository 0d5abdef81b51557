// Suites: parsing, grid expansion and a real sweep with worker processes that skips what
// is done and re-runs what is not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apps/cell.h"
#include "apps/sweep.h"
#include "core/store/run_store.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/config/suite.h"
#include "models/zoo.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kTinySuite = R"(
name: tiny
dataset: fashion-mnist
model: lenet5
methods: [noise, gdfq]
bits: [4]
extra_bits: {noise: [8]}
seeds: [0]
preset: tiny
set: {batch_size: 8, iters_per_epoch: 2}
method_set:
  noise: {calib_batches: 2}
)";

TEST(Suite, ParsesAndExpands) {
  testing::TempDir dir;
  write(dir.file("tiny.yaml"), kTinySuite);
  auto s = load_suite("tiny", dir.path());
  EXPECT_EQ(s.name, "tiny");
  ASSERT_EQ(s.bits.size(), 1u);
  EXPECT_EQ(s.extra_bits.at("noise")[0].w, 8);
  SweepOptions o;
  auto cells = expand_suite(s, o);
  ASSERT_EQ(cells.size(), 3u);  // noise W4A4, noise W8A8, gdfq W4A4
  EXPECT_EQ(cells[0].key.method, "noise");
  EXPECT_EQ(cells[1].key.w_bits, 8);
  EXPECT_EQ(cells[2].key.method, "gdfq");
  EXPECT_EQ(cells[0].preset, "tiny");
  // `set` reaches only methods that have the key: noise has batch_size, not iters_per_epoch.
  auto has = [](const CellRequest& r, const std::string& kv) {
    return std::find(r.overrides.begin(), r.overrides.end(), kv) != r.overrides.end();
  };
  EXPECT_TRUE(has(cells[0], "batch_size=8"));
  EXPECT_FALSE(has(cells[0], "iters_per_epoch=2"));
  EXPECT_TRUE(has(cells[0], "calib_batches=2"));
  EXPECT_TRUE(has(cells[2], "iters_per_epoch=2"));
  o.methods = {"gdfq"};
  EXPECT_EQ(expand_suite(s, o).size(), 1u);
  o.methods = {"adasg"};
  EXPECT_THROW(expand_suite(s, o), InvalidInputError);  // not in the suite
  EXPECT_EQ(parse_bit_width("4/8").a, 8);
  EXPECT_THROW(parse_bit_width("four"), InvalidInputError);
}

// bit_seeds: a table with fewer seeds at one bit-width (the cpu table's W5A5) is one suite.
TEST(Suite, BitSeedsReplaceTheSeedsOfTheirBitWidth) {
  testing::TempDir dir;
  write(dir.file("t.yaml"), R"(
dataset: fashion-mnist
model: lenet5
methods: [noise, gdfq]
bits: [3, 5]
extra_bits: {noise: [8]}
seeds: [0, 1, 2, 3, 4]
bit_seeds: {5: [0, 1, 2], "8/8": [7]}
)");
  auto s = load_suite("t", dir.path());
  std::map<std::string, std::vector<int64_t>> seeds;  // "method W" -> seeds, in grid order
  for (const auto& c : expand_suite(s, SweepOptions{}))
    seeds[c.key.method + " " + std::to_string(c.key.w_bits)].push_back(c.key.seed);
  const std::vector<int64_t> five = {0, 1, 2, 3, 4}, three = {0, 1, 2}, seven = {7};
  EXPECT_EQ(seeds["noise 3"], five);
  EXPECT_EQ(seeds["gdfq 3"], five);
  EXPECT_EQ(seeds["noise 5"], three);
  EXPECT_EQ(seeds["gdfq 5"], three);
  EXPECT_EQ(seeds["noise 8"], seven);
  EXPECT_EQ(seeds.size(), 5u);
  // --seeds filters within each bit-width's own list.
  SweepOptions o;
  o.seeds = {4};
  const auto only4 = expand_suite(s, o);
  ASSERT_EQ(only4.size(), 2u);
  for (const auto& c : only4) EXPECT_EQ(c.key.w_bits, 3);
}

// A study suite: each variant is a copy of the grid with its own settings, applied after
// method_set, recorded as suite "<name>@<variant>"; --variants filters them.
TEST(Suite, VariantsCopyTheGridWithTheirSettings) {
  testing::TempDir dir;
  write(dir.file("study.yaml"), R"(
dataset: fashion-mnist
model: lenet5
methods: [noise, gdfq]
bits: [3, 4]
seeds: [0]
set: {iters_per_epoch: 5, range_tracker: ema}
method_set:
  gdfq: {epochs: 3}
variants:
  short: {epochs: 2, calib_epochs: 0.5}
  long: {epochs: 6}
)");
  auto s = load_suite("study", dir.path());
  ASSERT_EQ(s.variants.size(), 2u);
  EXPECT_EQ(s.variants[0].first, "short");  // the file's order
  EXPECT_EQ(s.variants[1].second.at(0), (std::pair<std::string, std::string>{"epochs", "6"}));
  auto cells = expand_suite(s, SweepOptions{});
  // 2 methods x 2 variants x 2 bit-widths; per method: variants, then bits, then seeds.
  ASSERT_EQ(cells.size(), 8u);
  EXPECT_EQ(cells[0].key.suite, "study@short");
  EXPECT_EQ(cells[2].key.suite, "study@long");
  EXPECT_EQ(cells[4].key.method, "gdfq");
  EXPECT_EQ(cells[4].key.suite, "study@short");
  EXPECT_EQ(cell_name(cells[4].key), "gdfq-fashion-mnist-lenet5-W3A3-seed0@short");
  // The variant's value comes after method_set's, so it wins; noise lacks the schedule keys.
  EXPECT_EQ(cells[4].overrides,
            (std::vector<std::string>{"iters_per_epoch=5", "range_tracker=ema", "epochs=3", "epochs=2", "calib_epochs=0.5"}));
  EXPECT_EQ(cells[0].overrides, (std::vector<std::string>{"range_tracker=ema"}));
  const auto resolved = resolve_cell(cells[6]);  // gdfq, long
  EXPECT_EQ(resolved.config.value("epochs").get<int64_t>(), 6);
  SweepOptions only_long;
  only_long.variants = {"long"};
  only_long.methods = {"gdfq"};
  auto filtered = expand_suite(s, only_long);
  ASSERT_EQ(filtered.size(), 2u);
  EXPECT_EQ(filtered[0].key.suite, "study@long");
  only_long.variants = {"medium"};
  EXPECT_THROW(expand_suite(s, only_long), InvalidInputError);
  // Without variants the runs keep the suite's own name.
  write(dir.file("plain.yaml"), kTinySuite);
  EXPECT_EQ(expand_suite(load_suite("plain", dir.path()), SweepOptions{})[0].key.suite, "tiny");
  EXPECT_EQ(cell_name(expand_suite(load_suite("plain", dir.path()), SweepOptions{})[0].key),
            "noise-fashion-mnist-lenet5-W4A4-seed0");
}

TEST(Suite, BadFilesSayWhatToFix) {
  testing::TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    write(dir.file("bad.yaml"), text);
    try {
      auto s = load_suite("bad", dir.path());
      expand_suite(s, SweepOptions{});
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4]\n", "'seeds'");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [nosie]\nbits: [4]\nseeds: [0]\n", "valid: noise");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4]\nseeds: [0]\nset: {epohcs: 2}\n",
               "set: unknown key 'epohcs'; valid keys: batch_size, calib_batches, keep_first_last_8bit, range_tracker "
               "(the settings of the suite's methods: noise)");
  expect_error("dataset: fashion-mnist\nmodels: lenet5\n", "unknown key 'models' (did you mean 'model'?); valid keys: ");
  expect_error("dataset: [fashion\n", "not valid YAML");
  // #17 item 14: a value listed twice would run its cells twice; a repeated key reads one value.
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4]\nseeds: [0, 1, 0]\n",
               "seeds lists 0 twice");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise, gdfq, noise]\nbits: [4]\nseeds: [0]\n",
               "methods lists noise twice");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4, \"4/4\"]\nseeds: [0]\n",
               "bits lists W4A4 twice");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmodel: resnet20\nmethods: [noise]\nbits: [4]\nseeds: [0]\n",
               "key 'model' appears twice");
  // Variants: a map of safe names to non-empty settings, each key known to some method.
  const std::string base = "dataset: fashion-mnist\nmodel: lenet5\nmethods: [gdfq]\nbits: [4]\nseeds: [0]\n";
  expect_error(base + "variants: [a, b]\n", "expected a map of variant name");
  expect_error(base + "variants: {a: {}}\n", "at least one setting");
  expect_error(base + "variants: {\"a/b\": {epochs: 2}}\n", "variant name 'a/b' is not valid");
  expect_error(base + "variants: {a: {epochs: 2}, a: {epochs: 3}}\n", "variant 'a' appears twice");
  expect_error(base + "variants: {a: {epohcs: 2}}\n", "variants.a: unknown key 'epohcs' (did you mean 'epochs'?)");
  expect_error(base + "set: {epochs: 2, epochs: 3}\n", "key 'epochs' appears twice");
  expect_error(base + "bit_seeds: [0, 1]\n", "bit_seeds: expected a map of bit-width: [seeds]");
  expect_error(base + "bit_seeds: {5: [0]}\n", "bit_seeds names W5A5, which is not in bits or extra_bits");
  expect_error(base + "bit_seeds: {4: []}\n", "bit_seeds.4: expected a non-empty list of seeds");
  expect_error(base + "bit_seeds: {4: [1, 1]}\n", "bit_seeds.W4A4 lists 1 twice");
  expect_error(base + "bit_seeds: {4: [1], \"4/4\": [2]}\n", "bit_seeds lists W4A4 twice");
  expect_error(base + "bit_seeds: {four: [1]}\n", "bad.yaml: bit_seeds: bit-width 'four' is not a number");
  expect_error("dataset: fashion-mnist\nmodel: lenet5\nmethods: [noise]\nbits: [4, x]\nseeds: [0]\n",
               "bad.yaml: bits: bit-width 'x' is not a number");
  EXPECT_THROW(load_suite("nope", dir.path()), MissingFileError);
}

TEST(Sweep, RunsWorkersSkipsDoneCellsAndRerunsChangedOnes) {
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  write(dir.file("tiny.yaml"), kTinySuite);
  SweepOptions o;
  o.suite = "tiny";
  o.configs_dir = dir.path();
  o.store = dir.file("runs.sqlite");
  o.cache = "";
  o.jobs = 2;
  o.threads_per_job = 1;
  o.executable = DFQ_CLI;
  auto first = run_sweep(o);
  EXPECT_EQ(first.total, 3);
  EXPECT_EQ(first.done, 3) << (first.failures.empty() ? "" : first.failures[0]);
  EXPECT_EQ(first.failed, 0);
  {
    RunStore store(o.store);
    RunFilter f;
    f.suite = "tiny";
    f.status = "done";
    EXPECT_EQ(store.list_runs(f).size(), 3u);
    // #16 §4: the workers time no latency; the sweep's latency phase, after them, did.
    for (const auto& r : store.list_runs(f)) {
      const auto m = store.metrics(r.id);
      EXPECT_TRUE(m.count("latency_noisy")) << "run " << r.id << " has no latency from the phase";
      EXPECT_GT(m.count("latency_ms_p50_fp32_b64") ? m.at("latency_ms_p50_fp32_b64") : 0.0, 0.0);
      EXPECT_GE(m.count("latency_reps_int8_b1") ? m.at("latency_reps_int8_b1") : 0.0, 3.0);
    }
    // A cell whose run was interrupted counts as not done: plant one for another seed.
    RunKey k{"tiny", "noise", "lenet5", "fashion-mnist", 4, 4, 0};
    auto id = store.begin_run(k, "{}", "other-hash", Environment{});
    store.end_run(id, "interrupted", "killed");
  }
  auto second = run_sweep(o);
  EXPECT_EQ(second.skipped, 3);
  EXPECT_EQ(second.done, 0);
  // Another value for a key changes the config hash: only that method's cells run again.
  write(dir.file("tiny.yaml"), std::string(kTinySuite) + "  gdfq: {lr_q: 0.0002}\n");
  // At another thread count than the finished runs (#17 item 3) the sweep says so.
  o.threads_per_job = 2;
  o.jobs = 1;
  ::testing::internal::CaptureStderr();
  auto third = run_sweep(o);
  const auto said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(third.skipped, 2);
  EXPECT_EQ(third.done, 1);
  EXPECT_NE(said.find("note: this suite has finished runs at 1 thread(s) per run; this sweep runs 2 per worker"),
            std::string::npos)
      << said;
}

// #17 item 7: a worker that fails on a full disk stops the sweep from starting more cells
// (before: every remaining cell was started and failed the same way); the error names the
// cause, the failed run keeps it, and the cells not started stay unclaimed.
TEST(Sweep, AFailureOnAFullDiskStopsStartingCells) {
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  write(dir.file("tiny.yaml"), kTinySuite);
  // A worker that fails as one does when the store's disk is full.
  write(dir.file("full-disk-worker"),
        "#!/bin/sh\necho 'error: cannot record a curve of run 1: database or disk is full' >&2\nexit 1\n");
  std::filesystem::permissions(dir.file("full-disk-worker"), std::filesystem::perms::owner_all);
  SweepOptions o;
  o.suite = "tiny";
  o.configs_dir = dir.path();
  o.store = dir.file("runs.sqlite");
  o.cache = "";
  o.jobs = 1;
  o.threads_per_job = 1;
  o.executable = dir.file("full-disk-worker");
  ::testing::internal::CaptureStderr();
  try {
    run_sweep(o);
    ::testing::internal::GetCapturedStderr();
    FAIL() << "the sweep went on after a full disk";
  } catch (const Error& e) {
    ::testing::internal::GetCapturedStderr();
    const std::string what = e.what();
    EXPECT_NE(what.find("sweep stopped starting cells"), std::string::npos) << what;
    EXPECT_NE(what.find("database or disk is full"), std::string::npos) << what;
    EXPECT_NE(what.find("2 cell(s) not started"), std::string::npos) << what;
  }
  RunStore store(o.store);
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u) << "cells were started after the full disk";
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_NE(runs[0].error.find("database or disk is full"), std::string::npos) << runs[0].error;
}

TEST(Sweep, MissingDataOrTeacherStopsBeforeAnythingRuns) {
  testing::TempDir dir;
  write(dir.file("c10.yaml"),
        "dataset: cifar10\ndata_root: " + dir.file("nowhere") +
            "\nmodel: resnet20\nneeds: put CIFAR-10 in data/cifar10\nmethods: [noise]\nbits: [4]\nseeds: [0]\n");
  SweepOptions o;
  o.suite = "c10";
  o.configs_dir = dir.path();
  o.store = dir.file("runs.sqlite");
  try {
    run_sweep(o);
    FAIL() << "expected MissingFileError";
  } catch (const MissingFileError& e) {
    EXPECT_NE(std::string(e.what()).find("put CIFAR-10 in data/cifar10"), std::string::npos) << e.what();
  }
  write(dir.file("noteacher.yaml"), "dataset: fashion-mnist\nmodel: resnet56\nmethods: [noise]\nbits: [4]\nseeds: [0]\n");
  o.suite = "noteacher";
  EXPECT_THROW(run_sweep(o), MissingFileError);
  // #17 item 16: a teacher whose weights no longer match their manifest stops the sweep
  // before any cell is claimed (before: each worker found it, one after the other).
  TeacherManifest m;
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  save_teacher(make_model({"lenet5", 1, 10, 28}), m, dir.file("zoo"));
  std::ofstream(teacher_weights_path(dir.file("zoo"), "fashion-mnist", "lenet5"), std::ios::app) << "x";
  write(dir.file("badteacher.yaml"), "dataset: fashion-mnist\nmodel: lenet5\nzoo: " + dir.file("zoo") +
                                         "\nmethods: [noise]\nbits: [4]\nseeds: [0]\n");
  o.suite = "badteacher";
  try {
    run_sweep(o);
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match its manifest"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(o.store) && !RunStore(o.store).list_runs().empty());
}

}  // namespace
}  // namespace dfq

namespace dfq {
namespace {

// Planning a paper suite needs no data and no teacher: the listing goes on with a note,
// shows each cell's resolved schedule and, with measured rates, its training time.
TEST(SweepDryRun, ListsResolvedSchedulesAndEstimatesWithoutData) {
  testing::TempDir dir;
  SweepOptions o;
  o.suite = "paper-cifar10";
  o.store = dir.file("runs.sqlite");
  o.data_root = dir.file("no-data");
  o.dry_run = true;
  o.seeds = {0};
  o.bits = {{4, 4}};
  o.methods = {"gdfq", "adasg", "qimera", "zeroq"};
  const std::string rates = dir.file("rates.yaml");
  std::ofstream(rates) << "gdfq: 40\nadasg: 50\nzeroq: 10\n";
  o.rates = rates;
  ::testing::internal::CaptureStdout();
  const auto summary = run_sweep(o);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(summary.total, 4);
  EXPECT_EQ(summary.done, 0);
  // zeroq is post-training (finetune=false): no fine-tuning iterations, no hours.
  EXPECT_NE(out.find("zeroq-cifar10-resnet20-W4A4-seed0  (post-training, finetune=false"), std::string::npos) << out;
  // gdfq: 400 x 200 iterations at batch 200; 80,000 x 40 ms = 0.9 h.
  EXPECT_NE(out.find("gdfq-cifar10-resnet20-W4A4-seed0  80000 iterations x batch 200 = 16000000 images  ~0.9 h"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("qimera-cifar10-resnet20-W4A4-seed0  80000 iterations x batch 200 = 16000000 images  (no "
                     "measured rate)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("estimated training time of the cells with a rate: 2.0 h"), std::string::npos) << out;
  std::ofstream(rates) << "gdfq: [not, a, number]\n";
  EXPECT_THROW(run_sweep(o), InvalidInputError);
}

}  // namespace
}  // namespace dfq
