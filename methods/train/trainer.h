// The training loop of every trained method: for each iteration of the schedule, set the
// learning-rate factor and whether ranges calibrate, take the image source's half step,
// then the student's; per epoch, log each loss term's mean, the P/Q disagreement on the
// training images, and an evaluation of the student; at the end, the final metrics. A
// non-finite loss after the first evaluation ends training with the student of the last
// evaluation, recorded as diverged_at_epoch / diverged_at_iter (before it, the run fails).
#pragma once
#include <functional>
#include <memory>

#include "methods/method.h"
#include "methods/train/step.h"

namespace dfq {

// One iteration at (epoch, it) of the schedule: the learning-rate factor and whether
// ranges calibrate, the source's half step, then the student's. Fills `st`; returns the
// source's and the student's loss terms.
std::pair<Terms, Terms> train_iteration(ImageSource& source, StudentStep& q_step, NetImpl& student,
                                        const Schedule& schedule, int64_t epoch, int64_t it, StepTensors& st);

// Runs the whole schedule on ctx; sets ctx.student.
void run_trainer(RunContext& ctx, const Schedule& schedule, const TrainerParts& parts);

}  // namespace dfq
