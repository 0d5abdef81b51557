// What every trained method (gdfq, qimera, adasg, adadfq, realdata, intraq, zeroq with
// finetune) shares besides the loop: its descriptor's common part, the generator image
// source built from the run's settings, and synthesised image sets through the cache.
#pragma once
#include <memory>

#include "methods/method.h"
#include "methods/train/generator_game.h"
#include "methods/train/schedule.h"

namespace dfq {

// "tiny": two iterations in one epoch at batch 8 (tests, smoke runs); "short": 4 epochs of
// 50 iterations, the first calibrating (and, through the auto warm-up, not training Q)
// (make compare). Both use EMA ranges: they make fewer than the ~200 calibration updates
// the official tracker needs.
std::map<std::string, std::vector<std::string>> trainer_presets();

// Bits 2..8 and 32, generator and fine-tuning flags set, trainer_presets(), resolve and
// validate of the schedule. The method sets `params` and `run`, and wraps resolve or
// validate where it has more.
MethodDescriptor trained_method(const std::string& name, const std::string& paper, int year);
void resolve_trained(Config& config, const QuantConfig& quant);
void validate_trained(const Config& config, const QuantConfig& quant);

// Sets the method's trainer_parts and a `run` that trains them over the run's schedule.
void set_trainer_parts(MethodDescriptor& method, std::function<TrainerParts(RunContext&)> parts);

// The GDFQ generator (or `settings.kind`) sized for the run's data set.
Generator make_run_generator(const RunContext& ctx, const GeneratorSettings& settings);
// The data-free image source with the run's generator settings and schedule batch size.
std::unique_ptr<ImageSource> generator_source(const RunContext& ctx, Generator generator, GameHooks hooks);

// The images of this (teacher, method, seed, synthesis settings) from the run's cache,
// or made by `synthesise` and cached. Logs "synthesis_seconds" (0 on a hit),
// "synthesis_cached" and "synthesised_images". Reseeds afterwards, so what follows draws
// the same numbers on a hit as on a miss.
ImageSet cached_synthesis(RunContext& ctx, const std::string& method, const nlohmann::json& settings,
                          const std::function<ImageSet()>& synthesise);

}  // namespace dfq
