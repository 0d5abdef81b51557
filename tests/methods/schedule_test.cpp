#include <gtest/gtest.h>

#include "core/util/error.h"
#include "methods/train/schedule.h"

namespace dfq {
namespace {

Schedule resolved(Schedule s, const QuantConfig& q = {}) {
  resolve_schedule(s, q);
  validate_schedule(s, q);
  return s;
}

TEST(TrainerSchedule, AutoValuesArePaperProportions) {
  auto paper = resolved({});
  EXPECT_DOUBLE_EQ(paper.warmup_epochs, 4.0);
  EXPECT_DOUBLE_EQ(paper.calib_epochs, 4.0);
  EXPECT_EQ(paper.lr_steps, (std::vector<double>{100, 200, 300}));

  Schedule two;
  two.epochs = 2;
  auto short_run = resolved(two);
  EXPECT_DOUBLE_EQ(short_run.calib_epochs, 1.0);   // official: >= 200 iterations
  EXPECT_DOUBLE_EQ(short_run.warmup_epochs, 1.0);  // Q waits for the ranges to freeze
  EXPECT_EQ(short_run.lr_steps, (std::vector<double>{0.5, 1.0, 1.5}));

  QuantConfig ema;
  ema.tracker = RangeTrackerKind::Ema;
  auto e = resolved(two, ema);
  EXPECT_DOUBLE_EQ(e.calib_epochs, 0.02);  // 4 of 400 iterations
  EXPECT_DOUBLE_EQ(e.warmup_epochs, 0.02);
}

TEST(TrainerSchedule, ExplicitValuesAreCheckedNotChanged) {
  Schedule s;
  s.epochs = 10;
  s.warmup_epochs = 2;
  s.lr_steps = {5, 8};
  s.calib_epochs = 1;
  auto r = resolved(s);
  EXPECT_DOUBLE_EQ(r.warmup_epochs, 2.0);
  EXPECT_EQ(r.lr_steps, (std::vector<double>{5, 8}));

  Schedule few;
  few.iters_per_epoch = 50;
  few.calib_epochs = 2;  // 100 iterations: too few for the official tracker
  EXPECT_THROW(resolved(few), InvalidInputError);
  QuantConfig float_acts;
  float_acts.a_bits = 32;  // no ranges to calibrate: any length is fine
  EXPECT_NO_THROW(resolved(few, float_acts));

  Schedule never;
  never.epochs = 3;
  never.warmup_epochs = 3;
  EXPECT_THROW(resolved(never), InvalidInputError);

  Schedule unresolved_pass;  // -1 (one pass over a fixed set) left unresolved
  unresolved_pass.iters_per_epoch = -1;
  EXPECT_THROW(validate_schedule(unresolved_pass, {}), InvalidInputError);
}

TEST(TrainerSchedule, LearningRateStepsAndPhasesByFractionalEpoch) {
  Schedule s;
  s.iters_per_epoch = 4;
  s.lr_steps = {1.5, 3};
  s.lr_gamma = 0.1;
  s.calib_epochs = 0.5;
  s.warmup_epochs = 0.75;
  EXPECT_DOUBLE_EQ(s.position(1, 2), 1.5);
  EXPECT_DOUBLE_EQ(s.lr_factor(s.position(1, 1)), 1.0);
  EXPECT_DOUBLE_EQ(s.lr_factor(s.position(1, 2)), 0.1);
  EXPECT_NEAR(s.lr_factor(3.0), 0.01, 1e-15);
  EXPECT_TRUE(s.calibrating(s.position(0, 1)));
  EXPECT_FALSE(s.calibrating(s.position(0, 2)));
  EXPECT_FALSE(s.trains_student(s.position(0, 2)));
  EXPECT_TRUE(s.trains_student(s.position(0, 3)));
}

}  // namespace
}  // namespace dfq
