// realdata: upper-bound row. The GDFQ student objective (KD + CE) on real training
// images instead of generated ones, activation ranges calibrated on real images. Shows
// what the data-free methods leave on the table under the same schedule.
#include "core/losses/losses.h"
#include "methods/registry.h"
#include "methods/trainer.h"

namespace dfq {

MethodDescriptor realdata_method() {
  MethodDescriptor d = trainer_descriptor("realdata", "reference row: GDFQ student training on real images", 0);
  for (const char* key : {"lr_g", "adam_beta1", "adam_beta2", "latent_dim", "gen_bn_eps", "generator"})
    d.defaults.erase(key);  // no generator here
  d.defaults.update({{"batch_size", 200}, {"kd_temperature", 20.0}, {"kd_alpha", 1.0}, {"kd_reduction", "mean"},
                     {"ce_weight", 1.0}});
  d.needs_generator = false;
  d.run = [](RunContext& ctx) {
    const Config& c = ctx.config;
    TrainerHooks hooks;
    hooks.uses_generator = false;
    hooks.student_loss = kd_ce_student_loss(c);
    run_trainer(ctx, hooks);
  };
  return d;
}

}  // namespace dfq
