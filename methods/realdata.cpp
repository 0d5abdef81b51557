// realdata: upper-bound row. The GDFQ student objective (KD + CE) on real training
// images instead of generated ones, activation ranges calibrated on real images. Shows
// what the data-free methods leave on the table under the same schedule.
#include "methods/registry.h"
#include "methods/train/fixed_set.h"
#include "methods/train/student_loss.h"
#include "methods/train/trained_method.h"

namespace dfq {

MethodDescriptor realdata_method() {
  MethodDescriptor d = trained_method("realdata", "reference row: GDFQ student training on real images", 0);
  Schedule schedule;
  schedule.batch_size = 200;
  d.params = join({Schedule::block().schema(schedule), quant_block().schema({}), KdSettings::block().schema({})});
  d.needs_generator = false;
  set_trainer_parts(d, [](RunContext& ctx) {
    const auto batch = Schedule::block().read(ctx.config).batch_size;
    TrainerParts parts;
    parts.make_source = [&ctx, batch] {
      return std::make_unique<FixedImageSet>(ctx.data->train, ctx.data->info, batch, *ctx.teacher, ctx.seed,
                                             ctx.device, FixedSetOptions{});
    };
    parts.student_loss = kd_ce_student_loss(KdSettings::block().read(ctx.config));
    return parts;
  });
  return d;
}

}  // namespace dfq
