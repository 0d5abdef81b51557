#include "methods/train/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace dfq {

const ParamBlock<Schedule>& Schedule::block() {
  static const auto block =
      ParamBlock<Schedule>("schedule")
          .integer("epochs", &Schedule::epochs, Bounds::in(1, kMaxEpochs), "training epochs")
          .integer("iters_per_epoch", &Schedule::iters_per_epoch, Bounds::in(1, kMaxItersPerEpoch).or_auto(-1),
                   "iterations per epoch; auto (methods with a fixed synthetic set): one pass over it")
          .integer("batch_size", &Schedule::batch_size, Bounds::in(1, kMaxBatch), "images per iteration")
          .number("lr_q", &Schedule::lr_q, Bounds::positive(), "student learning rate (SGD, Nesterov)")
          .numbers("lr_steps", &Schedule::lr_steps, Bounds::at_least(0),
                   "epochs at which the learning rates are multiplied by lr_gamma; empty: auto, at 25/50/75 % of "
                   "epochs")
          .number("lr_gamma", &Schedule::lr_gamma, Bounds::above_up_to(0, 1), "learning-rate step factor")
          .number("warmup_epochs", &Schedule::warmup_epochs, Bounds::at_least(0).or_auto(-1),
                  "epochs before the student is first updated; auto: max(1 % of epochs, calib_epochs)")
          .number("calib_epochs", &Schedule::calib_epochs, Bounds::at_least(0).or_auto(-1),
                  "epochs during which activation ranges update; auto: 1 % of epochs (official tracker: at least "
                  "200 iterations)")
          .number("momentum", &Schedule::momentum, Bounds::in(0, 1), "student SGD momentum")
          .number("weight_decay", &Schedule::weight_decay, Bounds::at_least(0), "student SGD weight decay");
  return block;
}

double Schedule::lr_factor(double position) const {
  int passed = 0;
  for (double s : lr_steps) passed += position >= s ? 1 : 0;
  return std::pow(lr_gamma, passed);
}

void resolve_schedule(Schedule& s, const QuantConfig& quant) {
  const double epochs = static_cast<double>(s.epochs);
  const bool official = quant.tracker == RangeTrackerKind::Official && quant.a_bits < 32;
  if (s.calib_epochs < 0) {
    double calib = epochs * 0.01;
    if (official) calib = std::max(calib, 200.0 / static_cast<double>(s.iters_per_epoch));
    s.calib_epochs = std::min(calib, epochs);
  }
  if (s.warmup_epochs < 0) s.warmup_epochs = std::max(epochs * 0.01, s.calib_epochs);
  if (s.lr_steps.empty()) s.lr_steps = {epochs * 0.25, epochs * 0.5, epochs * 0.75};
}

void validate_schedule(const Schedule& s, const QuantConfig& quant) {
  if (s.calib_epochs < 0 || s.warmup_epochs < 0 || s.lr_steps.empty())
    throw InvalidInputError(
        "the schedule has an unresolved auto value (calib_epochs or warmup_epochs -1, or lr_steps empty); resolve "
        "the cell with `dfq run ... --print-config` instead of editing auto values by hand");
  if (s.iters_per_epoch < 1)
    throw InvalidInputError("bad value for iters_per_epoch: expected an integer >= 1 (auto, -1, is only for methods "
                            "that train on a fixed synthetic set), got -1");
  if (s.warmup_epochs >= static_cast<double>(s.epochs))
    throw InvalidInputError(fmt::format("warmup_epochs ({}) >= epochs ({}): the student would never be trained",
                                        s.warmup_epochs, s.epochs));
  check_calibration_updates(quant, std::ceil(s.calib_epochs * static_cast<double>(s.iters_per_epoch)),
                            "calib_epochs x iters_per_epoch");
}

}  // namespace dfq
