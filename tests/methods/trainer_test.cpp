#include <gtest/gtest.h>

#include "core/util/error.h"
#include "methods/trainer.h"

namespace dfq {
namespace {

TEST(TrainerSchedule, AutoValuesArePaperProportions) {
  QuantConfig q;
  Config paper(trainer_defaults());
  resolve_trainer_config(paper, q);
  EXPECT_DOUBLE_EQ(paper.num("warmup_epochs"), 4.0);
  EXPECT_DOUBLE_EQ(paper.num("calib_epochs"), 4.0);
  EXPECT_EQ(paper.nums("lr_steps"), (std::vector<double>{100, 200, 300}));

  Config short_run(trainer_defaults());
  short_run.set("epochs", "2");
  resolve_trainer_config(short_run, q);
  EXPECT_DOUBLE_EQ(short_run.num("calib_epochs"), 1.0);   // official: >= 200 iterations
  EXPECT_DOUBLE_EQ(short_run.num("warmup_epochs"), 1.0);  // Q waits for the ranges to freeze
  EXPECT_EQ(short_run.nums("lr_steps"), (std::vector<double>{0.5, 1.0, 1.5}));

  Config ema(trainer_defaults());
  ema.set("epochs", "2");
  ema.set("range_tracker", "ema");
  resolve_trainer_config(ema, q);
  EXPECT_DOUBLE_EQ(ema.num("calib_epochs"), 0.02);   // 4 of 400 iterations
  EXPECT_DOUBLE_EQ(ema.num("warmup_epochs"), 0.02);
}

TEST(TrainerSchedule, ExplicitValuesAreCheckedNotChanged) {
  QuantConfig q;
  Config c(trainer_defaults());
  c.set("epochs", "10");
  c.set("warmup_epochs", "2");
  c.set("lr_steps", "5,8");
  c.set("calib_epochs", "1");
  resolve_trainer_config(c, q);
  EXPECT_DOUBLE_EQ(c.num("warmup_epochs"), 2.0);
  EXPECT_EQ(c.nums("lr_steps"), (std::vector<double>{5, 8}));
  Config few(trainer_defaults());
  few.set("iters_per_epoch", "50");
  few.set("calib_epochs", "2");  // 100 iterations: too few for the official tracker
  EXPECT_THROW(resolve_trainer_config(few, q), InvalidInputError);
  Config never(trainer_defaults());
  never.set("epochs", "3");
  never.set("warmup_epochs", "3");
  EXPECT_THROW(resolve_trainer_config(never, q), InvalidInputError);
}

}  // namespace
}  // namespace dfq
