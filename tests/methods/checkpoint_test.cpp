// A killed run resumes from its last epoch's checkpoint and ends with the numbers it would
// have had uninterrupted, for every method that trains (methods/train/checkpoint.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "apps/commands.h"
#include "apps/runner.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "methods/registry.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

namespace fs = std::filesystem;

// Requests a stop, as SIGTERM would, once epoch `stop_after` is logged: the trainer writes
// that epoch's checkpoint, then unwinds at the next iteration.
class StoppingLogger : public MemoryLogger {
 public:
  explicit StoppingLogger(int64_t stop_after) : stop_after_(stop_after) {}
  void curve(int64_t step, const Values& values) override {
    MemoryLogger::curve(step, values);
    if (step == stop_after_) request_stop();
  }

 private:
  int64_t stop_after_;
};

struct Outcome {
  std::map<std::string, double> metrics;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> curves;
  std::vector<torch::Tensor> student;  // parameters and buffers
};

// Runs the cell's method as run_cell does (same context, same seeding), with `log`; the
// data and teacher come from `prepared` (loaded once for several runs of a cell).
Outcome run_method(const ResolvedCell& cell, const PreparedCell& prepared, const std::string& checkpoint,
                   MemoryLogger& log) {
  RunContext ctx = prepared.ctx;
  ctx.checkpoint = checkpoint;
  ctx.log = &log;
  seed_everything(ctx.seed);
  cell.method->run(ctx);
  Outcome o{log.metrics, log.curves, {}};
  for (const auto& p : ctx.student->parameters()) o.student.push_back(p.detach().clone());
  for (const auto& b : ctx.student->buffers()) o.student.push_back(b.detach().clone());
  return o;
}

Outcome run_method(const ResolvedCell& cell, const std::string& checkpoint, MemoryLogger& log) {
  return run_method(cell, *prepare_cell(cell, RunFolders{}), checkpoint, log);
}

// Two epochs of the tiny preset (no warm-up, ranges calibrating in epoch 1): a stop after
// the first leaves Q's SGD momentum, G's Adam moments and a fixed set's position in its
// pass to come back (intraq's Q waits for its 1-epoch calibration).
ResolvedCell two_epoch_cell(const std::string& method, const std::vector<std::string>& extra = {}) {
  auto r = testing::tiny_request(method, 1);
  r.overrides = {"epochs=2"};
  if (method == "zeroq") r.overrides.push_back("finetune=true");
  r.overrides.insert(r.overrides.end(), extra.begin(), extra.end());
  return resolve_cell(r);
}

// Stops `cell` after epoch `stop_after` with a checkpoint at `path`, resumes it, and checks
// the resumed run against an uninterrupted one: every metric but the timings, every epoch's
// curve, and the final student's tensors, bit for bit.
void expect_resume_is_exact(const ResolvedCell& cell, const std::string& path, int64_t stop_after) {
  const auto prepared = prepare_cell(cell, RunFolders{});
  MemoryLogger plain;
  const Outcome whole = run_method(cell, *prepared, "", plain);

  StoppingLogger stopping(stop_after);
  EXPECT_THROW(run_method(cell, *prepared, path, stopping), InterruptedError);
  clear_stop();
  ASSERT_TRUE(fs::exists(path)) << "no checkpoint after epoch " << stop_after;
  EXPECT_EQ(stopping.curves.at("test_top1").size(), static_cast<size_t>(stop_after));

  MemoryLogger again;
  const Outcome resumed = run_method(cell, *prepared, path, again);
  EXPECT_EQ(resumed.metrics.at("resumed_epochs"), static_cast<double>(stop_after));
  EXPECT_EQ(resumed.metrics.at("resumed_other_setup"), 0.0);
  for (const auto& [k, v] : whole.metrics) {
    if (k.find("seconds") != std::string::npos) continue;
    ASSERT_TRUE(resumed.metrics.count(k)) << k;
    EXPECT_EQ(resumed.metrics.at(k), v) << k;  // bit-identical
  }
  // Every epoch's curve, the restored ones included, as the uninterrupted run logged it.
  for (const auto& [k, series] : whole.curves) {
    ASSERT_TRUE(resumed.curves.count(k)) << k;
    ASSERT_EQ(resumed.curves.at(k).size(), series.size()) << k;
    if (k.find("seconds") != std::string::npos) continue;
    for (size_t i = 0; i < series.size(); ++i) {
      EXPECT_EQ(resumed.curves.at(k)[i].first, series[i].first) << k;
      EXPECT_EQ(resumed.curves.at(k)[i].second, series[i].second) << k << " epoch " << series[i].first;
    }
  }
  ASSERT_EQ(resumed.student.size(), whole.student.size());
  for (size_t i = 0; i < whole.student.size(); ++i)
    EXPECT_TRUE(torch::equal(resumed.student[i], whole.student[i])) << "student tensor " << i;
  EXPECT_GE(resumed.metrics.at("train_seconds"), again.curves.at("wall_seconds").back().second);
}

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgressReporter::set_enabled(false);
    clear_stop();
  }
  void TearDown() override { clear_stop(); }
  testing::TempDir dir;
};

