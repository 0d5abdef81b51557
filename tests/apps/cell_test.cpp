// A cell resolved once: precedence of presets and overrides, the auto rules, and the
// resolved-cell file a sweep worker runs.
#include <gtest/gtest.h>

#include <fstream>

#include "apps/cell.h"
#include "core/util/error.h"
#include "methods/game.h"
#include "methods/train/schedule.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

CellRequest request(const std::string& method) {
  CellRequest r;
  r.key.method = method;
  r.key.model = "lenet5";
  r.key.dataset = "fashion-mnist";
  r.key.w_bits = 3;
  r.key.a_bits = 3;
  return r;
}

TEST(Cell, PresetThenOverridesInOrderThenAutoRules) {
  auto r = request("adadfq");
  r.preset = "short";                                   // epochs=4, iters 50, ema, calib 1
  r.overrides = {"epochs=8", "lr_steps=2,6", "epochs=6"};  // later wins
  auto cell = resolve_cell(r);
  const auto s = Schedule::block().read(cell.config);
  EXPECT_EQ(s.epochs, 6);
  EXPECT_EQ(s.iters_per_epoch, 50);
  EXPECT_EQ(s.lr_steps, (std::vector<double>{2, 6}));
  EXPECT_DOUBLE_EQ(s.warmup_epochs, 1.0);  // auto: max(1 % of 6, calib 1)
  EXPECT_EQ(cell.quant.tracker, RangeTrackerKind::Ema);
  EXPECT_EQ(cell.quant.a_bits, 3);
  EXPECT_DOUBLE_EQ(GameParams::read(cell.config).lambda_l, 0.1);  // auto at 3 bits (official)
}

TEST(Cell, ResolvedFileRoundTripsAndIsChecked) {
  testing::TempDir dir;
  auto r = request("qimera");
  r.preset = "tiny";
  auto cell = resolve_cell(r);
  write_resolved_cell(dir.file("cell.json"), cell);
  auto back = load_resolved_cell(dir.file("cell.json"));
  EXPECT_EQ(back.config.dump(), cell.config.dump());
  EXPECT_EQ(back.config.hash(), cell.config.hash());
  EXPECT_EQ(back.method->name, "qimera");
  EXPECT_EQ(back.quant.tracker, RangeTrackerKind::Ema);

  auto j = cell.to_json();
  j["config"]["mix_prob"] = 2.0;
  std::ofstream(dir.file("bad.json")) << j.dump();
  try {
    load_resolved_cell(dir.file("bad.json"));
    FAIL() << "expected an error";
  } catch (const InvalidInputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("bad.json") + ": bad value for mix_prob: expected a number in [0, 1], got 2.0");
  }
  j = cell.to_json();
  j["config"]["warmup_epochs"] = 5.0;  // a cross-key rule: never trains (epochs 1)
  std::ofstream(dir.file("never.json")) << j.dump();
  EXPECT_THROW(load_resolved_cell(dir.file("never.json")), InvalidInputError);
  std::ofstream(dir.file("junk.json")) << "{ not json";
  EXPECT_THROW(load_resolved_cell(dir.file("junk.json")), InvalidInputError);
  EXPECT_THROW(load_resolved_cell(dir.file("absent.json")), MissingFileError);
}

TEST(Cell, OfficialTrackerNeedsOneOrAboutTwoHundredUpdates) {
  auto noise = request("noise");
  noise.overrides = {"calib_batches=20"};  // official by default
  EXPECT_THROW(resolve_cell(noise), InvalidInputError);
  noise.overrides = {"calib_batches=1"};  // one update is the batch's exact min/max
  EXPECT_NO_THROW(resolve_cell(noise));
  noise.overrides = {"calib_batches=20", "range_tracker=ema"};
  EXPECT_NO_THROW(resolve_cell(noise));
  auto gdfq = request("gdfq");
  gdfq.overrides = {"iters_per_epoch=50"};  // auto calibration: 4 epochs = 200 iterations
  auto cell = resolve_cell(gdfq);
  EXPECT_DOUBLE_EQ(Schedule::block().read(cell.config).calib_epochs, 4.0);
}

// adadfq's auto lambda_l and a_ds come from the official configuration of the model and
// bit-width (hfutqian/AdaDFQ *.hocon); where none exists the cell says it is our choice.
TEST(Cell, AdaDfqTakesOfficialValuesOrSaysItsOwnChoice) {
  struct Case {
    const char* model;
    const char* dataset;
    int bits;
    double lambda_l, a_ds;
    bool ours;
  };
  for (const auto& c : {Case{"resnet20", "cifar10", 3, 0.1, 0.2, false}, Case{"resnet50", "cifar10", 3, 0.4, 0.2, false},
                        Case{"resnet50", "cifar10", 4, 0.3, 0.1, false}, Case{"resnet18", "cifar10", 5, 0.3, 0.3, false},
                        Case{"resnet20", "cifar10", 4, 0.3, 0.2, true}, Case{"lenet5", "fashion-mnist", 3, 0.1, 0.2, true}}) {
    SCOPED_TRACE(std::string(c.model) + " " + std::to_string(c.bits));
    auto r = request("adadfq");
    r.key.model = c.model;
    r.key.dataset = c.dataset;
    r.key.w_bits = r.key.a_bits = c.bits;
    auto cell = resolve_cell(r);
    EXPECT_DOUBLE_EQ(GameParams::read(cell.config).lambda_l, c.lambda_l);
    EXPECT_DOUBLE_EQ(cell.config.json().at("a_ds").get<double>(), c.a_ds);
    EXPECT_EQ(cell.notes.size(), c.ours ? 1u : 0u);
    if (c.ours) EXPECT_NE(cell.notes[0].find("no official configuration"), std::string::npos);
  }
  auto set = request("adadfq");
  set.overrides = {"lambda_l=0.25", "a_ds=0.5"};  // explicit values are kept
  auto cell = resolve_cell(set);
  EXPECT_DOUBLE_EQ(GameParams::read(cell.config).lambda_l, 0.25);
  EXPECT_DOUBLE_EQ(cell.config.json().at("a_ds").get<double>(), 0.5);
}

// A student labelled WxAy must be quantized: no calibration means its activation ranges
// are never set, with any tracker.
TEST(Cell, QuantizedActivationsNeedAtLeastOneCalibrationUpdate) {
  for (const char* tracker : {"ema", "minmax", "official"}) {
    auto r = request("gdfq");
    r.overrides = {std::string("range_tracker=") + tracker, "calib_epochs=0", "warmup_epochs=0"};
    try {
      resolve_cell(r);
      ADD_FAILURE() << tracker << ": expected a refusal";
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find("gives no calibration update"), std::string::npos) << e.what();
    }
    r.key.w_bits = r.key.a_bits = 32;  // nothing to calibrate
    EXPECT_NO_THROW(resolve_cell(r)) << tracker;
  }
}

}  // namespace
}  // namespace dfq
