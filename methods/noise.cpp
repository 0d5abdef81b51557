// noise: reference row. Activation ranges calibrated on N(0, 1) images (normalised
// space), no fine-tuning. Shows what calibration without any data-free synthesis gives.
#include "core/util/device.h"
#include "methods/registry.h"
#include "methods/train/calibration.h"

namespace dfq {
namespace {

struct NoiseSettings {
  int64_t calib_batches = 200;
  int64_t batch_size = 32;
  static const ParamBlock<NoiseSettings>& block() {
    static const auto block =
        ParamBlock<NoiseSettings>("noise")
            .integer("calib_batches", &NoiseSettings::calib_batches, Bounds::at_least(1),
                     "calibration batches of Gaussian noise")
            .integer("batch_size", &NoiseSettings::batch_size, Bounds::in(1, kMaxBatch), "images per calibration batch");
    return block;
  }
};

void run_noise(RunContext& ctx) {
  const auto s = NoiseSettings::block().read(ctx.config);
  const auto& info = ctx.data->info;
  run_calibration_only(ctx, s.calib_batches, [&](int64_t) {
    return randn_on({s.batch_size, info.channels, info.size, info.size}, ctx.device);
  }, "calibrating on Gaussian noise");
}

}  // namespace

MethodDescriptor noise_method() {
  MethodDescriptor d;
  d.name = "noise";
  d.paper = "reference row: calibration on Gaussian noise";
  d.year = 0;
  d.params = join({NoiseSettings::block().schema({}), quant_block().schema({})});
  d.bits = {2, 3, 4, 5, 6, 7, 8, 32};
  d.validate = [](const Config& c, const QuantConfig& q) {
    check_calibration_updates(q, static_cast<double>(NoiseSettings::block().read(c).calib_batches), "calib_batches");
  };
  d.presets = {{"tiny", {"calib_batches=2", "batch_size=8", "range_tracker=ema"}},
               {"short", {"calib_batches=50", "range_tracker=ema"}}};
  d.run = run_noise;
  return d;
}

}  // namespace dfq