TEST_F(Checkpoint, ResumedRunEndsBitIdenticalToAnUninterruptedOneForEveryTrainedMethod) {
  int trained = 0;
  for (const auto& m : method_registry()) {
    SCOPED_TRACE(m.name);
    if (!m.fine_tunes && m.name != "zeroq") continue;  // calibration only
    ++trained;
    expect_resume_is_exact(two_epoch_cell(m.name), dir.file(m.name + ".pt"), 1);
  }
  EXPECT_GE(trained, 7);  // gdfq, qimera, intraq, adasg, adadfq, realdata, zeroq (fine-tuning)
}

// Stopped while the ranges still calibrate (the EMA's raw accumulators and bias correction
// are used after the resume), and intraq stopped after its switch from the calibration
// generator to the synthetic set (the generator's BNS taps must stay off).
TEST_F(Checkpoint, ResumeInsideCalibrationAndAfterIntraqsSwitchIsExact) {
  {
    SCOPED_TRACE("gdfq, calibrating for 2 epochs");
    expect_resume_is_exact(two_epoch_cell("gdfq", {"calib_epochs=2"}), dir.file("gdfq.pt"), 1);
  }
  {
    SCOPED_TRACE("intraq, switching at epoch 0.5");
    expect_resume_is_exact(two_epoch_cell("intraq", {"calib_epochs=0.5"}), dir.file("intraq.pt"), 1);
  }
}

// run_cell keeps an interrupted run's checkpoint, resumes the cell's next run from it (its
// record has every epoch's curves), and removes it when that run is done.
TEST_F(Checkpoint, RunCellResumesTheInterruptedCellAndRemovesTheCheckpointWhenDone) {
  const auto cell = two_epoch_cell("gdfq");
  const auto folder = dir.file("checkpoints");
  const auto path = checkpoint_path(folder, cell);
  EXPECT_NE(path.find(cell.config.hash()), std::string::npos);
  StoppingLogger stopping(1);
  EXPECT_THROW(run_method(cell, path, stopping), InterruptedError);
  clear_stop();
  ASSERT_TRUE(fs::exists(path));

  RunStore store(dir.file("runs.sqlite"));
  const auto r = run_cell(store, cell, RunFolders{"", folder});
  EXPECT_EQ(r.status, "done");
  EXPECT_EQ(r.metrics.at("resumed_epochs"), 1.0);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(fs::path(path).parent_path())) << "the empty suite folder stays";
  int64_t epochs_logged = 0;
  for (const auto& c : store.curves(r.run_id))
    if (c.key == "test_top1") ++epochs_logged;
  EXPECT_EQ(epochs_logged, 2);
}

// A damaged or foreign checkpoint fails the run in one line naming the file; run_cell
// removes it with the failed run, so the next run starts over.
TEST_F(Checkpoint, UnreadableOrForeignCheckpointIsRefusedAndRemoved) {
  const auto cell = two_epoch_cell("gdfq");
  const auto folder = dir.file("checkpoints");
  const auto path = checkpoint_path(folder, cell);
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "not a checkpoint";
  RunStore store(dir.file("runs.sqlite"));
  try {
    run_cell(store, cell, RunFolders{"", folder});
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("starts over"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(store.list_runs().at(0).status, "failed");

  // Another seed's checkpoint under this cell's name.
  auto other = testing::tiny_request("gdfq", 2);
  other.overrides = {"epochs=2"};
  StoppingLogger stopping(1);
  EXPECT_THROW(run_method(resolve_cell(other), path, stopping), InterruptedError);
  clear_stop();
  ASSERT_TRUE(fs::exists(path));
  try {
    run_cell(store, cell, RunFolders{"", folder});
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("seed 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

// A checkpoint folder that cannot be made fails the cell before any run is recorded (not
// after its first epoch's work), in one line that says what to pass instead.
TEST_F(Checkpoint, UnwritableFolderIsRefusedBeforeTheRunIsRecorded) {
  std::ofstream(dir.file("a-file")) << "x";
  RunStore store(dir.file("runs.sqlite"));
  try {
    run_cell(store, two_epoch_cell("gdfq"), RunFolders{"", dir.file("a-file") + "/checkpoints"});
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("--checkpoints ''"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.list_runs().empty());
}

TEST(CheckpointFolder, BesideTheStoreUnlessToldOtherwise) {
  GlobalOptions g;
  g.store = "results/stores/cpu.sqlite";
  EXPECT_EQ(checkpoint_folder(g), "results/stores/cpu.checkpoints");
  g.checkpoints = "/scratch/ck";
  EXPECT_EQ(checkpoint_folder(g), "/scratch/ck");
  g.checkpoints = "";  // --checkpoints '': none, as --cache ''
  EXPECT_EQ(checkpoint_folder(g), "");
}

}  // namespace
}  // namespace dfq
