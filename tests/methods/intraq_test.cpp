// intraq calibrates as the official code does: the activation ranges are set on a GDFQ
// generator's images during the first calib_epochs (800 iterations by default) while Q is
// not trained, then frozen for fine-tuning on the synthetic set. The former design
// calibrated on the synthetic set itself (4 EMA updates in the cpu suite), so one extreme
// synthetic image could set a layer's range for the whole run; these tests pin the new one.
#include <gtest/gtest.h>

#include <map>

#include "apps/runner.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "methods/train/phased_source.h"
#include "methods/train/schedule.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(IntraQ, DefaultsCalibrateEightHundredGeneratorIterationsBeforeTraining) {
  CellRequest r;
  r.key = {"test", "intraq", "resnet20", "cifar10", 4, 4, 0};
  const auto cell = resolve_cell(r);
  const auto s = Schedule::block().read(cell.config);
  EXPECT_EQ(s.iters_per_epoch, 200);
  EXPECT_DOUBLE_EQ(s.calib_epochs, 4.0);
  EXPECT_DOUBLE_EQ(s.warmup_epochs, 4.0);
  EXPECT_DOUBLE_EQ(s.calib_epochs * s.iters_per_epoch, 800.0);
  EXPECT_TRUE(cell.notes.empty());  // no departure from the official code left
  r.overrides = {"warmup_epochs=2"};  // Q would train on the calibration generator's images
  EXPECT_THROW(resolve_cell(r), InvalidInputError);
}

TEST(IntraQ, RangesCalibrateOnGeneratorImagesThenFreezeForFineTuning) {
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const auto r = run_cell(store, testing::tiny_request("intraq"));  // 2 epochs of 2 iterations, calib 1 epoch
  std::map<int64_t, std::map<std::string, double>> epochs;
  for (const auto& p : store.curves(r.run_id)) epochs[p.step][p.key] = p.value;
  ASSERT_EQ(epochs.size(), 2u);
  // Epoch 1: the generator trains (its loss terms are logged) and every Q forward calibrates.
  EXPECT_TRUE(epochs[1].count("g_loss"));
  EXPECT_TRUE(epochs[1].count("g_bns"));
  EXPECT_DOUBLE_EQ(epochs[1].at("calib_updates"), 2.0);
  // Epoch 2: the synthetic set; no generator, and the ranges do not move.
  EXPECT_FALSE(epochs[2].count("g_loss"));
  EXPECT_DOUBLE_EQ(epochs[2].at("calib_updates"), 2.0);
  EXPECT_DOUBLE_EQ(r.metrics.at("calib_updates"), 2.0);
}

// A source that counts what it is asked for.
struct CountingSource : ImageSource {
  int* next_calls;
  int* finish_calls;
  CountingSource(int* n, int* f) : next_calls(n), finish_calls(f) {}
  Terms next(StepTensors&, NetImpl&, const StepPosition&) override {
    ++*next_calls;
    return {};
  }
  void finish() override { ++*finish_calls; }
};

// The first source serves iterations before the switch epoch and is finished once (the
// generator's BNS taps stop recording); the second serves the rest.
TEST(PhasedSource, SwitchesAtTheEpochAndFinishesTheFirstSourceOnce) {
  int first_next = 0, first_finish = 0, then_next = 0, then_finish = 0;
  PhasedSource s(std::make_unique<CountingSource>(&first_next, &first_finish),
                 std::make_unique<CountingSource>(&then_next, &then_finish), 1.5);
  Net net = make_model({"lenet5", 1, 10, 28});
  StepTensors st;
  for (double f : {0.0, 0.5, 1.25, 1.5, 2.0, 3.0}) s.next(st, *net, {0, 0, f, 1.0});
  EXPECT_EQ(first_next, 3);
  EXPECT_EQ(then_next, 3);
  EXPECT_EQ(first_finish, 1);
  EXPECT_EQ(then_finish, 0);
}

}  // namespace
}  // namespace dfq
