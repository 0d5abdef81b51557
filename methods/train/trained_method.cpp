#include "methods/train/trained_method.h"

#include <fmt/format.h>

#include <chrono>

#include "core/util/error.h"
#include "core/util/rng.h"
#include "core/util/sha256.h"
#include "methods/train/trainer.h"

namespace dfq {

std::map<std::string, std::vector<std::string>> trainer_presets() {
  return {{"tiny", {"epochs=1", "iters_per_epoch=2", "batch_size=8", "range_tracker=ema", "warmup_epochs=0",
                    "calib_epochs=1"}},
          {"short", {"epochs=4", "iters_per_epoch=50", "range_tracker=ema", "calib_epochs=1"}}};
}

void resolve_trained(Config& c, const QuantConfig& quant) {
  auto s = Schedule::block().read(c);
  resolve_schedule(s, quant);
  Schedule::block().write(s, c);
}

void validate_trained(const Config& c, const QuantConfig& quant) {
  validate_schedule(Schedule::block().read(c), quant);
}

MethodDescriptor trained_method(const std::string& name, const std::string& paper, int year) {
  MethodDescriptor d;
  d.name = name;
  d.paper = paper;
  d.year = year;
  d.bits = {2, 3, 4, 5, 6, 7, 8, 32};
  d.needs_generator = true;
  d.fine_tunes = true;
  d.presets = trainer_presets();
  d.resolve = [](Config& c, const QuantConfig& q, const ModelSpec&) { resolve_trained(c, q); };
  d.validate = validate_trained;
  return d;
}

void set_trainer_parts(MethodDescriptor& d, std::function<TrainerParts(RunContext&)> parts) {
  d.trainer_parts = parts;
  d.run = [parts](RunContext& ctx) { run_trainer(ctx, Schedule::block().read(ctx.config), parts(ctx)); };
}

Generator make_run_generator(const RunContext& ctx, const GeneratorSettings& g) {
  const auto& info = ctx.data->info;
  return make_generator(g.kind, {info.classes, static_cast<int>(g.latent_dim), info.size, info.channels, g.gen_bn_eps});
}

std::unique_ptr<ImageSource> generator_source(const RunContext& ctx, Generator generator, GameHooks hooks) {
  const auto settings = GeneratorSettings::block().read(ctx.config);
  const auto schedule = Schedule::block().read(ctx.config);
  return std::make_unique<GeneratorGame>(std::move(generator), settings, *ctx.teacher, schedule.batch_size,
                                         ctx.data->info.classes, ctx.device, std::move(hooks));
}

ImageSet cached_synthesis(RunContext& ctx, const std::string& method, const nlohmann::json& settings,
                          const std::function<ImageSet()>& synthesise) {
  nlohmann::json what = settings;
  what["method"] = method;
  what["teacher"] = ctx.teacher_id;
  what["seed"] = ctx.seed;
  const std::string key = fmt::format("{}-seed{}-{}", method, ctx.seed, sha256_hex(what.dump()).substr(0, 16));
  // Without a teacher identity there is no safe key: no cache.
  const ImageCache& cache = ctx.teacher_id.empty() ? ImageCache("") : ctx.image_cache;
  ImageSet set;
  const auto t0 = std::chrono::steady_clock::now();
  const bool hit = cache.load(key, set);
  if (!hit) {
    set = synthesise();
    cache.save(key, set);
  }
  const double seconds = hit ? 0.0 : std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.log->metric("synthesis_seconds", seconds);
  ctx.log->metric("synthesis_cached", hit ? 1.0 : 0.0);
  ctx.log->metric("synthesised_images", static_cast<double>(set.size()));
  seed_everything(ctx.seed * 2654435761ULL + 17);
  return set;
}

}  // namespace dfq
