// noise: reference row. Activation ranges calibrated on N(0, 1) images (normalised
// space), no fine-tuning. Shows what calibration without any data-free synthesis gives.
#include <fmt/format.h>

#include "core/util/error.h"
#include "methods/registry.h"
#include "methods/trainer.h"

namespace dfq {
namespace {

void run_noise(RunContext& ctx) {
  const auto& c = ctx.config;
  const auto& info = ctx.data->info;
  const int64_t batch = c.integer("batch_size");
  run_post_training(ctx, c.integer("calib_batches"), [&](int64_t) {
    return torch::randn({batch, info.channels, info.size, info.size}, torch::TensorOptions().device(ctx.device));
  }, "calibrating on Gaussian noise");
}

}  // namespace

MethodDescriptor noise_method() {
  MethodDescriptor d;
  d.name = "noise";
  d.paper = "reference row: calibration on Gaussian noise";
  d.year = 0;
  d.defaults = {{"calib_batches", 200}, {"batch_size", 32}, {"range_tracker", "official"},
                {"keep_first_last_8bit", false}};
  d.bits = {2, 3, 4, 5, 6, 7, 8, 32};
  d.needs_generator = false;
  d.fine_tunes = false;
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) {
    if (c.integer("calib_batches") <= 0 || c.integer("batch_size") <= 0)
      throw InvalidInputError("noise: calib_batches and batch_size must be positive");
    if (parse_range_tracker(c.str("range_tracker")) == RangeTrackerKind::Official && q.a_bits < 32 &&
        c.integer("calib_batches") < 200)
      throw InvalidInputError(fmt::format(
          "range_tracker=official with {} calibration batches freezes absurd ranges (it needs ~200); "
          "use --set range_tracker=ema or more calib_batches", c.integer("calib_batches")));
  };
  d.presets = {{"tiny", {"calib_batches=2", "batch_size=8", "range_tracker=ema"}},
                {"short", {"calib_batches=50", "range_tracker=ema"}}};
  d.run = run_noise;
  return d;
}

}  // namespace dfq
